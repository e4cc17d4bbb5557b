"""The catalogue's one FilterSet, shared by /pieces/ and /api/listings/, with facets.

Each facet is one declaration on ``ListingFilter``: a filter that also says which values
each listing has (``facet_pairs``), in the same terms as its ``filter``. The facet index
(``marketplace.catalogue.facet_index``) is built from those pairs, so counts and filters cannot
disagree. Counts are disjunctive: a facet's counts apply every *other* active filter, so
ticking "gold" still shows how many silver pieces there are.
"""

import copy
import functools
from collections.abc import Iterable
from decimal import Decimal
from functools import partial

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django_countries import countries
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from artisans.models import MakerMark, Technique
from marketplace.catalogue import hallmarking
from marketplace.catalogue.hallmarking import hallmark_status_q
from marketplace.catalogue.models import Gemstone, Listing
from marketplace.materials import ALL_STANDARD_FINENESS, Metal
from provenance import facets as provenance_facets
from provenance.models import VerificationStatus


class SharedChoicesField(forms.MultipleChoiceField):
    """A facet's form field. Each form deep-copies its fields; the choices are
    declared once (a list, or a callable read afresh on each use) and never changed
    in place, and nothing a request does changes the field or its widget (the catalogue
    validates the filters and writes its own facet links), so every form's copy
    shares them rather than copying the widget and each choice."""

    def __deepcopy__(self, memo):
        copied = copy.copy(self)
        memo[id(self)] = copied
        return copied


class FacetMixin:
    """A filter that is also a facet: it says which of its values each listing has."""

    facet = True
    field_class = SharedChoicesField

    def __deepcopy__(self, memo):
        # Each FilterSet deep-copies its filters. A facet holds nothing a request
        # changes but the model and FilterSet it is bound to (set on the copy), so a
        # shallow copy serves, without copying its choices and conditions each time.
        copied = copy.copy(self)
        copied.__dict__.pop("_field", None)
        return copied

    def facet_pairs(self, queryset) -> Iterable[tuple[int, str]]:
        """(listing id, value) for every value each listing in ``queryset`` matches."""
        raise NotImplementedError

    def declared_choices(self) -> list[tuple[str, str]]:
        """Every value the facet can show, with its label, as text. They change only
        with what the change log watches (a technique's slug or name), so the facet
        index keeps them with each snapshot."""
        declared = self.extra["choices"]
        if callable(declared):
            declared = declared()
        return [(str(value), str(label)) for value, label in declared]

    def facet_choices(
        self, counts: dict[str, int], declared: list[tuple[str, str]] | None = None
    ) -> list[tuple[str, str]]:
        """The values to show beside these counts (``declared``: the facet's
        ``declared_choices()``, read now if not given)."""
        return self.declared_choices() if declared is None else declared


class ChoiceFacet(FacetMixin, django_filters.MultipleChoiceFilter):
    """Values OR-ed within the facet. ``field_name`` may follow a to-many relation:
    the match then goes through a subquery, so rows are never duplicated."""

    def __init__(self, *args, to_many: bool = False, dynamic: bool = False, **kwargs):
        self.to_many = to_many
        self.dynamic = dynamic  # list only the values that occur
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        kwargs["distinct"] = False
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        lookup = {f"{self.field_name}__in": list(value)}
        if self.to_many:
            return qs.filter(pk__in=qs.model.objects.filter(**lookup).values("pk"))
        return qs.filter(**lookup)

    def facet_pairs(self, queryset):
        rows = queryset.order_by().values_list("pk", self.field_name)
        if self.to_many:
            rows = rows.distinct()
        return (
            (pk, str(value)) for pk, value in rows.iterator() if value not in (None, "")
        )

    def facet_choices(self, counts, declared=None):
        # The declared choices, not the form field's: the field would normalise every
        # lazy label (some 250 countries) on each request.
        choices = self.declared_choices() if declared is None else declared
        if self.dynamic:
            choices = [(value, label) for value, label in choices if value in counts]
        return choices


class ConditionFacet(FacetMixin, django_filters.MultipleChoiceFilter):
    """Named conditions (price bands, yes/no flags), OR-ed when several are ticked."""

    def __init__(self, *args, conditions: dict, **kwargs):
        self.conditions = conditions  # value -> (label, Q or callable returning Q)
        kwargs["choices"] = [
            (value, label) for value, (label, _q) in conditions.items()
        ]
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        kwargs["distinct"] = False
        super().__init__(*args, **kwargs)

    def _q(self, value) -> Q:
        condition = self.conditions[value][1]
        return condition() if callable(condition) else condition

    def filter(self, qs, value):
        if not value:
            return qs
        combined = Q()
        for item in value:
            combined |= self._q(item)
        return qs.filter(combined)

    def facet_pairs(self, queryset):
        for value in self.conditions:
            matching = queryset.order_by().filter(self._q(value)).values_list("pk")
            for (pk,) in matching.iterator():
                yield pk, value

    def declared_choices(self):
        return [(value, str(label)) for value, (label, _q) in self.conditions.items()]


def _maker_mark_verified() -> Q:
    return Q(
        Exists(
            MakerMark.objects.filter(
                artisan=OuterRef("artisan_id"),
                verification_status=VerificationStatus.VERIFIED,
            )
        )
    )


PRICE_BANDS = {
    "under-100": ("Under 100", Q(price__lt=Decimal("100"))),
    "100-250": ("100 – 250", Q(price__gte=Decimal("100"), price__lt=Decimal("250"))),
    "250-500": ("250 – 500", Q(price__gte=Decimal("250"), price__lt=Decimal("500"))),
    "500-1000": (
        "500 – 1,000",
        Q(price__gte=Decimal("500"), price__lt=Decimal("1000")),
    ),
    "1000-plus": ("1,000 and over", Q(price__gte=Decimal("1000"))),
}


# The rating facet's values: the artisan's kept average from buyers' reviews (0, so
# never matching, without any).
RATING_BANDS = (
    ("4-up", "4 stars and up", Decimal("4")),
    ("3-up", "3 stars and up", Decimal("3")),
)


# The facet's values and the page statuses they stand for (DOMAIN rule 5).
HALLMARK_VALUES = {
    "yes": hallmarking.HALLMARKED,
    "no": hallmarking.NOT_HALLMARKED,
    "exempt": hallmarking.EXEMPT,
}


class HallmarkFacet(ConditionFacet):
    """The piece page's hallmark status, from the same expressions."""

    def facet_pairs(self, queryset):
        value_of = {status: value for value, status in HALLMARK_VALUES.items()}
        return (
            (pk, value_of[status])
            for pk, status in hallmarking.hallmark_status_of(queryset)
        )


@extend_schema_field(OpenApiTypes.STR)
class MetalOriginFacet(ChoiceFacet):
    """Where the piece's metal was mined or recycled, from its origin chain."""

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(provenance_facets.metal_from(value))

    def facet_pairs(self, queryset):
        return provenance_facets.metal_origin_pairs(queryset)


def _country_choices():
    # A callable, so that each FilterSet's copy of its filters does not deep-copy the
    # whole list of countries.
    return list(countries)


def _metal_choices():
    return Metal.choices


def _fineness_choices():
    return [(str(value), str(value)) for value in ALL_STANDARD_FINENESS]


def _technique_choices():
    return list(Technique.objects.values_list("slug", "name"))


class ListingFilter(django_filters.FilterSet):
    """Catalogue filters; every facet below shows counts next to its values."""

    category = ChoiceFacet(label="Category", choices=Listing.Category.choices)
    metal = ChoiceFacet(
        field_name="metals__metal", label="Metal", choices=_metal_choices, to_many=True
    )
    fineness = ChoiceFacet(
        field_name="metals__fineness",
        label="Fineness",
        choices=_fineness_choices,
        to_many=True,
        dynamic=True,
    )
    price = ConditionFacet(label="Price", conditions=PRICE_BANDS)
    country = ChoiceFacet(
        field_name="artisan__country",
        label="Artisan's country",
        choices=_country_choices,
        dynamic=True,
    )
    technique = ChoiceFacet(
        field_name="techniques__slug",
        label="Technique",
        choices=_technique_choices,
        to_many=True,
        dynamic=True,
    )
    kind = ChoiceFacet(label="Kind", choices=Listing.Kind.choices)
    gemstone = ChoiceFacet(
        field_name="gemstones__nature",
        label="Gemstones",
        choices=Gemstone.Nature.choices,
        to_many=True,
    )
    hallmarked = HallmarkFacet(
        label="Hallmarked",
        conditions={
            value: (hallmarking.LABELS[status], partial(hallmark_status_q, status))
            for value, status in HALLMARK_VALUES.items()
        },
    )
    maker_mark = ConditionFacet(
        label="Maker's mark",
        conditions={"verified": ("Verified maker's mark", _maker_mark_verified)},
    )
    recycled = ConditionFacet(
        label="Recycled metal",
        conditions={
            "any": ("Some recycled metal", provenance_facets.recycled_any),
            "all": ("100% recycled metal", provenance_facets.recycled_all),
        },
    )
    chain = ConditionFacet(
        label="Origin chain",
        conditions={"verified": ("Chain verified", provenance_facets.chain_verified)},
    )
    rating = ConditionFacet(
        label="Artisan's rating",
        conditions={
            value: (label, Q(artisan__rating_average__gte=stars))
            for value, label, stars in RATING_BANDS
        },
    )
    metal_origin = MetalOriginFacet(
        label="Metal from", choices=_country_choices, dynamic=True
    )

    class Meta:
        model = Listing
        fields: list[str] = []

    @classmethod
    @functools.cache
    def _form_class(cls):
        return super().get_form_class(cls(queryset=Listing.objects.none()))

    def get_form_class(self):
        # The form's fields depend only on the declarations (choices given as
        # callables are read by each form's copy of its fields): made once per class
        # rather than on every request.
        return self._form_class()

    def facet_filters(self):
        return {
            name: f for name, f in self.filters.items() if getattr(f, "facet", False)
        }

    def filter_queryset(self, queryset, *, exclude: str | None = None):
        if not self.is_valid():
            return queryset
        for name, value in self.form.cleaned_data.items():
            if name == exclude:
                continue
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    @property
    def active(self) -> dict[str, list[str]]:
        """The facet values currently ticked, by facet."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {
            name: [str(v) for v in value]
            for name, value in self.form.cleaned_data.items()
            if value
        }
