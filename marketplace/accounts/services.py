"""Writes for buyers' accounts."""

from django.contrib.auth import get_user_model
from django.db import transaction

User = get_user_model()


@transaction.atomic
def user_sign_up(*, username: str, email: str, password: str) -> User:
    """Create a buyer account. Every user is a buyer; other roles are added later."""
    return User.objects.create_user(username=username, email=email, password=password)
