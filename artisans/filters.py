"""The artisan directory's filters, shared by the HTML page and the API."""

import django_filters
from django.db.models import Q
from django_countries import countries

from artisans.models import Artisan, Technique, Tradition
from provenance.models import VerificationStatus


class ArtisanFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search by name")
    country = django_filters.ChoiceFilter(choices=list(countries), label="Country")
    tradition = django_filters.ModelChoiceFilter(
        queryset=Tradition.objects.all(),
        field_name="traditions",
        to_field_name="slug",
        label="Tradition",
    )
    technique = django_filters.ModelChoiceFilter(
        queryset=Technique.objects.all(),
        field_name="techniques",
        to_field_name="slug",
        label="Technique",
    )
    accepting_commissions = django_filters.BooleanFilter(
        method="filter_accepting", label="Accepting commissions"
    )
    verified = django_filters.BooleanFilter(method="filter_verified", label="Verified")

    class Meta:
        model = Artisan
        fields = ["q", "country", "tradition", "technique"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(public_name__icontains=value) | Q(workshop_name__icontains=value)
        )

    def filter_accepting(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.accepting_commissions()
        return queryset.filter(commission_status=Artisan.CommissionStatus.CLOSED)

    def filter_verified(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.verified()
        return queryset.exclude(verification_status=VerificationStatus.VERIFIED)
