"""DOMAIN rule 5, in one place: is a piece hallmarked, not hallmarked, or exempt?

A piece whose precious metal weighs more than the UK exemption weight (solid, hollow or
vermeil construction, per metal) needs a UK hallmark or a Common Control Mark for that
metal, from a record that was not rejected or revoked; without one it is shown as "not
hallmarked", never hidden. A piece that needs none is "hallmarked" if it carries one
anyway, else "exempt".

The rule is written once, as SQL expressions: the piece page reads them as annotations
(``hallmark_annotations``), and the catalogue's "Hallmarked" filter and its facet
counts use the same expressions (``hallmark_status_q``, ``hallmark_status_of``), so a
piece is counted under exactly the status its page shows.
"""

import functools
from decimal import Decimal

from django.db.models import (
    BooleanField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan

from marketplace.catalogue.models import HallmarkRecord, MetalComponent
from marketplace.materials import UK_EXEMPTION_GRAMS
from provenance.models import VerificationStatus

HALLMARKED, NOT_HALLMARKED, EXEMPT = "hallmarked", "not_hallmarked", "exempt"
LABELS = {
    HALLMARKED: "Hallmarked",
    NOT_HALLMARKED: "Not hallmarked",
    EXEMPT: "Below the hallmarking exemption weight",
}
UK_SYSTEMS = (HallmarkRecord.System.UK, HallmarkRecord.System.CCM)
WEIGHED_CONSTRUCTIONS = (
    MetalComponent.Construction.SOLID,
    MetalComponent.Construction.HOLLOW,
    MetalComponent.Construction.VERMEIL,
)
# Weights are kept to the milligram: "more than" the limit means at least half a
# milligram more, which keeps the comparison exact where a database sums in floats.
HALF_A_MILLIGRAM = Decimal("0.0005")


def _uk_marks(metal=None):
    records = HallmarkRecord.objects.filter(
        listing=OuterRef("pk"), system__in=UK_SYSTEMS
    ).exclude(
        verification_status__in=(
            VerificationStatus.REJECTED,
            VerificationStatus.REVOKED,
        )
    )
    return Exists(records.filter(metal=metal) if metal else records)


def _weight(metal):
    total = (
        MetalComponent.objects.filter(
            listing=OuterRef("pk"), metal=metal, construction__in=WEIGHED_CONSTRUCTIONS
        )
        .order_by()
        .values("listing")
        .annotate(total=Sum("weight_grams"))
        .values("total")[:1]
    )
    return Coalesce(
        Subquery(total, output_field=DecimalField()),
        Value(Decimal("0")),
        output_field=DecimalField(),
    )


def _missing(metal) -> Q:
    """This metal weighs more than its exemption weight and has no UK mark."""
    limit = UK_EXEMPTION_GRAMS[metal] + HALF_A_MILLIGRAM
    return Q(GreaterThan(_weight(metal), Value(limit))) & ~Q(_uk_marks(metal))


def _any_missing() -> Q:
    combined = Q()
    for metal in UK_EXEMPTION_GRAMS:
        combined |= _missing(metal)
    return combined


# The names ``hallmark_annotations`` gives its flags.
HALLMARK_FLAGS = (
    *(f"hallmark_missing_{metal}" for metal in UK_EXEMPTION_GRAMS),
    "hallmark_any",
)


@functools.cache
def _annotations() -> tuple:
    # Built once: a query resolves its own copy of each expression.
    flags = [
        ExpressionWrapper(_missing(metal), output_field=BooleanField())
        for metal in UK_EXEMPTION_GRAMS
    ]
    return tuple(zip(HALLMARK_FLAGS, [*flags, _uk_marks()], strict=True))


def hallmark_annotations() -> dict:
    """Per metal, whether its UK mark is missing; and whether any UK mark stands
    (named ``HALLMARK_FLAGS``)."""
    return dict(_annotations())


def status_from_flags(flags: dict) -> tuple[str, list[str]]:
    """The status, and the metals missing a mark, from ``hallmark_annotations``."""
    missing = [
        metal for metal in UK_EXEMPTION_GRAMS if flags[f"hallmark_missing_{metal}"]
    ]
    if missing:
        return NOT_HALLMARKED, missing
    return (HALLMARKED if flags["hallmark_any"] else EXEMPT), []


def hallmark_status_q(status: str) -> Q:
    """The pieces whose status is ``status``, as a filter."""
    if status == NOT_HALLMARKED:
        return _any_missing()
    marked = Q(_uk_marks())
    if status == HALLMARKED:
        return ~_any_missing() & marked
    return ~_any_missing() & ~marked


def hallmark_status_of(queryset):
    """(listing id, status) for every listing of ``queryset``, in one query."""
    annotations = hallmark_annotations()
    rows = queryset.order_by().annotate(**annotations).values("pk", *annotations)
    for row in rows.iterator():
        yield row["pk"], status_from_flags(row)[0]
