"""The CBV 2.0 EPCIS event hash ID, checked against the reference implementation's
published hashes (tests/provenance/epcis/SOURCE says where they come from)."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from provenance.epcis_hash import (
    canonical_number,
    canonical_time,
    check_digit,
    digital_link,
    event_hash_id,
    prehash_string,
)

REFERENCE = json.loads(
    (Path(__file__).parent / "epcis" / "reference-events.json").read_text()
)


@pytest.mark.parametrize(
    "case",
    REFERENCE["events"],
    ids=[f"{c['document']}[{c['position']}]" for c in REFERENCE["events"]],
)
def test_each_published_reference_event_gets_its_published_hash_id(case):
    namespaces = REFERENCE["namespaces"][case["document"]]
    assert event_hash_id(case["event"], namespaces) == case["hashID"]


def test_the_reference_cases_cover_every_kind_of_field_the_export_uses():
    fields = {key for case in REFERENCE["events"] for key in case["event"]}
    assert {
        "epcList",
        "quantityList",
        "inputQuantityList",
        "outputEPCList",
        "bizStep",
        "disposition",
        "readPoint",
        "bizLocation",
        "sourceList",
        "destinationList",
        "recordTime",
        "eventID",
    } <= fields
    assert any(
        key.startswith("example:") for c in REFERENCE["events"] for key in c["event"]
    ), "an event-level extension"


OBJECT_EVENT = {
    "type": "ObjectEvent",
    "eventTime": "2024-05-01T12:00:00.1234+02:00",
    "eventTimeZoneOffset": "+02:00",
    "epcList": ["urn:touchstone:piece:2", "urn:touchstone:piece:1"],
    "quantityList": [
        {"epcClass": "urn:touchstone:lot:9", "quantity": 8.90, "uom": "GRM"},
        {"epcClass": "urn:touchstone:lot:10"},
    ],
    "action": "OBSERVE",
    "bizStep": "inspecting",
    "disposition": "conformant",
    "readPoint": {"id": "https://touchstone.example/epcis/locations/3"},
    "t:chainHash": "ab12",
    "t:previous": ["ff", "0f"],
}
NAMESPACES = {"t": "https://touchstone.example/epcis/"}


def test_the_prehash_string_follows_the_canonical_order_and_rules():
    assert prehash_string(OBJECT_EVENT, NAMESPACES) == (
        "eventType=ObjectEvent"
        "eventTime=2024-05-01T10:00:00.123Z"
        "eventTimeZoneOffset=+02:00"
        "epcListepc=urn:touchstone:piece:1epc=urn:touchstone:piece:2"
        "quantityList"
        "quantityElementepcClass=urn:touchstone:lot:10"
        "quantityElementepcClass=urn:touchstone:lot:9quantity=8.9uom=GRM"
        "action=OBSERVE"
        "bizStep=https://ref.gs1.org/cbv/BizStep-inspecting"
        "disposition=https://ref.gs1.org/cbv/Disp-conformant"
        "readPointid=https://touchstone.example/epcis/locations/3"
        "{https://touchstone.example/epcis/}chainHash=ab12"
        "{https://touchstone.example/epcis/}previous=0f"
        "{https://touchstone.example/epcis/}previous=ff"
    )


def test_the_hash_id_is_sha256_of_the_prehash_string_in_an_ni_uri():
    import hashlib

    digest = hashlib.sha256(prehash_string(OBJECT_EVENT, NAMESPACES).encode())
    assert event_hash_id(OBJECT_EVENT, NAMESPACES) == (
        f"ni:///sha-256;{digest.hexdigest()}?ver=CBV2.0"
    )


def test_the_same_event_serialised_differently_hashes_alike():
    reordered = dict(reversed(list(OBJECT_EVENT.items())))
    reordered["epcList"] = list(reversed(OBJECT_EVENT["epcList"]))
    reordered["eventTime"] = "2024-05-01T10:00:00.123Z"
    reordered["bizStep"] = "urn:epcglobal:cbv:bizstep:inspecting"
    reordered["disposition"] = "https://ref.gs1.org/cbv/Disp-conformant"
    reordered["quantityList"][1] = {"epcClass": "urn:touchstone:lot:9", "quantity": 8.9}
    reordered["quantityList"][1]["uom"] = "GRM"
    # Fields the hash leaves out, and another prefix for the same namespace.
    reordered |= {
        "eventID": "ni:///sha-256;00?ver=CBV2.0",
        "recordTime": "2024-05-02T00:00:00Z",
        "certificationInfo": "urn:touchstone:certification:1",
        "errorDeclaration": {"declarationTime": "2024-05-03T00:00:00Z"},
    }
    renamed = {
        ("x:" + k[2:] if k.startswith("t:") else k): v for k, v in reordered.items()
    }
    assert event_hash_id(renamed, {"x": NAMESPACES["t"]}) == event_hash_id(
        OBJECT_EVENT, NAMESPACES
    )


@pytest.mark.parametrize(
    "change",
    [
        {"disposition": "active"},
        {"t:chainHash": "ab13"},
        {"readPoint": {"id": "https://touchstone.example/epcis/locations/4"}},
        {"t:note": "added"},
        {"eventTime": "2024-05-01T12:00:00.125+02:00"},
    ],
)
def test_any_change_of_a_value_or_a_field_changes_the_hash(change):
    assert event_hash_id(OBJECT_EVENT | change, NAMESPACES) != event_hash_id(
        OBJECT_EVENT, NAMESPACES
    )


@pytest.mark.parametrize(
    ("stamp", "canonical"),
    [
        ("2023-01-18T11:04:03.1415Z", "2023-01-18T11:04:03.142Z"),
        ("2023-01-18T11:04:03.1414Z", "2023-01-18T11:04:03.141Z"),
        ("2020-04-01T15:00:00+01:00", "2020-04-01T14:00:00.000Z"),
        ("2019-10-21T00:05:00-06:00", "2019-10-21T06:05:00.000Z"),
        ("2022-02-17T11:30:47.0Z", "2022-02-17T11:30:47.000Z"),
        ("2023-12-31T23:59:59.9996Z", "2024-01-01T00:00:00.000Z"),
    ],
)
def test_timestamps_become_utc_at_millisecond_precision(stamp, canonical):
    assert canonical_time(stamp) == canonical


def test_a_datetime_is_canonicalised_like_its_iso_form():
    moment = datetime(2024, 5, 1, 10, 0, 0, 123500, tzinfo=UTC)
    assert canonical_time(moment) == "2024-05-01T10:00:00.124Z"


@pytest.mark.parametrize(
    ("value", "canonical"),
    [(1.0, "1"), ("23.0", "23"), (0.3430, "0.343"), (600, "600"), ("12.500", "12.5")],
)
def test_numbers_lose_trailing_zeros(value, canonical):
    assert canonical_number(value) == canonical


@pytest.mark.parametrize(
    ("uri", "link"),
    [
        (
            "urn:epc:id:sgln:4012345.00000.5",
            "https://id.gs1.org/414/4012345000009/254/5",
        ),
        ("urn:epc:id:sgln:4012345.00012.0", "https://id.gs1.org/414/4012345000122"),
        (
            "urn:epc:id:sscc:4012345.1112223334",
            "https://id.gs1.org/00/140123451122233341",
        ),
        ("urn:epc:id:giai:4000001.111", "https://id.gs1.org/8004/4000001111"),
        (
            "https://example.com/gtin/9506000134352/lot/A1/ser/X?x=1",
            "https://id.gs1.org/01/09506000134352/21/X",
        ),
        ("https://touchstone.example/epcis/locations/3", None),
        ("urn:touchstone:lot:4", None),
    ],
)
def test_gs1_identifiers_become_canonical_digital_link_uris(uri, link):
    assert digital_link(uri) == (link or uri)


def test_the_gs1_check_digit():
    assert check_digit("401234500000") == "9"  # GLN 4012345000009
    assert check_digit("950600013435") == "2"  # GTIN 9506000134352
    assert check_digit("0950600013435") == "2"  # the same GTIN in 14 digits


@pytest.mark.parametrize(
    "event",
    [
        OBJECT_EVENT | {"sensorElementList": [{"sensorReport": [{"value": 1}]}]},
        OBJECT_EVENT | {"epcList": ["urn:epc:id:usdod:2S194.12345"]},
        OBJECT_EVENT | {"readPoint": {"id": "urn:x:1", "t:extra": "1"}},
    ],
)
def test_what_is_not_implemented_raises_rather_than_hash_wrongly(event):
    with pytest.raises(ValueError):
        event_hash_id(event, NAMESPACES)
