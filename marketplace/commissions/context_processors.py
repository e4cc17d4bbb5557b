"""Template values for the header: the signed-in user's unread notifications."""

from marketplace.accounts.models import Notification


def notifications(request):
    """The number of unread notifications, shown next to the notifications link."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": Notification.objects.filter(
            user=user, read_at__isnull=True
        ).count
    }
