"""Abstract model bases shared by every app."""

from django.db import models

# The largest id a (big) auto field holds: an id given in input beyond it is no row's.
MAX_ID = 2**63 - 1


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


RATING_STARS = (5, 4, 3, 2, 1)


def rating_constraints() -> list:
    """A rated model's constraints on its kept figures (add them to its ``Meta``)."""
    stars = [models.F(f"rating_{n}") for n in RATING_STARS]
    return [
        models.CheckConstraint(
            condition=models.Q(rating_count=sum(stars[1:], stars[0])),
            name="%(app_label)s_%(class)s_rating_count_is_stars",
        ),
        models.CheckConstraint(
            condition=models.Q(rating_average__gte=0, rating_average__lte=5),
            name="%(app_label)s_%(class)s_rating_average_in_range",
        ),
    ]


class RatedModel(models.Model):
    """Kept rating figures of a rated record (an artisan, a piece).

    Written only by ``marketplace.reviews.services`` with every review that counts for
    the record, so that pages read them without aggregating reviews;
    ``python manage.py rebuild_ratings`` recomputes them from the reviews.
    """

    rating_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    rating_total = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    rating_average = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=0,
        db_default=0,
        editable=False,
        db_index=True,
    )
    rating_1 = models.PositiveIntegerField(
        "one-star reviews", default=0, db_default=0, editable=False
    )
    rating_2 = models.PositiveIntegerField(
        "two-star reviews", default=0, db_default=0, editable=False
    )
    rating_3 = models.PositiveIntegerField(
        "three-star reviews", default=0, db_default=0, editable=False
    )
    rating_4 = models.PositiveIntegerField(
        "four-star reviews", default=0, db_default=0, editable=False
    )
    rating_5 = models.PositiveIntegerField(
        "five-star reviews", default=0, db_default=0, editable=False
    )

    class Meta:
        abstract = True

    @property
    def rating_distribution(self) -> list[dict]:
        """Each star from 5 to 1 with its count and share of all reviews (percent)."""
        count = self.rating_count
        return [
            {
                "stars": stars,
                "count": getattr(self, f"rating_{stars}"),
                "percent": round(100 * getattr(self, f"rating_{stars}") / count)
                if count
                else 0,
            }
            for stars in RATING_STARS
        ]
