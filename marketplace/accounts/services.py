"""Writes for accounts: sign-up and in-app notifications."""

from django.contrib.auth import get_user_model
from django.db import transaction

from marketplace.accounts.models import Notification

User = get_user_model()


@transaction.atomic
def user_sign_up(*, username: str, email: str, password: str) -> User:
    """Create a buyer account. Every user is a buyer; other roles are added later."""
    return User.objects.create_user(username=username, email=email, password=password)


def notification_create(
    *, recipient, verb: str, link: str = "", action_needed: bool = False
) -> Notification:
    """An in-app notice to one user, leading to ``link`` (a path on this site)."""
    return Notification.objects.create(
        user=recipient, verb=verb[:200], link=link[:200], action_needed=action_needed
    )
