"""Helpers of the reviews tests: delivered purchases, reviews, and the check that the
kept rating figures equal a fresh aggregate of the reviews."""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum

from artisans.models import Artisan
from marketplace.catalogue.models import Listing
from marketplace.orders import services as order_services
from marketplace.reviews import services
from marketplace.reviews.models import Review
from tests import factories as f
from tests.orders.helpers import paid, placed

STARS = (1, 2, 3, 4, 5)


def delivered_line(buyer=None, listing=None):
    """An order line of a delivered order (placed, paid, shipped, delivered)."""
    buyer = buyer or f.UserFactory()
    [order] = placed(buyer, [listing or f.catalogue_listing()])
    order = paid(order)
    order = order_services.order_ship(
        actor=order.artisan.user,
        order=order,
        carrier="Royal Mail",
        tracking_number="T1",
    )
    order = order_services.order_confirm_delivery(actor=buyer, order=order)
    return order.lines.select_related("order", "listing").get()


def review_of(
    line=None, *, rating=5, title="Beautiful ring", text="Made with care.", **kw
):
    line = line or delivered_line()
    return services.review_create(
        author=line.order.buyer,
        order_line=line,
        rating=rating,
        title=title,
        text=text,
        **kw,
    )


def fresh_figures(reviews) -> dict:
    """The figures of these reviews, aggregated here independently of the services."""
    agg = reviews.aggregate(
        count=Count("id"),
        total=Sum("rating", default=0),
        **{f"s{n}": Count("id", filter=Q(rating=n)) for n in STARS},
    )
    average = (
        (Decimal(agg["total"]) / agg["count"]).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        if agg["count"]
        else Decimal("0.00")
    )
    return {
        "rating_count": agg["count"],
        "rating_total": agg["total"],
        "rating_average": average,
        **{f"rating_{n}": agg[f"s{n}"] for n in STARS},
    }


def kept_figures(row) -> dict:
    return {
        name: getattr(row, name)
        for name in (
            "rating_count",
            "rating_total",
            "rating_average",
            *(f"rating_{n}" for n in STARS),
        )
    }


def assert_kept_figures_match() -> int:
    """Every artisan's and piece's kept figures equal a fresh aggregate of their
    visible reviews. Returns how many rated rows it compared (at least one)."""
    visible = Review.objects.filter(status__in=Review.VISIBLE_STATUSES)
    compared = 0
    for model, key in ((Artisan, "artisan"), (Listing, "listing")):
        for row in model.objects.all():
            fresh = fresh_figures(visible.filter(**{key: row}))
            assert kept_figures(row) == fresh, (model.__name__, row.pk)
            compared += fresh["rating_count"] > 0
    return compared
