"""Reviews of the demo's delivered orders and completed commissions.

Each delivered order line and each completed commission of the demo buyers gets one
review through the review services; one carries a photo and the artisan's reply, and
one was reported by another buyer and hidden by the demo verifier, with the reason its
author sees. Seeding again adds only what is missing.
"""

from marketplace.commissions.models import Commission
from marketplace.demo.images import piece_photo
from marketplace.orders.models import OrderLine
from marketplace.reviews import services
from marketplace.reviews.models import Review

# (rating, title, text), taken in turn.
WORDS = [
    (
        5,
        "Even better in person",
        "The granulation catches the light beautifully and the silver is heavy and "
        "solid. Packed with care, with the certificate and a care card.",
    ),
    (
        4,
        "Lovely work, slow post",
        "A beautifully finished piece; it took a week longer than the estimate to "
        "arrive, but the maker kept me informed.",
    ),
    (
        5,
        "Exactly what we talked about",
        "Every sketch and stone was sent for approval first. The finished ring is "
        "exactly what I hoped for.",
    ),
    (
        4,
        "A careful maker",
        "Thoughtful about sourcing, and the recycled gold has a lovely warm colour.",
    ),
    (
        2,
        "Not for me",
        "Well made, but smaller than I imagined from the photos.",
    ),
]
HIDDEN = (
    1,
    "Terrible seller!!!",
    "Never buy from this person. (Posted about a different shop's parcel.)",
)


def _purchases(users):
    """Every reviewable purchase of the demo buyers, oldest first."""
    buyers = [users["buyer"], users["buyer2"]]
    lines = list(
        OrderLine.objects.filter(
            order__buyer__in=buyers, order__delivered_at__isnull=False
        )
        .select_related("order", "listing")
        .order_by("order__delivered_at", "pk")
    )
    commissions = list(
        Commission.objects.filter(
            buyer__in=buyers, status=Commission.Status.COMPLETED
        ).order_by("pk")
    )
    return [("order_line", line, line.order.buyer) for line in lines] + [
        ("commission", commission, commission.buyer) for commission in commissions
    ]


def seed(users) -> int:
    """Review each delivered line and completed commission once; returns how many
    reviews were created."""
    purchases = _purchases(users)
    created = 0
    for index, (field, purchase, buyer) in enumerate(purchases):
        if Review.objects.filter(**{field: purchase}).exists():
            continue
        hide = index == len(purchases) - 1 and index > 0
        rating, title, text = HIDDEN if hide else WORDS[index % len(WORDS)]
        photos = []
        if index == 0:
            photos = [piece_photo(7, metal="silver", shape="ring", size=600)]
        review = services.review_create(
            author=buyer,
            rating=rating,
            title=title,
            text=text,
            photos=photos,
            photo_alt="The piece on its box, in daylight",
            **{field: purchase},
        )
        created += 1
        if index == 0:
            services.review_reply(
                review=review,
                actor=review.artisan.user,
                text="Thank you! Granulation is slow work; I am glad it shows.",
            )
        if hide:
            other = users["buyer"] if buyer == users["buyer2"] else users["buyer2"]
            services.review_report(
                review=review,
                actor=other,
                reason="This is about another shop's parcel, not this piece.",
            )
            services.review_moderate(
                review=review,
                actor=users["verifier"],
                action="hide",
                reason="The review is about another shop's delivery, not this "
                "artisan's work.",
            )
    return created
