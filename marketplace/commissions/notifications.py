"""In-app notifications and the emails that ask a party to act."""

import logging

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from config.mail import emails_allowed
from marketplace.accounts.models import Notification
from marketplace.commissions.models import Commission, CommissionEvent
from ops.services import email_queue

logger = logging.getLogger(__name__)


def _queue_action_email(
    *, notification: Notification, commission: Commission, verb: str, action: str
):
    recipient = notification.user
    context = {
        "recipient": recipient,
        "commission": commission,
        "verb": verb,
        "action": action,
        "url": f"{settings.SITE_URL.rstrip('/')}{commission.get_absolute_url()}",
        "site_name": settings.SITE_NAME,
    }
    subject = render_to_string(
        "emails/commissions/action_needed_subject.txt", context
    ).strip()
    body = render_to_string("emails/commissions/action_needed.txt", context)
    email_queue(
        key=f"notification:{notification.pk}",
        to=[recipient.email],
        subject=subject,
        body=body,
    )


@transaction.atomic
def notification_notify(
    *,
    recipient,
    commission: Commission,
    verb: str,
    event: CommissionEvent | None = None,
    action: str = "",
) -> Notification:
    """Notify one party in the app; when ``action`` asks them to act, email them too.

    The email is written to the outbox in this transaction and sent by a task once it
    commits, so a move that fails sends nothing.
    """
    notification = Notification.objects.create(
        user=recipient,
        verb=verb[:200],
        commission=commission,
        event=event,
        action_needed=bool(action),
    )
    if action and recipient.email and emails_allowed():
        _queue_action_email(
            notification=notification, commission=commission, verb=verb, action=action
        )
    return notification


@transaction.atomic
def notification_mark_read(*, user, notification: Notification | None = None) -> int:
    """Mark one of the user's notifications read, or all of them when none is given."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification is not None:
        unread = unread.filter(pk=notification.pk)
    return unread.update(read_at=timezone.now())
