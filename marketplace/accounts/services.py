"""Writes for accounts: sign-up and in-app notifications."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from config import ratelimit
from marketplace.accounts.models import Notification

User = get_user_model()


@transaction.atomic
def user_sign_up(
    *, username: str, email: str, password: str, client_ip: str = ""
) -> User:
    """Create a buyer account. Every user is a buyer; other roles are added later.
    One client address makes at most ``SIGNUP_LIMIT_PER_HOUR`` accounts an hour."""
    if client_ip and not ratelimit.allow(
        "signup", client_ip, limit=settings.SIGNUP_LIMIT_PER_HOUR, window=3600
    ):
        raise ValidationError(
            "Too many new accounts from your address: try again in an hour."
        )
    return User.objects.create_user(username=username, email=email, password=password)


def notification_create(
    *, recipient, verb: str, link: str = "", action_needed: bool = False
) -> Notification:
    """An in-app notice to one user, leading to ``link`` (a path on this site)."""
    return Notification.objects.create(
        user=recipient, verb=verb[:200], link=link[:200], action_needed=action_needed
    )
