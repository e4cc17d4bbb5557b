"""The chain API: create and read only, scoped to the artisan asking."""

import pytest
from django.urls import reverse

from provenance.models import MaterialLot, TraceEvent
from tests import factories
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def _purchase(supplier, **overrides):
    data = {
        "supplier": supplier.pk,
        "reference": "API-1",
        "material": "metal",
        "metal": "silver",
        "fineness": 999,
        "mass_grams": "50.000",
        "origin_type": "recycled_pre_consumer",
        "origin_country": "DE",
    }
    data.update(overrides)
    return data


def test_an_artisan_records_a_purchase_over_the_api(artisan):
    client = api_client_for(artisan.user)
    supplier = factories.PartyFactory()
    response = client.post(reverse("api:lot-list"), _purchase(supplier), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["remaining_grams"] == "50.000"
    assert body["assurance_level"] == "declared"
    assert body["custodian"]["kind"] == "workshop"
    listed = client.get(reverse("api:lot-list")).json()
    assert [lot["reference"] for lot in listed["results"]] == ["API-1"]


def test_bad_purchase_input_is_a_400_with_field_errors(artisan):
    client = api_client_for(artisan.user)
    supplier = factories.PartyFactory()
    response = client.post(
        reverse("api:lot-list"), _purchase(supplier, fineness=926), format="json"
    )
    assert response.status_code == 400 and "fineness" in response.json()
    response = client.post(
        reverse("api:lot-list"), _purchase(supplier, mass_grams="-3"), format="json"
    )
    assert response.status_code == 400 and "mass_grams" in response.json()
    assert not MaterialLot.objects.exists()


def test_a_buyer_cannot_record_lots_and_anonymous_must_log_in(user, api_client):
    supplier = factories.PartyFactory()
    response = api_client_for(user).post(
        reverse("api:lot-list"), _purchase(supplier), format="json"
    )
    assert response.status_code == 403
    assert api_client.get(reverse("api:lot-list")).status_code == 401
    assert not MaterialLot.objects.exists()


def test_another_artisan_cannot_read_or_extend_my_lots(artisan, other_artisan, piece):
    _listing, lot = piece
    event = TraceEvent.objects.filter(items__lot=lot).first()
    theirs = api_client_for(other_artisan.user)
    assert theirs.get(reverse("api:lot-detail", args=[lot.pk])).status_code == 404
    assert theirs.get(reverse("api:event-detail", args=[event.pk])).status_code == 404
    assert theirs.get(reverse("api:lot-list")).json()["count"] == 0
    assert theirs.post(reverse("api:lot-submit", args=[lot.pk])).status_code == 404
    mine = api_client_for(artisan.user).post(reverse("api:lot-submit", args=[lot.pk]))
    assert mine.status_code == 200 and mine.json()["verification_status"] == "submitted"
    listing = factories.ListingFactory(artisan=other_artisan)
    factories.MetalComponentFactory(listing=listing)
    response = theirs.post(
        reverse("api:event-list"),
        {
            "kind": "transformation",
            "listing": listing.pk,
            "inputs": [{"lot": lot.pk, "grams": "8.9"}],
            "loss_grams": "0.4",
        },
        format="json",
    )
    assert response.status_code == 400 and "inputs" in response.json()
    assert TraceEvent.objects.filter(kind="transformation").count() == 1


def test_events_are_created_through_the_api_and_cannot_be_changed(artisan):
    client = api_client_for(artisan.user)
    lot = factories.recycled_silver_lot(artisan, grams="100")
    listing = factories.ListingFactory(artisan=artisan, published=True)
    factories.MetalComponentFactory(listing=listing)
    response = client.post(
        reverse("api:event-list"),
        {
            "kind": "transformation",
            "listing": listing.pk,
            "inputs": [{"lot": lot.pk, "grams": "8.9"}],
            "loss_grams": "0.4",
            "process": "casting",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    event = response.json()
    assert event["kind"] == "transformation" and len(event["hash"]) == 64
    url = reverse("api:event-detail", args=[event["id"]])
    assert client.patch(url, {"note": "edited"}, format="json").status_code == 405
    assert client.put(url, {"note": "edited"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    assert TraceEvent.objects.get(pk=event["id"]).note == ""


def test_an_event_missing_its_kinds_fields_is_a_400(artisan):
    client = api_client_for(artisan.user)
    response = client.post(
        reverse("api:event-list"), {"kind": "transformation"}, format="json"
    )
    assert response.status_code == 400 and "listing" in response.json()
    response = client.post(
        reverse("api:event-list"), {"kind": "teleport"}, format="json"
    )
    assert response.status_code == 400 and "kind" in response.json()


def test_a_correction_over_the_api(artisan, piece):
    _listing, lot = piece
    origin = TraceEvent.objects.get(items__lot=lot, kind="origin")
    response = api_client_for(artisan.user).post(
        reverse("api:event-list"),
        {"kind": "correction", "corrects": origin.pk, "note": "Bar CK-2292."},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["corrects"] == origin.pk


def test_parties_and_certifications_over_the_api(artisan, other_artisan):
    client = api_client_for(artisan.user)
    party = client.post(
        reverse("api:party-list"),
        {"kind": "refiner", "name": "Argor-Heraeus", "country": "CH"},
        format="json",
    )
    assert party.status_code == 201
    bad = client.post(
        reverse("api:party-list"), {"kind": "workshop", "name": "X"}, format="json"
    )
    assert bad.status_code == 400 and "kind" in bad.json()
    certification = client.post(
        reverse("api:certification-list"),
        {
            "scheme": "fairmined",
            "issuer": "Alliance for Responsible Mining",
            "number": "FM-2025-118",
            "issued_on": "2025-02-01",
            "valid_until": "2027-02-01",
        },
        format="json",
    )
    assert certification.status_code == 201
    pk = certification.json()["id"]
    assert (
        api_client_for(other_artisan.user)
        .get(reverse("api:certification-detail", args=[pk]))
        .status_code
        == 404
    )
    submitted = client.post(reverse("api:certification-submit", args=[pk]))
    assert submitted.status_code == 200
    assert submitted.json()["verification_status"] == "submitted"


def test_status_fields_are_not_writable(artisan):
    client = api_client_for(artisan.user)
    supplier = factories.PartyFactory()
    response = client.post(
        reverse("api:lot-list"),
        {
            **_purchase(supplier),
            "verification_status": "verified",
            "custodian": supplier.pk,
        },
        format="json",
    )
    assert response.status_code == 201
    lot = MaterialLot.objects.get()
    assert lot.verification_status == "draft" and lot.custodian.kind == "workshop"


def test_lot_list_api_query_budget(artisan, django_assert_max_num_queries):
    supplier = factories.PartyFactory()
    for n in range(30):
        factories.recycled_silver_lot(artisan, supplier=supplier, reference=f"B{n}")
    client = api_client_for(artisan.user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("api:lot-list"))
    assert response.json()["count"] == 30


def test_event_list_api_query_budget(artisan, django_assert_max_num_queries):
    supplier = factories.PartyFactory()
    for n in range(20):
        factories.recycled_silver_lot(artisan, supplier=supplier, reference=f"B{n}")
    client = api_client_for(artisan.user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("api:event-list"))
    assert response.json()["count"] == 40
