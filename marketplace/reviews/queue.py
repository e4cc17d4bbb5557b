"""Reported reviews join the verifiers' queue (``provenance.queue``) as kind "review"."""

from marketplace.reviews.selectors import moderation_list
from provenance import queue


def _rows(user, *, waiting: bool):
    return moderation_list(user=user, waiting=waiting)


queue.register(
    queue.QueueKind(
        name="review",
        label="buyer's review (reported)",
        rows=_rows,
        template="reviews/_moderation_list.html",
    )
)
