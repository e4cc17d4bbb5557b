"""One service records every kind of event: the studio, the API and the demo share its
requirements, so a missing field is the same field error wherever it is left out."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from provenance.models import Certificate, Party, TraceEvent
from provenance.services.events import MISSING, REQUIRED_FIELDS, event_record
from tests import factories
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(artisan, piece):
    """A complete, valid set of fields for each kind of event."""
    listing, lot = piece
    new_piece = factories.ListingFactory(artisan=artisan, published=True)
    factories.MetalComponentFactory(listing=new_piece, weight_grams=Decimal("8.5"))
    return {
        "transformation": {
            "listing": new_piece,
            "inputs": [(lot, Decimal("8.9"))],
            "loss_grams": Decimal("0.4"),
            "process": "casting",
        },
        "assay": {
            "listing": listing,
            "assay_office": factories.PartyFactory(kind="assay_office"),
        },
        "certification": {
            "certification": factories.CertificationFactory(artisan=artisan),
            "lot": lot,
        },
        "transfer": {
            "lot": lot,
            "to_party": factories.PartyFactory(kind="refiner"),
        },
        "repair": {"listing": listing, "note": "New clasp soldered on."},
        "correction": {
            "corrects": TraceEvent.objects.get(items__lot=lot, kind="origin"),
            "note": "The bar number is CK-2292.",
        },
    }


CASES = [(kind, name) for kind, names in REQUIRED_FIELDS.items() for name in names]


def _as_json(fields: dict) -> dict:
    data = {}
    for name, value in fields.items():
        if name == "inputs":
            data[name] = [{"lot": lot.pk, "grams": str(g)} for lot, g in value]
        elif hasattr(value, "pk"):
            data[name] = value.pk
        else:
            data[name] = str(value)
    return data


def test_every_kind_records_through_the_one_service(scene, artisan):
    for kind, fields in scene.items():
        event = event_record(actor=artisan.user, kind=kind, **fields)
        assert event.kind == kind and len(event.hash) == 64


def test_making_a_piece_through_the_service_issues_its_certificate(scene, artisan):
    fields = scene["transformation"]
    event_record(actor=artisan.user, kind="transformation", **fields)
    certificate = Certificate.objects.get(listing=fields["listing"])
    assert certificate.chain_verified is True and certificate.chain_length == 4


@pytest.mark.parametrize(("kind", "missing"), CASES)
def test_a_missing_field_is_the_same_field_error_in_the_service_and_the_api(
    scene, artisan, kind, missing
):
    fields = {k: v for k, v in scene[kind].items() if k != missing}
    before = TraceEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        event_record(actor=artisan.user, kind=kind, **fields)
    assert error.value.message_dict == {missing: [MISSING[missing]]}
    response = api_client_for(artisan.user).post(
        reverse("api:event-list"), {"kind": kind, **_as_json(fields)}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {missing: [MISSING[missing]]}
    assert TraceEvent.objects.count() == before


def test_every_missing_field_is_named_at_once(artisan):
    with pytest.raises(ValidationError) as error:
        event_record(actor=artisan.user, kind="transformation")
    assert set(error.value.message_dict) == {"listing", "inputs", "loss_grams"}
    response = api_client_for(artisan.user).post(
        reverse("api:event-list"), {"kind": "transformation"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"listing", "inputs", "loss_grams"}


def test_no_loss_is_an_answer_an_empty_list_of_lots_is_not(scene, artisan):
    fields = {**scene["transformation"], "inputs": []}
    with pytest.raises(ValidationError) as error:
        event_record(actor=artisan.user, kind="transformation", **fields)
    assert error.value.message_dict == {"inputs": [MISSING["inputs"]]}
    response = api_client_for(artisan.user).post(
        reverse("api:event-list"),
        {"kind": "transformation", **_as_json(fields)},
        format="json",
    )
    assert response.json() == {"inputs": [MISSING["inputs"]]}
    # 0 g of loss passes the requirement; the mass balance is the next rule.
    fields = {**scene["transformation"], "loss_grams": Decimal("0")}
    with pytest.raises(ValidationError) as error:
        event_record(actor=artisan.user, kind="transformation", **fields)
    assert "loss_grams" in error.value.message_dict
    assert error.value.message_dict["loss_grams"] != [MISSING["loss_grams"]]


@pytest.mark.parametrize("kind", ["origin", "ownership", "teleport"])
def test_kinds_recorded_elsewhere_are_refused(artisan, kind):
    with pytest.raises(ValidationError) as error:
        event_record(actor=artisan.user, kind=kind)
    assert "kind" in error.value.message_dict


def test_the_kinds_rules_still_apply_after_the_requirements(scene, other_artisan):
    # Complete fields are not enough: the kind's service still checks who asks.
    with pytest.raises(ValidationError) as error:
        event_record(actor=other_artisan.user, kind="repair", **scene["repair"])
    assert "listing" in error.value.message_dict


# --- The studio's forms show the service's errors ---------------------------------------


@pytest.fixture
def studio(client, artisan):
    client.force_login(artisan.user)
    return client


def _fabricate_post(fields: dict) -> dict:
    data = {"process": fields.get("process", "casting")}
    if "listing" in fields:
        data["listing"] = fields["listing"].pk
    for n, (lot, grams) in enumerate(fields.get("inputs", []), start=1):
        data[f"lot_{n}"], data[f"grams_{n}"] = lot.pk, str(grams)
    if "loss_grams" in fields:
        data["loss_grams"] = str(fields["loss_grams"])
    return data


@pytest.mark.parametrize("missing", REQUIRED_FIELDS["transformation"])
def test_the_fabrication_form_shows_the_services_error(scene, studio, missing):
    fields = {k: v for k, v in scene["transformation"].items() if k != missing}
    before = TraceEvent.objects.count()
    response = studio.post(
        reverse("provenance:studio-fabricate"), _fabricate_post(fields)
    )
    assert response.status_code == 200
    form = response.context["form"]
    where = missing if missing in form.fields else "__all__"
    assert form.errors[where] == [MISSING[missing]]
    assert MISSING[missing] in response.content.decode()
    assert TraceEvent.objects.count() == before
    assert not Certificate.objects.filter(
        listing=scene["transformation"]["listing"]
    ).exists()


@pytest.mark.parametrize("missing", REQUIRED_FIELDS["assay"])
def test_the_hallmarking_form_shows_the_services_error(scene, studio, missing):
    fields = scene["assay"]
    data = {"listing": fields["listing"].pk, "assay_office": fields["assay_office"].pk}
    if missing == "listing":
        # A new assay office named on the form is not kept when the event fails.
        data = {"new_assay_office_name": "Sheffield Assay Office"}
    else:
        del data[missing]
    before = TraceEvent.objects.count()
    response = studio.post(reverse("provenance:studio-hallmarking"), data)
    assert response.status_code == 200
    assert response.context["form"].errors[missing] == [MISSING[missing]]
    assert TraceEvent.objects.count() == before
    assert not Party.objects.filter(name="Sheffield Assay Office").exists()


def test_the_correction_form_shows_the_services_error(studio, piece):
    _listing, lot = piece
    origin = TraceEvent.objects.get(items__lot=lot, kind="origin")
    response = studio.post(
        reverse("provenance:studio-event-correct", args=[origin.pk]), {"note": " "}
    )
    assert response.status_code == 400
    assert response.context["correction_form"].errors["note"] == [
        "Say what was wrong and what is right."
    ]
    assert not TraceEvent.objects.filter(kind="correction").exists()


def test_the_studio_records_through_the_service(scene, studio, artisan):
    fields = scene["transformation"]
    response = studio.post(
        reverse("provenance:studio-fabricate"),
        {**_fabricate_post(fields), "made_on": timezone.now().date().isoformat()},
    )
    event = TraceEvent.objects.get(
        kind="transformation", items__listing=fields["listing"]
    )
    assert response.status_code == 302 and response.url == event.get_absolute_url()
    assert Certificate.objects.filter(listing=fields["listing"]).exists()
