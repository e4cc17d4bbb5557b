"""The hash format of trace events: versioned, recorded per event, named in exports."""

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace as NS

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from provenance import hashing, signing
from provenance.hashing import HashFormat, canonical_json, content_v1, content_v2
from provenance.models import Certificate, LogLeaf, TraceEvent
from provenance.services.chain import (
    chain_anchor_refresh,
    chain_events,
    piece_hallmark,
    piece_repair,
    provenance_verify,
)
from provenance.services.exports import (
    certificate_payload,
    certificate_view,
    verify_export,
)
from tests import factories
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def _set_version(event_pk: int, version: int) -> None:
    """Change an event's recorded format behind the application's back."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE provenance_traceevent SET hash_version = %s WHERE id = %s",
            [version, event_pk],
        )


def _digest_v3(content: dict) -> str:
    return hashlib.sha256(b"touchstone-v3\n" + canonical_json(content)).hexdigest()


def _content_v3(event, items, parent_hashes) -> dict:
    return {**content_v2(event, items, parent_hashes), "format": 3}


@pytest.fixture
def format_3(monkeypatch):
    """A further hash format, known to the code for the length of a test."""
    version_3 = HashFormat(version=3, content=_content_v3, digest=_digest_v3)
    monkeypatch.setitem(hashing.FORMATS, 3, version_3)
    return version_3


@pytest.fixture
def legacy_format(monkeypatch):
    """Events recorded while format 1 was current (request it before ``piece``)."""
    monkeypatch.setattr(hashing, "CURRENT_VERSION", 1)


def _rehash_in(listing, event: TraceEvent, version: int) -> str:
    """Re-hash a stored event in another format, and move the piece's anchor and the
    hash its log leaf names with it, as if it had been recorded in that format (the
    tree is left alone: inclusion proofs of that leaf no longer hold)."""
    _set_version(event.pk, version)
    loaded = next(e for e in chain_events(listing) if e.pk == event.pk)
    content = hashing.event_content(
        loaded, loaded.loaded_items, [h for _p, h in loaded.loaded_parents]
    )
    new_hash = hashing.content_hash(content, version=version)
    TraceEvent.objects.filter(pk=event.pk).update(hash=new_hash)
    LogLeaf.objects.of_object("trace_event", [event.pk]).update(
        object_hash=new_hash, content=content
    )
    chain_anchor_refresh(listing_ids=[listing.pk])
    return new_hash


# --- Format 1 ---------------------------------------------------------------------------


def _frozen_event():
    workshop = NS(
        pk=7,
        kind="workshop",
        name="Atelier Wüst",
        country="DE",
        registry_identifier="",
        place="Pforzheim",
    )
    supplier = NS(
        pk=3,
        kind="supplier",
        name="Cookson Precious Metals",
        country="GB",
        registry_identifier="GB-CH-00185765",
        place="Birmingham",
    )
    certification = NS(
        pk=11,
        scheme="scs_recycled",
        issuer="SCS Global Services",
        number="SCS-RC-4001",
        issued_on=datetime(2024, 5, 1).date(),
        valid_until=None,
    )
    lot = NS(
        pk=5,
        reference="CK-2291",
        material="metal",
        metal="silver",
        fineness=925,
        stone_species="",
        mass_grams=Decimal("250"),
        origin_type="recycled_post_consumer",
        origin_country="GB",
        origin_place="",
        origin_party_id=3,
    )
    event = NS(
        pk=42,
        kind="transformation",
        biz_step="transforming",
        occurred_at=datetime(2025, 3, 4, 10, 30, 15, 250, tzinfo=UTC),
        artisan_id=9,
        location=workshop,
        from_party=supplier,
        to_party=None,
        process="casting",
        loss_grams=Decimal("0.4"),
        note="Gegossen in Pforzheim — “à la main” ✓",
        certification=certification,
        hallmark_id=None,
        details={"hallmark": {"huid": "AB12CD", "fineness_mark": "925"}},
        corrects_id=None,
        owner_commitment="Owner #a3f9",
        hash_version=1,
    )
    items = [
        NS(role="output", lot_id=None, lot=None, listing_id=17, grams=Decimal("8.5")),
        NS(role="input", lot_id=5, lot=lot, listing_id=None, grams=Decimal("8.9")),
    ]
    return event, items, ["b" * 64, "a" * 64]


def test_format_1_hashes_the_same_bytes_as_the_chains_already_stored():
    # The digest of this event as chains recorded before formats were versioned
    # hashed it: format 1 must keep producing it, or stored chains stop verifying.
    event, items, parents = _frozen_event()
    content = hashing.event_content(event, items, parents)
    assert hashing.content_hash(content, version=1) == (
        "ec5910108c31bd6ba09e4faf31e6f5d32f2df3e19ffc68cc861bccffea648b46"
    )
    assert canonical_json(content).startswith(b'{"artisan":9,"biz_step":')


def test_every_recorded_event_names_format_2_which_adds_the_recording_time(
    piece, artisan
):
    listing, _lot = piece
    office = factories.PartyFactory(kind="assay_office")
    piece_hallmark(actor=artisan.user, listing=listing, assay_office=office)
    events = chain_events(listing)
    assert [e.hash_version for e in events] == [2, 2, 2, 2, 2]
    for event in events:
        content = content_v2(
            event, event.loaded_items, [h for _p, h in event.loaded_parents]
        )
        assert content["recorded_at"].endswith("Z")
        assert set(content) - set(content_v1(event, [], [])) == {"recorded_at"}
        assert event.hash == hashlib.sha256(canonical_json(content)).hexdigest()


def test_chains_recorded_in_format_1_still_verify(legacy_format, piece):
    listing, _lot = piece
    assert {e.hash_version for e in chain_events(listing)} == {1}
    assert provenance_verify(listing).ok


# --- Dispatch on the recorded version ---------------------------------------------------


def test_verification_recomputes_each_hash_in_the_format_its_event_records(
    piece, format_3
):
    listing, _lot = piece
    head = TraceEvent.objects.latest("id")
    new_hash = _rehash_in(listing, head, 3)
    assert new_hash != head.hash
    # A chain of format-2 events and a format-3 head verifies: each in its own format.
    assert provenance_verify(listing).ok
    # The same stored row read as format 2 does not match its hash.
    _set_version(head.pk, 2)
    result = provenance_verify(listing)
    assert not result.ok and result.first_broken == head
    assert "no longer matches its hash" in result.reason


def test_new_events_are_hashed_in_the_current_format(
    piece, artisan, format_3, monkeypatch
):
    listing, _lot = piece
    monkeypatch.setattr(hashing, "CURRENT_VERSION", 3)
    repair = piece_repair(actor=artisan.user, listing=listing, note="New clasp.")
    repair.refresh_from_db()
    assert repair.hash_version == 3
    loaded = next(e for e in chain_events(listing) if e.pk == repair.pk)
    assert repair.hash == _digest_v3(
        _content_v3(loaded, loaded.loaded_items, [h for _p, h in loaded.loaded_parents])
    )
    versions = sorted({e.hash_version for e in chain_events(listing)})
    assert versions == [2, 3] and provenance_verify(listing).ok


def test_an_unknown_version_is_reported_against_its_event(client, piece, capsys):
    listing, _lot = piece
    fabrication = TraceEvent.objects.get(kind="transformation")
    _set_version(fabrication.pk, 99)
    result = provenance_verify(listing)
    assert not result.ok and result.first_broken == fabrication
    assert "format version 99" in result.reason
    call_command("verify_chains")
    out = capsys.readouterr().out
    assert f"first broken link {fabrication.hash[:12]}" in out
    assert "format version 99" in out
    response = client.get(Certificate.objects.get(listing=listing).get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert "Chain does not verify" in page and fabrication.short_hash in page


def test_an_unknown_version_in_the_middle_stops_at_that_event(piece, artisan):
    listing, _lot = piece
    transfer = TraceEvent.objects.get(kind="transfer")
    _set_version(transfer.pk, 0)
    result = provenance_verify(listing)
    assert not result.ok and result.first_broken == transfer
    assert "format version 0" in result.reason


# --- Exports ----------------------------------------------------------------------------


def _payload(listing) -> dict:
    return certificate_payload(
        certificate_view(Certificate.objects.get(listing=listing))
    )


def test_the_signed_export_names_each_events_hash_format(piece):
    listing, _lot = piece
    payload = _payload(listing)
    assert payload["version"] == 7
    assert [e["hash_version"] for e in payload["events"]] == [2, 2, 2, 2]
    key = signing.private_key().public_key()
    assert verify_export(signing.sign(payload), key).ok


def test_the_offline_check_uses_the_version_each_event_names(piece, format_3):
    listing, _lot = piece
    _rehash_in(listing, TraceEvent.objects.latest("id"), 3)
    payload = _payload(listing)
    assert [e["hash_version"] for e in payload["events"]] == [2, 2, 2, 3]
    key = signing.private_key().public_key()
    # The chain verifies; the transparency log recorded the event's format-2 hash, so
    # re-hashing it in place is what the log's check rejects.
    check = verify_export(signing.sign(payload), key)
    assert check.chain_ok and not check.log_ok
    payload["events"][-1]["hash_version"] = 2
    check = verify_export(signing.sign(payload), key)
    assert not check.ok and "Event 4" in " ".join(check.problems)


def test_an_export_naming_an_unknown_version_is_rejected_not_crashed_on(piece):
    listing, _lot = piece
    payload = _payload(listing)
    payload["events"][1]["hash_version"] = 7
    check = verify_export(signing.sign(payload), signing.private_key().public_key())
    assert check.signature_ok and not check.chain_ok
    problems = " ".join(check.problems)
    assert "Event 2" in problems and "format version 7" in problems


def test_an_export_from_before_versions_is_checked_as_format_1(legacy_format, piece):
    listing, _lot = piece
    payload = _payload(listing)
    payload["version"] = 2
    for entry in payload["events"]:
        del entry["hash_version"]
    assert verify_export(signing.sign(payload), signing.private_key().public_key()).ok


def test_the_epcis_export_names_each_events_hash_format(client, piece):
    listing, _lot = piece
    response = client.get(
        reverse("api:certificate-epcis", args=[listing.certificate.code])
    )
    assert response.status_code == 200
    events = response.json()["epcisBody"]["eventList"]
    assert len(events) == 4
    assert all(event["touchstone:hashVersion"] == 2 for event in events)


def test_the_api_shows_the_version_an_event_was_hashed_with(piece, artisan):
    event = TraceEvent.objects.get(kind="transformation")
    response = api_client_for(artisan.user).get(
        reverse("api:event-detail", args=[event.pk])
    )
    assert response.status_code == 200 and response.json()["hash_version"] == 2


def test_a_chain_with_an_unknown_version_still_exports_and_fails_offline(client, piece):
    listing, _lot = piece
    fabrication = TraceEvent.objects.get(kind="transformation")
    _set_version(fabrication.pk, 99)
    response = client.get(
        reverse("api:certificate-detail", args=[listing.certificate.code])
    )
    assert response.status_code == 200
    document = response.json()
    chain = document["payload"]["chain"]
    assert chain["verified"] is False and chain["first_broken"] == fabrication.hash
    assert document["payload"]["events"][2]["hash_version"] == 99
    check = verify_export(document, signing.private_key().public_key())
    assert check.signature_ok and not check.chain_ok
    assert "Event 3" in " ".join(check.problems)
    assert "format version 99" in " ".join(check.problems)
