"""The studio provenance pages: happy paths, wrong users and bad input."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from provenance.models import Certification, MaterialLot, Party, TraceEvent
from tests import factories

pytestmark = pytest.mark.django_db

PDF = factories.pdf_bytes()


@pytest.fixture
def studio(client, artisan):
    client.force_login(artisan.user)
    return client


def _purchase_data(**overrides):
    data = {
        "new_supplier_name": "Cookson Precious Metals",
        "new_supplier_country": "GB",
        "reference": "CK-2291",
        "material": "metal",
        "metal": "silver",
        "fineness": "925",
        "mass_grams": "250",
        "origin_type": "recycled_post_consumer",
        "origin_country": "GB",
        "origin_place": "",
        "purchased_on": "",
        "note": "",
    }
    data.update(overrides)
    return data


def test_an_artisan_records_a_purchase_from_the_studio(studio, artisan):
    response = studio.post(reverse("provenance:studio-purchase"), _purchase_data())
    lot = MaterialLot.objects.get()
    assert response.status_code == 302 and response.url == lot.get_absolute_url()
    assert lot.artisan == artisan and lot.mass_grams == Decimal("250.000")
    assert Party.objects.filter(
        name="Cookson Precious Metals", kind="supplier"
    ).exists()
    page = studio.get(reverse("provenance:studio-lot-list")).content.decode()
    assert "CK-2291" in page and "250.000 g" in page


def test_a_bad_purchase_shows_errors_next_to_the_fields(studio):
    response = studio.post(
        reverse("provenance:studio-purchase"),
        _purchase_data(fineness="926", new_supplier_name=""),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose the supplier or name a new one." in page
    assert not MaterialLot.objects.exists()
    response = studio.post(
        reverse("provenance:studio-purchase"), _purchase_data(fineness="926")
    )
    assert "use one of 800, 925, 958, 999" in response.content.decode()
    assert not MaterialLot.objects.exists() and not Party.objects.exists()


def test_the_studio_needs_an_artisan(client, user):
    url = reverse("provenance:studio-lot-list")
    assert client.get(url).status_code == 302  # anonymous: log in
    client.force_login(user)
    assert client.get(url).status_code == 404
    assert (
        client.post(reverse("provenance:studio-purchase"), _purchase_data()).status_code
        == 404
    )
    assert not MaterialLot.objects.exists()


def test_another_artisan_cannot_open_or_extend_my_lot(client, artisan, other_artisan):
    lot = factories.recycled_silver_lot(artisan)
    event = TraceEvent.objects.filter(items__lot=lot).first()
    client.force_login(other_artisan.user)
    assert client.get(lot.get_absolute_url()).status_code == 404
    assert client.get(event.get_absolute_url()).status_code == 404
    for kind, pk in (("lots", lot.pk), ("events", event.pk)):
        assert (
            client.post(
                reverse("provenance:studio-claim-submit", args=[kind, pk])
            ).status_code
            == 404
        )
        assert (
            client.post(
                reverse("provenance:studio-claim-evidence", args=[kind, pk]),
                {"file": SimpleUploadedFile("c.pdf", PDF, "application/pdf")},
            ).status_code
            == 404
        )
    assert (
        client.post(
            reverse("provenance:studio-event-correct", args=[event.pk]), {"note": "x"}
        ).status_code
        == 404
    )
    # Their fabrication form does not offer my lot.
    form_page = client.get(reverse("provenance:studio-fabricate")).content.decode()
    assert lot.reference not in form_page
    listing = factories.ListingFactory(artisan=other_artisan)
    factories.MetalComponentFactory(listing=listing)
    response = client.post(
        reverse("provenance:studio-fabricate"),
        {
            "listing": listing.pk,
            "process": "casting",
            "lot_1": lot.pk,
            "grams_1": "8.9",
            "loss_grams": "0.4",
        },
    )
    assert response.status_code == 200
    assert not TraceEvent.objects.filter(kind="transformation").exists()


def test_an_artisan_records_a_casting_into_a_piece(studio, artisan):
    lot = factories.recycled_silver_lot(artisan, grams="100")
    listing = factories.ListingFactory(artisan=artisan, published=True)
    factories.MetalComponentFactory(listing=listing, weight_grams=Decimal("8.5"))
    response = studio.post(
        reverse("provenance:studio-fabricate"),
        {
            "listing": listing.pk,
            "process": "casting",
            "lot_1": lot.pk,
            "grams_1": "9.1",
            "loss_grams": "0.6",
        },
    )
    event = TraceEvent.objects.get(kind="transformation")
    assert response.status_code == 302 and response.url == event.get_absolute_url()
    assert listing.certificate.code
    page = studio.get(reverse("provenance:studio-lot-list")).content.decode()
    assert "90.900 g" in page


def test_a_casting_that_breaks_the_mass_balance_says_which_rule(studio, artisan):
    lot = factories.recycled_silver_lot(artisan, grams="100")
    listing = factories.ListingFactory(artisan=artisan, published=True)
    factories.MetalComponentFactory(listing=listing, weight_grams=Decimal("8.5"))
    response = studio.post(
        reverse("provenance:studio-fabricate"),
        {
            "listing": listing.pk,
            "process": "casting",
            "lot_1": lot.pk,
            "grams_1": "20",
            "loss_grams": "0.6",
        },
    )
    assert response.status_code == 200
    assert "should equal the piece" in response.content.decode()
    assert not TraceEvent.objects.filter(kind="transformation").exists()
    response = studio.post(
        reverse("provenance:studio-fabricate"),
        {
            "listing": listing.pk,
            "process": "casting",
            "lot_1": lot.pk,
            "grams_1": "200",
            "loss_grams": "0.6",
        },
    )
    assert "beyond its mass" in response.content.decode()


def test_hallmarking_from_the_studio(studio, artisan, piece):
    listing, _lot = piece
    response = studio.post(
        reverse("provenance:studio-hallmarking"),
        {"listing": listing.pk, "new_assay_office_name": "Birmingham Assay Office"},
    )
    assert response.status_code == 302
    assert TraceEvent.objects.filter(
        kind="assay", location__name="Birmingham Assay Office"
    ).exists()
    bad = studio.post(reverse("provenance:studio-hallmarking"), {"listing": listing.pk})
    assert bad.status_code == 200 and "Choose the assay office" in bad.content.decode()


def test_a_certification_with_its_evidence_file(studio, artisan):
    lot = factories.recycled_silver_lot(artisan)
    response = studio.post(
        reverse("provenance:studio-certification-create"),
        {
            "scheme": "scs_recycled",
            "issuer": "SCS Global Services",
            "number": "SCS-RC-0042",
            "issued_on": "2025-01-01",
            "valid_until": "2030-01-01",
            "evidence": SimpleUploadedFile("scs.pdf", PDF, "application/pdf"),
            "lot": lot.pk,
        },
    )
    assert response.status_code == 302
    certification = Certification.objects.get()
    assert certification.has_evidence and certification.assurance_level == "documented"
    assert len(certification.evidence.get().sha256) == 64
    assert TraceEvent.objects.filter(
        kind="certification", certification=certification
    ).exists()
    bad = studio.post(
        reverse("provenance:studio-certification-create"),
        {
            "scheme": "scs_recycled",
            "issuer": "SCS",
            "number": "1",
            "issued_on": "2025-01-01",
            "valid_until": "2024-01-01",
        },
    )
    assert bad.status_code == 200 and Certification.objects.count() == 1


def test_submit_a_lot_for_verification_and_attach_evidence(studio, artisan):
    lot = factories.recycled_silver_lot(artisan)
    studio.post(
        reverse("provenance:studio-claim-evidence", args=["lots", lot.pk]),
        {"file": SimpleUploadedFile("invoice.pdf", PDF, "application/pdf")},
    )
    studio.post(reverse("provenance:studio-claim-submit", args=["lots", lot.pk]))
    lot.refresh_from_db()
    assert lot.has_evidence and lot.verification_status == "submitted"
    bad = studio.post(
        reverse("provenance:studio-claim-evidence", args=["lots", lot.pk]),
        {"file": SimpleUploadedFile("x.exe", b"MZ....", "application/octet-stream")},
        follow=True,
    )
    assert bad.status_code == 200 and lot.evidence.count() == 1


def test_a_correction_from_the_event_page(studio, artisan):
    lot = factories.recycled_silver_lot(artisan)
    origin = TraceEvent.objects.get(items__lot=lot, kind="origin")
    response = studio.post(
        reverse("provenance:studio-event-correct", args=[origin.pk]),
        {"note": "Bar number is CK-2292."},
    )
    correction = TraceEvent.objects.get(kind="correction")
    assert response.status_code == 302 and correction.corrects == origin
    bad = studio.post(
        reverse("provenance:studio-event-correct", args=[origin.pk]), {"note": ""}
    )
    assert (
        bad.status_code == 400
        and TraceEvent.objects.filter(kind="correction").count() == 1
    )


def test_lot_list_query_budget(studio, artisan, django_assert_max_num_queries):
    supplier = factories.PartyFactory()
    for n in range(30):
        factories.recycled_silver_lot(artisan, supplier=supplier, reference=f"B{n}")
    with django_assert_max_num_queries(14):
        response = studio.get(reverse("provenance:studio-lot-list"))
    assert (
        response.status_code == 200
        and response.content.decode().count("100.000 g") >= 25
    )


def test_party_create_page(studio):
    response = studio.post(
        reverse("provenance:studio-party-create"),
        {
            "kind": "refiner",
            "name": "Umicore",
            "country": "BE",
            "place": "Hoboken",
            "registry_identifier": "",
        },
    )
    assert response.status_code == 302 and Party.objects.filter(name="Umicore").exists()
    bad = studio.post(
        reverse("provenance:studio-party-create"), {"kind": "workshop", "name": "Mine"}
    )
    assert bad.status_code == 200 and not Party.objects.filter(name="Mine").exists()


def test_admin_offers_no_change_or_delete_of_events(client, piece):
    _listing, lot = piece
    admin_user = factories.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    event = TraceEvent.objects.filter(items__lot=lot).first()
    change = reverse("admin:provenance_traceevent_change", args=[event.pk])
    page = client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    client.post(change, {"note": "rewritten"})
    delete = reverse("admin:provenance_traceevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.note == "" and TraceEvent.objects.filter(pk=event.pk).exists()


def test_lot_detail_query_budget(studio, artisan, piece, django_assert_max_num_queries):
    _listing, lot = piece
    from provenance.services import certification_attach

    for _n in range(25):
        certification_attach(
            actor=artisan.user,
            certification=factories.CertificationFactory(artisan=artisan),
            lot=lot,
        )
    with django_assert_max_num_queries(16):
        response = studio.get(lot.get_absolute_url())
    assert response.status_code == 200
    assert response.content.decode().count("Certification</a>") == 25
