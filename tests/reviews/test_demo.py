"""The demo reviews every delivered order line and completed commission once, one with
a photo and the artisan's reply, one reported and hidden; seeding again adds none."""

import pytest

from marketplace import demo
from marketplace.commissions.models import Commission
from marketplace.orders.models import OrderLine
from marketplace.reviews.models import Review, ReviewEvent
from tests.reviews.helpers import assert_kept_figures_match

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_reviews_through_the_services():
    seeded = demo.seed()
    reviewable = (
        OrderLine.objects.filter(order__delivered_at__isnull=False).count()
        + Commission.objects.filter(status=Commission.Status.COMPLETED).count()
    )
    assert seeded["reviews"] == reviewable == Review.objects.count() >= 3
    assert Review.objects.filter(commission__isnull=False).exists()
    replied = Review.objects.exclude(replied_at=None)
    assert replied.count() == 1 and replied.get().photos.count() == 1
    hidden = Review.objects.get(status=Review.Status.HIDDEN)
    assert hidden.reports.count() == 1 and hidden.status_reason
    assert list(
        ReviewEvent.objects.filter(review=hidden).values_list("action", flat=True)
    ) == ["report", "hide"]
    assert assert_kept_figures_match() >= 2
    assert demo.seed()["reviews"] == 0
    assert Review.objects.count() == reviewable
