"""The reviews' one FilterSet, shared by the artisan page and /api/reviews/."""

import django_filters
from django import forms

from marketplace.reviews.models import Review

RATING_CHOICES = [(str(n), f"{n} star{'s' if n > 1 else ''}") for n in (5, 4, 3, 2, 1)]


class ReviewFilter(django_filters.FilterSet):
    rating = django_filters.ChoiceFilter(
        choices=RATING_CHOICES, label="Rating", empty_label="All ratings"
    )
    artisan = django_filters.CharFilter(
        field_name="artisan__slug", label="Artisan (slug)", max_length=140
    )
    listing = django_filters.CharFilter(
        field_name="listing__slug", label="Piece (slug)", max_length=160
    )
    status = django_filters.ChoiceFilter(
        choices=Review.Status.choices,
        label="Status (your own hidden reviews; verifiers see every status)",
    )
    mine = django_filters.BooleanFilter(
        method="filter_mine", label="Only my reviews", widget=forms.CheckboxInput
    )

    class Meta:
        model = Review
        fields = ["rating", "artisan", "listing", "status", "mine"]

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if not value:
            return queryset
        if user is None or not user.is_authenticated:
            return queryset.none()
        return queryset.filter(author=user)
