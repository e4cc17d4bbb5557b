"""Commission reads, scoped by who asks: only the two parties ever see a commission."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from marketplace.accounts.models import Notification
from marketplace.catalogue.models import Listing
from marketplace.commissions.models import (
    Commission,
    CommissionEvent,
    CommissionPayment,
    Message,
    ProgressPhoto,
    ProgressUpdate,
    Quote,
)
from marketplace.commissions.services import ARTISAN, BUYER, party_of

S = Commission.Status


def _list_queryset(queryset: QuerySet) -> QuerySet:
    current_quotes = Quote.objects.filter(
        status__in=(Quote.Status.CURRENT, Quote.Status.ACCEPTED)
    ).order_by("-version")
    return (
        queryset.with_waitlist_position()
        .select_related(
            "artisan",
            "artisan__user",
            "buyer",
            "base_listing",
            "completed_listing",
            "completed_listing__certificate",
        )
        .prefetch_related(
            Prefetch("quotes", queryset=current_quotes, to_attr="live_quotes"),
            Prefetch(
                "payments",
                queryset=CommissionPayment.objects.order_by("created_at", "id"),
            ),
            Prefetch(
                "progress_updates",
                queryset=ProgressUpdate.objects.order_by("created_at", "id")
                .select_related("author")
                .prefetch_related(
                    Prefetch("photos", queryset=ProgressPhoto.objects.order_by("id"))
                ),
            ),
        )
    )


def commission_list(*, user, status: str | None = None) -> QuerySet:
    """The commissions the user asked for, as a buyer, newest activity first."""
    if not user.is_authenticated:
        return Commission.objects.none()
    queryset = Commission.objects.for_buyer(user)
    if status:
        queryset = queryset.filter(status=status)
    return _list_queryset(queryset)


def commission_inbox(*, user, status: str | None = None) -> QuerySet:
    """The commissions addressed to the user's artisan profile: the studio inbox."""
    if not user.is_authenticated:
        return Commission.objects.none()
    queryset = Commission.objects.for_artisan_user(user)
    if status == "open":
        queryset = queryset.open()
    elif status:
        queryset = queryset.filter(status=status)
    return _list_queryset(queryset)


def commission_visible(*, user) -> QuerySet:
    """Every commission the user is a party to (as buyer or as artisan)."""
    if not user.is_authenticated:
        return Commission.objects.none()
    return _list_queryset(Commission.objects.involving(user))


def commission_get(*, user, pk) -> Commission:
    """One commission with everything its page shows; DoesNotExist for non-parties."""
    return (
        commission_visible(user=user)
        .prefetch_related(
            "reference_images",
            Prefetch("quotes", queryset=Quote.objects.order_by("-version")),
        )
        .get(pk=pk)
    )


def commission_events(*, commission: Commission) -> QuerySet:
    """The commission's timeline, oldest first."""
    return (
        CommissionEvent.objects.filter(commission=commission)
        .select_related("actor")
        .order_by("created_at", "id")
    )


def commission_messages(*, commission: Commission) -> QuerySet:
    """The thread, oldest first, with attachments."""
    return (
        Message.objects.filter(commission=commission)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def notification_list(*, user) -> QuerySet:
    """The user's notifications, newest first."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user=user).select_related("commission")


def notification_unread_count(*, user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


@dataclass(frozen=True)
class NextStep:
    party: str  # "buyer", "artisan" or "" when nothing is expected
    text: str

    def is_for(self, role: str | None) -> bool:
        return bool(role) and self.party == role


def _quote(commission: Commission, status: str) -> Quote | None:
    quotes = getattr(commission, "live_quotes", None)
    if quotes is None:
        quotes = list(commission.quotes.all())
    return next((quote for quote in quotes if quote.status == status), None)


def commission_next_step(commission: Commission) -> NextStep:
    """What is expected of whom next, in plain words (uses prefetched rows only)."""
    artisan = commission.artisan.public_name
    status = commission.status
    if status == S.WAITLISTED:
        position = getattr(commission, "waitlist_position", None)
        where = f" (position {position})" if position else ""
        return NextStep(
            ARTISAN, f"Waiting on {artisan}'s waitlist{where}; they admit in order."
        )
    if status == S.SUBMITTED:
        return NextStep(ARTISAN, f"{artisan} replies with a quote, or declines.")
    if status == S.QUOTED:
        quote = _quote(commission, Quote.Status.CURRENT)
        until = f" by {quote.valid_until:%d %b %Y}" if quote else ""
        return NextStep(BUYER, f"The buyer accepts or declines the quote{until}.")
    if status == S.ACCEPTED:
        quote = _quote(commission, Quote.Status.ACCEPTED)
        if quote and not commission.deposit_recorded(quote):
            return NextStep(
                BUYER,
                f"The buyer pays the deposit of {quote.deposit} {quote.currency} "
                "and records it here.",
            )
        if quote and not commission.deposit_confirmed(quote):
            return NextStep(ARTISAN, f"{artisan} confirms the deposit arrived.")
        return NextStep(ARTISAN, f"{artisan} starts the work.")
    if status == S.IN_PROGRESS:
        updates = getattr(commission, "_prefetched_objects_cache", {}).get(
            "progress_updates"
        )
        if updates is not None and any(u.awaits_approval for u in updates):
            return NextStep(
                BUYER, "The buyer approves the latest update or requests changes."
            )
        return NextStep(
            ARTISAN,
            f"{artisan} works on the piece, posts updates, then submits it for review.",
        )
    if status == S.READY_FOR_REVIEW:
        return NextStep(BUYER, "The buyer approves the piece or sends it back.")
    if status == S.APPROVED:
        return NextStep(
            ARTISAN, f"{artisan} records the materials used and completes the piece."
        )
    if status == S.COMPLETED:
        return NextStep("", "Completed: the piece belongs to the buyer.")
    return NextStep(
        "", f"This commission is {S(status).label.lower()}; nothing is due."
    )


def viewer_role(user, commission: Commission) -> str | None:
    return party_of(user, commission)


def commissioned_piece_list(*, user) -> QuerySet:
    """Finished pieces made for the user through commissions (private to them)."""
    if not user.is_authenticated:
        return Listing.objects.none()
    return (
        Listing.objects.filter(private_to=user, commission__isnull=False)
        .select_related("artisan", "commission", "certificate")
        .order_by("-created_at")
    )
