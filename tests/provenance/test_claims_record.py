"""Everything the certificate page claims is inside the record: an edit of any claimed
fact behind the application's back is reported with the field it changed, while the
same change through the services is recorded as a new event with its reason."""

from decimal import Decimal

import pytest
from django.db import connection

from provenance import services
from provenance.models import Evidence, TraceEvent
from provenance.services.verification import claim_transition, evidence_add
from tests import factories

pytestmark = pytest.mark.django_db


def _raw(sql: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def certified(artisan):
    """A made piece with a lab-grown, heated stone and evidence on its lot."""
    listing = factories.ListingFactory(artisan=artisan, published=True)
    factories.MetalComponentFactory(listing=listing, weight_grams=Decimal("38"))
    stone = factories.GemstoneFactory(
        listing=listing, nature="lab_grown", treatment="heat"
    )
    lot = factories.recycled_silver_lot(artisan)
    evidence_add(record=lot, actor=artisan.user, uploaded=factories.pdf_upload())
    services.piece_fabricate(
        actor=artisan.user,
        listing=listing,
        inputs=[(lot, Decimal("38.5"))],
        loss_grams=Decimal("0.5"),
    )
    assert services.provenance_verify(listing).ok
    return listing, lot, stone


@pytest.mark.parametrize(
    ("table", "column", "value", "field"),
    [
        ("marketplace_metalcomponent", "fineness", 999, "metals[0].fineness"),
        ("marketplace_metalcomponent", "weight_grams", "45", "metals[0].weight_grams"),
        ("marketplace_gemstone", "nature", "natural", "gemstones[0].nature"),
        ("marketplace_gemstone", "treatment", "none", "gemstones[0].treatment"),
    ],
)
def test_a_claimed_fact_edited_in_the_database_is_named(
    client, certified, table, column, value, field
):
    listing, _lot, stone = certified
    row = stone.pk if "gemstone" in table else listing.metals.get().pk
    _raw(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, row])  # noqa: S608
    result = services.provenance_verify(listing)
    assert not result.ok and field in result.reason
    assert result.first_broken.kind == "claims"
    page = client.get(listing.certificate.get_absolute_url()).content.decode()
    assert "Chain does not verify" in page and field in page


def test_an_evidence_hash_edited_in_the_database_is_named(certified):
    listing, lot, _stone = certified
    evidence = Evidence.objects.get(object_id=lot.pk)
    _raw(
        "UPDATE provenance_evidence SET sha256 = %s WHERE id = %s",
        ["0" * 64, evidence.pk],
    )
    result = services.provenance_verify(listing)
    assert not result.ok and "evidence[0].sha256" in result.reason


def test_a_status_set_without_a_recorded_decision_is_named(certified):
    listing, lot, _stone = certified
    _raw(
        "UPDATE provenance_materiallot SET verification_status = %s WHERE id = %s",
        ["verified", lot.pk],
    )
    result = services.provenance_verify(listing)
    assert not result.ok
    assert "statuses[0].status" in result.reason and "draft" in result.reason


def test_a_decision_through_the_workflow_keeps_the_chain_verified(
    certified, artisan, verifier
):
    listing, lot, _stone = certified
    claim_transition(record=lot, actor=artisan.user, action="submit")
    claim_transition(record=lot, actor=verifier, action="verify")
    assert services.provenance_verify(listing).ok


def test_new_evidence_through_the_service_is_recorded_with_its_reason(
    certified, artisan
):
    listing, lot, _stone = certified
    before = TraceEvent.objects.for_chain(listing).count()
    evidence_add(record=lot, actor=artisan.user, uploaded=factories.pdf_upload("b.pdf"))
    events = list(TraceEvent.objects.for_chain(listing).order_by("id"))
    assert len(events) == before + 1
    assert events[-1].kind == "claims" and events[-1].note == "Evidence was added."
    assert len(events[-1].details["claims"]["evidence"]) == 2
    assert services.provenance_verify(listing).ok


def test_nothing_is_recorded_when_nothing_claimed_changed(certified, artisan):
    listing, _lot, _stone = certified
    before = TraceEvent.objects.for_chain(listing).count()
    assert services.piece_claims_record(listing=listing, reason="No change.") is None
    assert TraceEvent.objects.for_chain(listing).count() == before
