"""Reads for the verifiers' review queue, generic over every ``Verifiable`` model.

A new kind of claim joins the queue by inheriting ``Verifiable``: nothing here names a
concrete model. Content objects are fetched once per content type, with their forward
foreign keys joined, and evidence in one query, so the queue's query count stays flat.
"""

from collections import defaultdict
from functools import cache

from django.apps import apps
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db import models
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404
from django.template import TemplateDoesNotExist
from django.template.loader import select_template

from config.models import RatedModel
from marketplace.accounts.roles import is_verifier
from provenance.models import (
    Evidence,
    Review,
    ReviewEvent,
    Verifiable,
    VerificationStatus,
)
from provenance.models.verification import AWAITING_REVIEW

WAITING = "waiting"
WAITING_STATUSES = (*AWAITING_REVIEW, VerificationStatus.NEEDS_INFORMATION)


def verifiable_models() -> list[type]:
    """Every concrete model that goes through the verification workflow."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, Verifiable) and not model._meta.abstract
    ]


def review_kinds() -> list[tuple[str, str]]:
    """(model name, human label) of each kind of claim, for the queue's kind filter."""
    return sorted(
        (
            model._meta.model_name,
            str(getattr(model, "verification_kind", model._meta.verbose_name)),
        )
        for model in verifiable_models()
    )


def _claim_queryset(model) -> QuerySet:
    related = [
        field.name
        for field in model._meta.concrete_fields
        if field.is_relation and field.many_to_one
    ]
    return model._base_manager.select_related(*related)


def _content_prefetch() -> GenericPrefetch:
    return GenericPrefetch(
        "content_object", [_claim_queryset(model) for model in verifiable_models()]
    )


def review_list(
    *, user, kind: str | None = None, status: str | None = WAITING
) -> QuerySet[Review]:
    """The queue a verifier sees, oldest first; nobody else sees any review."""
    if not is_verifier(user):
        return Review.objects.none()
    kinds = {name for name, _label in review_kinds()}
    queryset = Review.objects.exclude(status=VerificationStatus.DRAFT).filter(
        content_type__model__in=kinds
    )
    if kind:
        queryset = queryset.of_kind(kind)
    if status == WAITING:
        queryset = queryset.filter(status__in=WAITING_STATUSES)
    elif status:
        queryset = queryset.filter(status=status)
    return queryset.select_related(
        "content_type", "artisan", "submitted_by", "reviewer"
    ).order_by("submitted_at", "id")


def review_get(*, user, pk: int) -> Review:
    """One review with its claim, history and evidence; a 404 for anyone but verifiers."""
    if not is_verifier(user):
        raise Http404("No such review.")
    queryset = Review.objects.select_related(
        "content_type", "artisan", "submitted_by", "reviewer"
    ).prefetch_related(
        _content_prefetch(),
        Prefetch(
            "events",
            queryset=ReviewEvent.objects.select_related("actor").order_by(
                "created_at", "id"
            ),
        ),
    )
    try:
        review = queryset.get(pk=pk)
    except Review.DoesNotExist as error:
        raise Http404("No such review.") from error
    if review.content_object is None:
        raise Http404("The claim under review no longer exists.")
    attach_claims([review], prefetched=True)
    review.claim_rows = claim_fields(review.claim)
    return review


def attach_claims(reviews, *, prefetched: bool = False, events: bool = False) -> list:
    """Give each review ``claim``, ``evidence_items`` and ``claim_template``, in bulk."""
    reviews = list(reviews)
    if not reviews:
        return reviews
    if not prefetched:
        lookups = [_content_prefetch()]
        if events:
            lookups.append(
                Prefetch(
                    "events",
                    queryset=ReviewEvent.objects.select_related("actor").order_by(
                        "created_at", "id"
                    ),
                )
            )
        prefetch_related_objects(reviews, *lookups)
    by_type = defaultdict(set)
    for review in reviews:
        by_type[review.content_type_id].add(review.object_id)
    condition = Q()
    for content_type_id, ids in by_type.items():
        condition |= Q(content_type_id=content_type_id, object_id__in=ids)
    evidence = defaultdict(list)
    for item in Evidence.objects.filter(condition).order_by("created_at", "id"):
        evidence[(item.content_type_id, item.object_id)].append(item)
    for review in reviews:
        review.claim = review.content_object
        review.evidence_items = evidence[(review.content_type_id, review.object_id)]
        review.claim_template = claim_template(review.content_type.model)
    return reviews


@cache
def claim_template(model_name: str) -> str:
    """The kind's own template when it exists, else the generic field list."""
    try:
        return select_template(
            [
                f"provenance/review/kinds/{model_name}.html",
                "provenance/review/kinds/_generic.html",
            ]
        ).template.name
    except TemplateDoesNotExist:  # pragma: no cover - the generic template ships
        return "provenance/review/kinds/_generic.html"


HIDDEN_FIELDS = {
    "id",
    "verification_status",
    "verified_at",
    "has_evidence",
    # Kept rating figures come from buyers' reviews, not from the claim.
    *(field.name for field in RatedModel._meta.local_fields),
}


def claim_fields(claim) -> list[tuple[str, object, str]]:
    """A readable (label, value, kind) list of a claim's own fields for the generic view.

    ``kind`` is "file" for stored files (the value is the field file), else "text".
    """
    rows = []
    for field in claim._meta.concrete_fields:
        if field.name in HIDDEN_FIELDS or field.name.endswith("thumbnail"):
            continue
        label = str(field.verbose_name).capitalize()
        if field.is_relation:
            value = getattr(claim, field.name)
            rows.append((label, value if value is not None else "—", "text"))
            continue
        value = getattr(claim, field.attname)
        if isinstance(field, models.FileField):
            rows.append((label, value if value else "—", "file" if value else "text"))
            continue
        if field.choices:
            value = getattr(claim, f"get_{field.name}_display")()
        elif hasattr(field, "countries"):
            value = value.name if value else ""
        if value in (None, ""):
            value = "—"
        elif isinstance(value, bool):
            value = "Yes" if value else "No"
        rows.append((label, value, "text"))
    return rows
