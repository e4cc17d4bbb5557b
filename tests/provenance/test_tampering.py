"""Every way an insider with database access was seen to alter a piece's history, each
caught by all three checks: ``verify_chains``, ``verify_log`` and the standalone
verifier (``provenance/verifier.py``) run on the export served afterwards. Each names
the event (or record) and the field.

The tampering is done as such an insider would: SQL on the rows, re-hashing the chain
and rewriting the certificate's head and length where that hides the edit; never
through the services.
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from provenance import services, verifier
from provenance.models import (
    Certificate,
    Evidence,
    MaterialLot,
    TraceEvent,
)
from provenance.services.chain import chain_anchor_refresh
from provenance.services.transparency import checkpoint_publish
from provenance.services.verification import claim_transition, evidence_add
from tests import factories
from tests.provenance.tampering import delete_event, rehash_chain, sql

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(artisan, verifier):
    """A piece with a lab-grown heated stone, a hallmark, evidence on its verified
    lot, sold on to a buyer, under a published checkpoint."""
    listing = factories.ListingFactory(artisan=artisan, published=True)
    factories.MetalComponentFactory(listing=listing, weight_grams=Decimal("38"))
    factories.GemstoneFactory(listing=listing, nature="lab_grown", treatment="heat")
    factories.HallmarkRecordFactory(
        listing=listing, system="ccm", fineness_mark=925, assay_office="Jakarta"
    )
    lot = factories.recycled_silver_lot(artisan, origin_type="artisanal_mined")
    evidence_add(record=lot, actor=artisan.user, uploaded=factories.pdf_upload())
    claim_transition(record=lot, actor=artisan.user, action="submit")
    claim_transition(record=lot, actor=verifier, action="verify")
    services.piece_fabricate(
        actor=artisan.user,
        listing=listing,
        inputs=[(lot, Decimal("38.5"))],
        loss_grams=Decimal("0.5"),
    )
    buyer = factories.UserFactory()
    code = services.ownership_handover_start(
        actor=artisan.user, certificate=listing.certificate
    )
    services.ownership_claim(actor=buyer, code=code)
    checkpoint_publish()
    assert services.provenance_verify(listing).ok
    return listing, lot


# Each tampering: what it does, and what every check must name: the event (or
# record) and the field.


def rewrite_and_rehash(listing, lot):
    """The lot becomes recycled; every hash and the head are recomputed."""
    MaterialLot.objects.filter(pk=lot.pk).update(origin_type="recycled_post_consumer")
    rehash_chain(listing)
    origin = TraceEvent.objects.get(kind="origin", items__lot=lot)
    return f"trace_event/{origin.pk}", "items[0].lot.origin_type"


def delete_newest(listing, lot):
    newest = TraceEvent.objects.for_chain(listing).order_by("-id").first()
    delete_event(newest)
    chain_anchor_refresh(listing_ids=[listing.pk])
    return f"trace_event/{newest.pk}", "deleted"


def delete_ownership(listing, lot):
    """The change of owner disappears and the seller is the owner again."""
    ownership = TraceEvent.objects.for_chain(listing).get(kind="ownership")
    delete_event(ownership)
    Certificate.objects.filter(listing=listing).update(owner=listing.artisan.user)
    chain_anchor_refresh(listing_ids=[listing.pk])
    return f"trace_event/{ownership.pk}", "deleted"


def edit_hallmark(listing, lot):
    sql(
        "UPDATE marketplace_hallmarkrecord SET system = %s, assay_office = %s "
        "WHERE listing_id = %s",
        ["uk", "London", listing.pk],
    )
    return "claims", "hallmarks[0]"


def edit_metal(listing, lot):
    sql(
        "UPDATE marketplace_metalcomponent SET fineness = %s WHERE listing_id = %s",
        [999, listing.pk],
    )
    return "claims", "metals[0].fineness"


def edit_gemstone(listing, lot):
    sql(
        "UPDATE marketplace_gemstone SET nature = %s, treatment = %s "
        "WHERE listing_id = %s",
        ["natural", "none", listing.pk],
    )
    return "claims", "gemstones[0].nature"


def edit_lot_status(listing, lot):
    """A revoked lot set back to "verified" without a decision."""
    from tests.factories import VerifierFactory

    claim_transition(record=lot, actor=VerifierFactory(), action="revoke", reason="x")
    checkpoint_publish()
    sql(
        "UPDATE provenance_materiallot SET verification_status = %s WHERE id = %s",
        ["verified", lot.pk],
    )
    return "claims", "statuses["


def edit_evidence(listing, lot):
    evidence = Evidence.objects.get(object_id=lot.pk)
    sql(
        "UPDATE provenance_evidence SET sha256 = %s WHERE id = %s",
        ["0" * 64, evidence.pk],
    )
    return "claims", "evidence[0].sha256"


def take_over_owner(listing, lot):
    """Another account made the certificate's owner in the database."""
    certificate = Certificate.objects.get(listing=listing)
    Certificate.objects.filter(pk=certificate.pk).update(owner=factories.UserFactory())
    ownership = TraceEvent.objects.for_chain(listing).get(kind="ownership")
    # The certificate (its code) names the owner; its ownership event records another.
    return (f"trace_event/{ownership.pk}", certificate.code), "owner"


def backdate(listing, lot):
    """The lot's purchase moved to 2020 (before its certification), chain re-hashed."""
    origin = TraceEvent.objects.get(kind="origin", items__lot=lot)
    TraceEvent.objects.filter(pk=origin.pk).update(
        occurred_at=datetime(2020, 3, 1, tzinfo=UTC)
    )
    rehash_chain(listing)
    return f"trace_event/{origin.pk}", "occurred_at"


TAMPERINGS = [
    rewrite_and_rehash,
    delete_newest,
    delete_ownership,
    edit_hallmark,
    edit_metal,
    edit_gemstone,
    edit_lot_status,
    edit_evidence,
    take_over_owner,
    backdate,
]


def _verify_chains(capsys) -> str:
    call_command("verify_chains")
    return capsys.readouterr().out


def _verify_log(capsys) -> str:
    with pytest.raises(CommandError):
        call_command("verify_log")
    return capsys.readouterr().out


def _standalone(client, listing) -> str:
    code = Certificate.objects.get(listing=listing).code
    document = client.get(reverse("api:certificate-detail", args=[code])).json()
    keys = client.get(reverse("api:certificate-keys")).json()["keys"]
    report = verifier.verify(document, keys)
    assert not report.ok
    return "\n".join(report.problems)


@pytest.mark.parametrize("tamper", TAMPERINGS, ids=lambda t: t.__name__)
def test_every_check_names_the_tampered_event_and_field(client, world, tamper, capsys):
    listing, lot = world
    where, what = tamper(listing, lot)
    if where == "claims":
        claims = TraceEvent.objects.for_chain(listing).filter(kind="claims").last()
        where = f"trace_event/{claims.pk}"
    names = where if isinstance(where, tuple) else (where,)

    def named(text):
        return any(name in text for name in names)

    result = services.provenance_verify(listing)
    assert not result.ok
    chains = _verify_chains(capsys)
    assert "BROKEN" in chains and what in chains, chains
    if result.first_broken is not None:
        # The command names the event by its hash; it is the one tampered with.
        assert result.first_broken.hash[:12] in chains
        assert named(f"trace_event/{result.first_broken.pk}"), result
    else:
        assert named(chains), chains

    log = _verify_log(capsys)
    assert named(log) and what in log, log

    standalone = _standalone(client, listing)
    assert named(standalone) and what in standalone, standalone
