"""The demo: accounts, artisans, pieces, provenance chains and commissions.

Orders come last but for reviews: they buy pieces the catalogue and provenance
made, and reviews follow the orders delivered and the commissions completed.
Everything is created through the same services the site uses, so the demo obeys
every rule a real user meets. ``seed()`` is safe to run again: nothing is duplicated.
"""

from django.db import transaction

from marketplace.demo import (
    accounts,
    artisans,
    catalogue,
    commissions,
    orders,
    provenance,
    reviews,
)


@transaction.atomic
def seed() -> dict:
    """Create (or complete) the whole demo; returns what the command reports."""
    users = accounts.seed_accounts()
    makers = artisans.seed(users)
    artisans.seed_marks_and_reviews(makers, users["verifier"])
    catalogue.seed(users, makers)
    provenance.seed(users, makers)
    created = commissions.seed(users, makers)
    placed = orders.seed(users, makers)
    reviewed = reviews.seed(users)
    return {
        "orders": placed,
        "users": len(users),
        "artisans": len(makers),
        "commissions": created["created"],
        "reviews": reviewed,
        "password": accounts.DEMO_PASSWORD,
    }
