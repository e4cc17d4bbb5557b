"""The EPCIS 2.0 export: every demo certificate's document validates against GS1's
EPCIS 2.0 JSON schema with format checking, its event IDs are CBV 2.0 event hashes, and
a broken chain says so."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse
from jsonschema.validators import validator_for

from marketplace.demo import seed
from provenance import services
from provenance.epcis import (
    EVENT_TYPES,
    NAMESPACES,
    TOUCHSTONE_NS,
    _biz_step,
    epcis_events,
)
from provenance.epcis_hash import event_hash_id
from provenance.models import Certificate, TraceEvent
from tests import factories

pytestmark = pytest.mark.django_db

SCHEMA = json.loads(
    (Path(__file__).parent / "epcis" / "EPCIS-JSON-Schema.json").read_text()
)
CBV_BIZ_STEPS = set(SCHEMA["definitions"]["bizStep"]["anyOf"][1]["enum"])
CBV_DISPOSITIONS = set(SCHEMA["definitions"]["disposition"]["anyOf"][1]["enum"])


@pytest.fixture(scope="module")
def validator():
    """GS1's schema in the draft it declares, checking formats (date-time, uri)."""
    cls = validator_for(SCHEMA)
    cls.check_schema(SCHEMA)
    return cls(SCHEMA, format_checker=cls.FORMAT_CHECKER)


def _errors(validator, document) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def _epcis(client, listing) -> dict:
    response = client.get(
        reverse("api:certificate-epcis", args=[listing.certificate.code])
    )
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def demo_exports(django_db_setup, django_db_blocker, tmp_path_factory):
    """Every demo certificate's EPCIS export, from one seeding of the whole demo
    (rolled back afterwards): {code: (document, chain verified)}."""
    media = tmp_path_factory.mktemp("demo-media")
    exports = {}
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=media / "public", PRIVATE_MEDIA_ROOT=media / "private"
        ),
        transaction.atomic(),
    ):
        cache.clear()
        seed()
        client = Client()
        for certificate in Certificate.objects.order_by("code"):
            response = client.get(
                reverse("api:certificate-epcis", args=[certificate.code])
            )
            assert response.status_code == 200, certificate.code
            certificate.refresh_from_db()
            exports[certificate.code] = (response.json(), certificate.chain_verified)
        transaction.set_rollback(True)
    cache.clear()
    return exports


# --- The schema and its format checking --------------------------------------------------


def test_the_vendored_schema_is_gs1s_draft_7_schema(validator):
    assert SCHEMA["$id"] == "https://gs1.github.io/EPCIS/EPCIS-JSON-Schema.json"
    assert type(validator).__name__ == "Draft7Validator"
    source = (Path(__file__).parent / "epcis" / "SOURCE").read_text()
    assert "2b888befbc071e1c2d388e027b30149b3f51dcef" in source


def test_the_format_checker_really_checks_dates_and_uris(validator):
    checks = validator.format_checker.checkers
    assert {"date-time", "uri"} <= set(checks)
    assert not validator.format_checker.conforms("2024-13-45T99:00:00Z", "date-time")
    assert not validator.format_checker.conforms("not a uri", "uri")
    assert validator.format_checker.conforms("urn:touchstone:lot:1", "uri")
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-05-01T10:00:00.000Z",
        "epcisBody": {"eventList": []},
    }
    assert not _errors(validator, document)
    assert _errors(validator, document | {"creationDate": "yesterday"})
    bad_step = {
        "type": "ObjectEvent",
        "eventTime": "2024-05-01T10:00:00.000Z",
        "eventTimeZoneOffset": "+00:00",
        "epcList": [],
        "action": "OBSERVE",
        "bizStep": "transforming",  # neither a CBV term nor a URI
    }
    assert _errors(validator, document | {"epcisBody": {"eventList": [bad_step]}})


# --- Every demo export --------------------------------------------------------------------


def test_every_demo_export_validates_against_gs1s_schema(validator, demo_exports):
    assert len(demo_exports) >= 30
    invalid = {
        code: errors[:3]
        for code, (document, _ok) in demo_exports.items()
        if (errors := _errors(validator, document))
    }
    assert not invalid
    events = [
        event
        for document, _ok in demo_exports.values()
        for event in document["epcisBody"]["eventList"]
    ]
    kinds = {event["touchstone:kind"] for event in events}
    assert kinds >= {"origin", "transfer", "transformation", "assay", "ownership"}


def test_every_kind_of_event_has_an_epcis_type_and_a_business_step():
    assert set(EVENT_TYPES) == set(TraceEvent.Kind)
    for kind in TraceEvent.Kind:
        event = TraceEvent(kind=kind, biz_step=TraceEvent.BizStep.OTHER)
        step = _biz_step(event)
        assert step in CBV_BIZ_STEPS or step.startswith(f"{TOUCHSTONE_NS}bizstep/")


def test_every_demo_event_id_is_its_cbv_event_hash(demo_exports):
    for document, _ok in demo_exports.values():
        assert document["@context"][1] == NAMESPACES
        namespaces = document["@context"][1]
        for event in document["epcisBody"]["eventList"]:
            assert event["eventID"] == event_hash_id(event, namespaces)
            assert event["eventID"] != f"ni:///sha-256;{event['touchstone:chainHash']}"


def test_demo_events_use_cbv_terms_or_our_own_uris_and_no_zero_quantity(demo_exports):
    for document, _ok in demo_exports.values():
        for event in document["epcisBody"]["eventList"]:
            step = event["bizStep"]
            assert step in CBV_BIZ_STEPS or step.startswith(TOUCHSTONE_NS)
            assert event.get("disposition", "active") in CBV_DISPOSITIONS
            for key in ("readPoint", "bizLocation"):
                if key in event:
                    assert event[key]["id"].startswith(f"{TOUCHSTONE_NS}locations/")
            for key in ("quantityList", "inputQuantityList"):
                for element in event.get(key, []):
                    assert element.get("quantity", 1) > 0


def test_the_demos_broken_chain_is_flagged_in_its_export(demo_exports):
    flags = {
        code: (document["touchstone:chainVerified"], verified)
        for code, (document, verified) in demo_exports.items()
    }
    assert all(flag == verified for flag, verified in flags.values())
    broken = [code for code, (flag, _v) in flags.items() if not flag]
    assert len(broken) == 1
    document, _ok = demo_exports[broken[0]]
    assert document["touchstone:chainProblem"]
    first = document["touchstone:firstBrokenEvent"]
    event = next(e for e in document["epcisBody"]["eventList"] if e["eventID"] == first)
    assert event["touchstone:kind"] == "transformation"


# --- One piece's export --------------------------------------------------------------------


def _raw_update(table: str, column: str, value, pk: int) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE id = %s",  # noqa: S608
            [value, pk],
        )


def test_a_pieces_export_maps_each_step_to_cbv(client, artisan, piece, validator):
    listing, lot = piece
    office = factories.PartyFactory(kind="assay_office")
    services.piece_hallmark(actor=artisan.user, listing=listing, assay_office=office)
    document = _epcis(client, listing)
    assert not _errors(validator, document)
    exported = document["epcisBody"]["eventList"]
    by_kind = {e["touchstone:kind"]: e for e in exported}
    origin, receipt, making, assay, claims = (
        by_kind[kind]
        for kind in ("origin", "transfer", "transformation", "assay", "claims")
    )
    assert (origin["type"], origin["action"]) == ("ObjectEvent", "ADD")
    assert (origin["bizStep"], origin["disposition"]) == ("commissioning", "active")
    assert (receipt["bizStep"], receipt["disposition"]) == ("receiving", "in_progress")
    assert {s["type"] for s in receipt["sourceList"]} == {
        "owning_party",
        "possessing_party",
    }
    assert making["type"] == "TransformationEvent"
    assert (making["bizStep"], making["disposition"]) == ("assembling", "active")
    assert making["inputQuantityList"] == [
        {"epcClass": f"urn:touchstone:lot:{lot.pk}", "quantity": 8.9, "uom": "GRM"}
    ]
    assert making["outputEPCList"] == [f"urn:touchstone:piece:{listing.pk}"]
    assert making["touchstone:lossGrams"] == 0.4
    assert (assay["bizStep"], assay["disposition"]) == ("inspecting", "conformant")
    assert assay["readPoint"] == {"id": f"{TOUCHSTONE_NS}locations/{office.pk}"}
    assert claims["bizStep"] == f"{TOUCHSTONE_NS}bizstep/recording_claims"
    stored = {e.hash for e in TraceEvent.objects.all()}
    assert {e["touchstone:chainHash"] for e in exported} == stored
    before = exported[exported.index(assay) - 1]
    assert assay["touchstone:previous"] == [before["touchstone:chainHash"]]
    assert document["touchstone:chainVerified"] is True
    assert "touchstone:chainProblem" not in document
    assert document["@context"][1] == {"touchstone": TOUCHSTONE_NS}


def _loaded(event: TraceEvent) -> TraceEvent:
    """An event with what ``chain_events`` loads, for events outside a piece's chain."""
    event.loaded_items = list(event.items.select_related("lot"))
    event.loaded_parents = list(
        event.parent_links.values_list("parent", "parent__hash")
    )
    return event


def test_a_shipment_is_in_transit_at_no_business_location(artisan, validator):
    lot = factories.recycled_silver_lot(artisan)
    refiner = factories.PartyFactory(kind="refiner")
    shipped = services.lot_transfer(actor=artisan.user, lot=lot, to_party=refiner)
    (event,) = epcis_events([_loaded(shipped)])
    assert (event["bizStep"], event["disposition"]) == ("shipping", "in_transit")
    assert "readPoint" in event and "bizLocation" not in event
    # Custody moves; ownership does not.
    assert [s["type"] for s in event["sourceList"]] == ["possessing_party"]
    assert [d["type"] for d in event["destinationList"]] == ["possessing_party"]
    assert event["quantityList"] == [
        {
            "epcClass": f"urn:touchstone:lot:{lot.pk}",
            "quantity": float(lot.mass_grams),
            "uom": "GRM",
        }
    ]


def test_a_certification_uses_our_own_step_and_names_the_certificate(
    client, artisan, piece, validator
):
    listing, _lot = piece
    certification = factories.CertificationFactory(artisan=artisan)
    services.certification_attach(
        actor=artisan.user, certification=certification, listing=listing
    )
    document = _epcis(client, listing)
    assert not _errors(validator, document)
    certified = document["epcisBody"]["eventList"][-1]
    assert certified["bizStep"] == f"{TOUCHSTONE_NS}bizstep/certifying"
    assert certified["disposition"] == "conformant"
    assert certified["certificationInfo"] == (
        f"urn:touchstone:certification:{certification.pk}"
    )


def test_a_correction_has_no_zero_quantity_and_its_error_is_declared(
    client, artisan, piece, validator
):
    listing, lot = piece
    origin = TraceEvent.objects.get(kind="origin")
    correction = services.event_correct(
        actor=artisan.user, event=origin, note="The supplier's bar number was wrong."
    )
    document = _epcis(client, listing)
    assert not _errors(validator, document)
    events = {e["touchstone:chainHash"]: e for e in document["epcisBody"]["eventList"]}
    corrective = events[correction.hash]
    assert corrective["bizStep"] == f"{TOUCHSTONE_NS}bizstep/correcting"
    assert corrective["quantityList"] == [{"epcClass": f"urn:touchstone:lot:{lot.pk}"}]
    assert corrective["touchstone:corrects"] == origin.hash
    declared = events[origin.hash]["errorDeclaration"]
    assert declared["reason"] == "incorrect_data"
    assert declared["correctiveEventIDs"] == [corrective["eventID"]]
    # Declaring the error leaves the corrected event's ID as it was.
    assert events[origin.hash]["eventID"] == event_hash_id(
        events[origin.hash], NAMESPACES
    )


def test_an_event_id_does_not_change_when_its_claim_is_verified(client, piece):
    listing, _lot = piece
    before = _epcis(client, listing)
    making = TraceEvent.objects.get(kind="transformation")
    TraceEvent.objects.filter(pk=making.pk).update(verification_status="verified")
    after = _epcis(client, listing)
    ids = [[e["eventID"] for e in d["epcisBody"]["eventList"]] for d in (before, after)]
    assert ids[0] == ids[1]
    levels = {
        entry["touchstone:event"]: entry["touchstone:assuranceLevel"]
        for entry in after["touchstone:assurance"]
    }
    assert set(levels) == set(ids[1])
    assert "verified" in levels.values()


def test_a_broken_chains_export_is_flagged_and_names_the_event(
    client, piece, validator
):
    listing, _lot = piece
    making = TraceEvent.objects.get(kind="transformation")
    _raw_update("provenance_traceevent", "loss_grams", Decimal("0.100"), making.pk)
    document = _epcis(client, listing)
    assert not _errors(validator, document)
    assert document["touchstone:chainVerified"] is False
    assert "no longer matches its hash" in document["touchstone:chainProblem"]
    flagged = next(
        e
        for e in document["epcisBody"]["eventList"]
        if e["eventID"] == document["touchstone:firstBrokenEvent"]
    )
    assert flagged["touchstone:chainHash"] == making.hash
