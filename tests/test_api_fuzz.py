"""Fuzz every API operation in-process from the live OpenAPI schema, as every role.

No operation may answer with a server error, and every documented response must match
the schema. Each generated request is sent anonymously, and then as a buyer, an
artisan or a verifier in turn (every operation meets all three) of a small world of
real records (an order, a commission, a
piece with its chain, a claim in the verification queue, a buyer's review). For the signed-in roles the
path's identifiers point at those records, so that the generated bodies reach past
the 404 into the serializers, the services and their rules.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from marketplace.orders import services as orders
from marketplace.reviews.services import review_create
from tests import factories as f
from tests.commissions.helpers import walk_to
from tests.orders.helpers import address_for, paid, placed

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
ROLES = ("buyer", "artisan", "verifier")

schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json", get_wsgi_application()
)


@dataclass
class World:
    """Real records, and each role's token."""

    tokens: dict[str, str]
    # The identifier to use after each collection's segment: /api/<segment>/{id}/.
    ids: dict[str, str] = field(default_factory=dict)
    # Signed-in requests made so far: each goes as the next role in turn.
    calls: int = 0

    def path_parameters(self, path: str, generated: dict) -> dict:
        """``generated`` with every parameter the world has a record for replaced."""
        values = dict(generated)
        for segment, name in re.findall(r"/([\w-]+)/\{(\w+)\}", path):
            if segment in self.ids:
                values[name] = self.ids[segment]
        return values


def build_world() -> World:
    from provenance.models import Review, TraceEvent

    artisan = f.ArtisanFactory(commission_status="open")
    buyer = f.UserFactory()
    verifier = f.VerifierFactory()

    piece, lot = f.fabricated_piece(artisan)
    gemstone = f.GemstoneFactory(listing=piece)
    hallmark = f.HallmarkRecordFactory(listing=piece)
    mark = f.MakerMarkFactory(artisan=artisan)
    f.submitted(mark)
    certification = f.CertificationFactory(artisan=artisan)
    f.submitted(certification, actor=artisan.user)

    # A delivered order passes the certificate of its piece to the buyer.
    sold = f.catalogue_listing(artisan=artisan)
    [order] = placed(buyer=buyer, listings=[piece, sold])
    paid(order)
    orders.order_ship(
        actor=artisan.user, order=order, carrier="Royal Mail", tracking_number="RM1"
    )
    orders.order_confirm_delivery(actor=buyer, order=order)
    in_basket = f.catalogue_listing(artisan=artisan)
    line = orders.basket_add(user=buyer, listing=in_basket)
    address = address_for(buyer)
    commission = walk_to("in_progress", buyer=buyer, artisan=artisan)
    favourite = f.FavouriteFactory(user=buyer, listing=in_basket)
    notification = f.NotificationFactory(user=buyer)
    price = f.MetalPriceFactory(as_of=timezone.localdate() - timedelta(days=1))
    piece.refresh_from_db()
    # One delivered line reviewed (to edit, reply to, report), one still to review.
    review = review_create(
        author=buyer,
        rating=4,
        title="Lovely",
        text="Well made.",
        order_line=order.lines.get(listing=sold),
    )

    return World(
        tokens={
            role: Token.objects.get_or_create(user=user)[0].key
            for role, user in (
                ("buyer", buyer),
                ("artisan", artisan.user),
                ("verifier", verifier),
            )
        },
        ids={
            "addresses": address.pk,
            "artisans": artisan.slug,
            "lines": line.pk,
            "certificates": piece.certificate.code,
            "commissions": commission.pk,
            "favourites": favourite.pk,
            "listings": piece.slug,
            "gemstones": gemstone.pk,
            "hallmarks": hallmark.pk,
            "metals": piece.metals.first().pk,
            "photos": f.ListingPhotoFactory(listing=piece).pk,
            "maker-marks": mark.pk,
            "metal-prices": price.pk,
            "notifications": notification.pk,
            "orders": order.number,
            "certifications": certification.pk,
            "events": TraceEvent.objects.filter(artisan=artisan).first().pk,
            "lots": lot.pk,
            "parties": f.proposed_party(artisan).pk,
            "verification": Review.objects.order_by("pk").first().pk,
            "reviews": review.pk,
        },
    )


@pytest.fixture
def in_process_requests():
    """Keep the test's connection open across WSGI requests, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, monkeypatch, in_process_requests):
    # Fuzzing sends many requests; throttling is tested elsewhere.
    for scope in ("anon", "user", "auth"):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, None)
    return build_world()


def test_the_world_gives_every_collection_a_record(world):
    """Every identifier in the schema's paths has a record, so no role fuzzes blind."""
    from rest_framework.test import APIClient

    segments = {
        segment
        for path in schema.raw_schema["paths"]
        for segment, _name in re.findall(r"/([\w-]+)/\{(\w+)\}", path)
    }
    assert segments <= set(world.ids)
    owners = {
        "orders": "buyer",
        "commissions": "artisan",
        "listings": "artisan",
        "maker-marks": "artisan",
        "verification": "verifier",
        "reviews": "buyer",
        "addresses": "buyer",
    }
    for segment, role in owners.items():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens[role]}")
        path = next(p for p in schema.raw_schema["paths"] if f"/{segment}/{{" in p)
        url = re.sub(
            r"\{(\w+)\}",
            lambda _m, segment=segment: str(world.ids[segment]),
            path.split("}")[0] + "}/",
        )
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_never_errors_and_matches_its_schema(case, world):
    # Anonymously as generated; then as the next role in turn, on the world's records.
    case.call_and_validate(checks=CHECKS)
    role = ROLES[world.calls % len(ROLES)]
    world.calls += 1
    generated = dict(case.path_parameters or {})
    case.path_parameters = world.path_parameters(case.path, generated)
    try:
        case.call_and_validate(
            checks=CHECKS, headers={"Authorization": f"Token {world.tokens[role]}"}
        )
    finally:
        case.path_parameters = generated
