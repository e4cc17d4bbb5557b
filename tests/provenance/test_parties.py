"""Shared parties need verification: a proposal is its artisan's alone until accepted.

Another artisan's unverified party is neither offered nor accepted by id (services,
studio forms, API), a verified one is offered to everyone, and the review queue decides
with a recorded reason. The certificate shows each party's kind and assurance.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from provenance import services
from provenance.models import MaterialLot, Party, Review, TraceEvent
from provenance.selectors.chain import party_list
from provenance.services.exports import certificate_payload, certificate_view
from tests import factories
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified():
    return factories.PartyFactory(kind="refiner", name="Argor-Heraeus")


@pytest.fixture
def planted(other_artisan):
    """A fake assay office another artisan proposed and nobody has checked."""
    return factories.proposed_party(
        other_artisan,
        kind="assay_office",
        name="The Birmingham Assay Office",
        country="GB",
    )


@pytest.fixture
def mine(artisan):
    """A refiner this artisan proposed, still waiting for a verifier."""
    return factories.proposed_party(artisan, kind="refiner", name="My Refinery")


def review_of(party) -> Review:
    return Review.objects.get(content_type__model="party", object_id=party.pk)


def _lot_for(artisan, **kw):
    return factories.recycled_silver_lot(artisan, **kw)


def _made_piece(artisan, **lot_kw):
    lot = _lot_for(artisan, **lot_kw)
    listing, _lot = factories.fabricated_piece(artisan, lots=[lot])
    return listing


# --- The workflow -----------------------------------------------------------------------


def test_a_new_party_is_sent_for_review_as_its_proposers_claim(artisan, mine):
    assert mine.verification_status == "submitted" and mine.created_by == artisan.user
    review = review_of(mine)
    assert review.artisan == artisan and review.submitted_by == artisan.user
    assert review.kind == "party"
    assert [(e.action, e.to_status) for e in review.events.all()] == [
        ("submit", "submitted")
    ]


def test_who_is_offered_which_party(artisan, other_artisan, user, verified, planted):
    mine = factories.proposed_party(artisan)
    workshop = services.workshop_party_for(artisan)
    their_workshop = services.workshop_party_for(other_artisan)
    assert set(party_list(user=artisan.user)) == {verified, mine, workshop}
    assert set(party_list(user=other_artisan.user)) == {
        verified,
        planted,
        their_workshop,
    }
    # A buyer or a verifier is offered only what Touchstone vouches for.
    assert set(party_list(user=user)) == {verified}


def test_a_verified_party_is_offered_to_every_artisan(
    artisan, other_artisan, verifier, planted
):
    services.claim_transition(record=planted, actor=verifier, action="verify")
    assert planted in party_list(user=artisan.user)
    lot = _lot_for(artisan, supplier=planted, reference="OK-1")
    assert lot.origin_party == planted


def test_a_rejected_party_is_never_shared_but_stays_its_proposers(
    artisan, other_artisan, verifier, planted
):
    with pytest.raises(ValidationError) as missing:
        services.claim_transition(record=planted, actor=verifier, action="reject")
    assert "reason" in missing.value.message_dict
    services.claim_transition(
        record=planted,
        actor=verifier,
        action="reject",
        reason="No such assay office: Birmingham's is 'The Birmingham Assay Office Ltd'.",
    )
    planted.refresh_from_db()
    assert planted.verification_status == "rejected"
    last = review_of(planted).events.order_by("-id").first()
    assert (last.action, last.actor, last.to_status) == ("reject", verifier, "rejected")
    assert "No such assay office" in last.reason
    assert planted not in party_list(user=artisan.user)
    assert planted in party_list(user=other_artisan.user)


def test_only_verifiers_decide_and_never_on_a_party_they_proposed(artisan, planted):
    with pytest.raises(PermissionDenied):
        services.claim_transition(record=planted, actor=artisan.user, action="verify")
    maker_and_verifier = factories.ArtisanFactory(user=factories.VerifierFactory())
    theirs = factories.proposed_party(maker_and_verifier)
    with pytest.raises(PermissionDenied):
        services.claim_transition(
            record=theirs, actor=maker_and_verifier.user, action="verify"
        )
    planted.refresh_from_db()
    theirs.refresh_from_db()
    assert planted.verification_status == theirs.verification_status == "submitted"


# --- The services refuse another artisan's unverified party ------------------------------


def test_the_proposer_may_use_their_own_pending_party(artisan, mine):
    lot = _lot_for(artisan, supplier=mine, origin_party=mine)
    assert lot.origin_party == mine
    listing = factories.fabricated_piece(artisan, lots=[lot])[0]
    office = factories.proposed_party(artisan, kind="assay_office", name="My Office")
    event = services.piece_hallmark(
        actor=artisan.user, listing=listing, assay_office=office
    )
    assert event.location == office


def test_services_refuse_another_artisans_unverified_party(artisan, planted):
    refiner = factories.proposed_party(planted.created_by.artisan_profile)
    with pytest.raises(ValidationError) as error:
        _lot_for(artisan, supplier=refiner)
    assert "supplier" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        _lot_for(artisan, origin_party=refiner)
    assert "origin_party" in error.value.message_dict
    lot = _lot_for(artisan)
    with pytest.raises(ValidationError) as error:
        services.lot_transfer(actor=artisan.user, lot=lot, to_party=refiner)
    assert "to_party" in error.value.message_dict
    listing = factories.fabricated_piece(artisan)[0]
    with pytest.raises(ValidationError) as error:
        services.piece_hallmark(
            actor=artisan.user, listing=listing, assay_office=planted
        )
    assert "assay_office" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.certification_create(
            actor=artisan.user,
            scheme="lab_report",
            issuer="GIC",
            number="GIC-1",
            issued_on=timezone.now().date(),
            holder=refiner,
        )
    assert "holder" in error.value.message_dict
    assert MaterialLot.objects.count() == 2  # the two good ones above
    assert not TraceEvent.objects.filter(location=planted).exists()


def test_another_artisans_workshop_is_not_a_party_to_name(artisan, other_artisan):
    theirs = services.workshop_party_for(other_artisan)
    lot = _lot_for(artisan)
    with pytest.raises(ValidationError) as error:
        services.lot_transfer(actor=artisan.user, lot=lot, to_party=theirs)
    assert "to_party" in error.value.message_dict


# --- Studio pages ----------------------------------------------------------------------


@pytest.fixture
def studio(client, artisan):
    client.force_login(artisan.user)
    return client


def _purchase_post(**overrides):
    data = {
        "reference": "CK-1",
        "material": "metal",
        "metal": "silver",
        "fineness": "925",
        "mass_grams": "100",
        "origin_type": "recycled_post_consumer",
        "origin_country": "GB",
    }
    data.update(overrides)
    return data


def test_the_purchase_form_offers_verified_and_own_parties_only(
    studio, verified, planted, mine
):
    response = studio.get(reverse("provenance:studio-purchase"))
    offered = set(response.context["form"].fields["supplier"].queryset)
    assert offered == {verified, mine}
    page = response.content.decode()
    assert "Argor-Heraeus (refiner)" in page
    assert "My Refinery (refiner) · yours, not yet verified" in page
    assert "Birmingham Assay Office" not in page


def test_the_purchase_form_refuses_another_artisans_party_by_id(studio, planted, mine):
    response = studio.post(
        reverse("provenance:studio-purchase"), _purchase_post(supplier=planted.pk)
    )
    assert response.status_code == 200
    assert "supplier" in response.context["form"].errors
    response = studio.post(
        reverse("provenance:studio-purchase"),
        _purchase_post(supplier=mine.pk, origin_party=planted.pk),
    )
    assert "origin_party" in response.context["form"].errors
    assert not MaterialLot.objects.exists()
    ok = studio.post(
        reverse("provenance:studio-purchase"), _purchase_post(supplier=mine.pk)
    )
    assert ok.status_code == 302 and MaterialLot.objects.get().origin_party == mine


def test_the_hallmarking_form_offers_and_accepts_only_available_offices(
    studio, artisan, planted
):
    listing = factories.fabricated_piece(artisan)[0]
    london = factories.PartyFactory(kind="assay_office", name="London Assay Office")
    own = factories.proposed_party(artisan, kind="assay_office", name="Own Office")
    form = studio.get(reverse("provenance:studio-hallmarking")).context["form"]
    assert set(form.fields["assay_office"].queryset) == {london, own}
    response = studio.post(
        reverse("provenance:studio-hallmarking"),
        {"listing": listing.pk, "assay_office": planted.pk},
    )
    assert response.status_code == 200
    assert "assay_office" in response.context["form"].errors
    assert not TraceEvent.objects.filter(kind="assay").exists()
    ok = studio.post(
        reverse("provenance:studio-hallmarking"),
        {"listing": listing.pk, "assay_office": own.pk},
    )
    assert ok.status_code == 302
    assert TraceEvent.objects.get(kind="assay").location == own


def test_adding_a_party_sends_it_for_review_and_lists_it_in_the_studio(studio, artisan):
    response = studio.post(
        reverse("provenance:studio-party-create"),
        {"kind": "refiner", "name": "Umicore", "country": "BE"},
        follow=True,
    )
    party = Party.objects.get(name="Umicore")
    assert party.verification_status == "submitted"
    page = response.content.decode()
    assert "Party added and sent to" in page
    assert "Parties you added" in page and "Umicore" in page and "Submitted" in page


def test_the_studio_shows_why_a_party_was_rejected(studio, mine, verifier):
    services.claim_transition(
        record=mine, actor=verifier, action="reject", reason="Give its LBMA number."
    )
    page = studio.get(reverse("provenance:studio-lot-list")).content.decode()
    assert "Rejected" in page and "Give its LBMA number." in page


# --- API ------------------------------------------------------------------------------


def test_the_api_lists_and_shows_only_available_parties(
    artisan, other_artisan, verified, planted, mine
):
    client = api_client_for(artisan.user)
    names = {p["name"] for p in client.get(reverse("api:party-list")).json()["results"]}
    assert names == {"Argor-Heraeus", "My Refinery"}
    assert client.get(reverse("api:party-detail", args=[planted.pk])).status_code == 404
    body = client.get(reverse("api:party-detail", args=[mine.pk])).json()
    assert body["verification_status"] == "submitted"
    assert body["assurance_level"] == "declared" and body["workshop"] is False
    assert (
        api_client_for(other_artisan.user)
        .get(reverse("api:party-detail", args=[planted.pk]))
        .status_code
        == 200
    )


def test_the_api_creates_a_party_as_a_submitted_claim(artisan):
    response = api_client_for(artisan.user).post(
        reverse("api:party-list"),
        {"kind": "refiner", "name": "Valcambi", "verification_status": "verified"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["verification_status"] == "submitted"
    assert Party.objects.get(name="Valcambi").verification_status == "submitted"


def test_the_api_refuses_another_artisans_party_with_a_field_error(
    artisan, planted, mine
):
    client = api_client_for(artisan.user)
    purchase = {
        "supplier": planted.pk,
        "reference": "API-1",
        "material": "metal",
        "metal": "silver",
        "fineness": 925,
        "mass_grams": "50.000",
        "origin_type": "recycled_pre_consumer",
    }
    response = client.post(reverse("api:lot-list"), purchase, format="json")
    assert response.status_code == 400 and "supplier" in response.json()
    response = client.post(
        reverse("api:lot-list"),
        {**purchase, "supplier": mine.pk, "origin_party": planted.pk},
        format="json",
    )
    assert response.status_code == 400 and "origin_party" in response.json()
    assert not MaterialLot.objects.exists()
    lot = client.post(
        reverse("api:lot-list"), {**purchase, "supplier": mine.pk}, format="json"
    )
    assert lot.status_code == 201
    transfer = client.post(
        reverse("api:event-list"),
        {"kind": "transfer", "lot": lot.json()["id"], "to_party": planted.pk},
        format="json",
    )
    assert transfer.status_code == 400 and "to_party" in transfer.json()
    listing = factories.fabricated_piece(artisan)[0]
    assay = client.post(
        reverse("api:event-list"),
        {"kind": "assay", "listing": listing.pk, "assay_office": planted.pk},
        format="json",
    )
    assert assay.status_code == 400 and "assay_office" in assay.json()
    assert not TraceEvent.objects.filter(location=planted).exists()


def test_party_list_api_query_budget(artisan, django_assert_max_num_queries):
    for n in range(15):
        factories.PartyFactory(name=f"Verified {n}")
        factories.proposed_party(artisan, name=f"Mine {n}")
    services.workshop_party_for(artisan)
    client = api_client_for(artisan.user)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("api:party-list"))
    assert response.json()["count"] == 31


# --- The review queue ------------------------------------------------------------------


def test_the_queue_shows_a_party_with_verified_parties_to_compare(
    client, verifier, planted
):
    london = factories.PartyFactory(kind="assay_office", name="The London Assay Office")
    client.force_login(verifier)
    queue = client.get(reverse("provenance:verification-list"), {"kind": "party"})
    assert [r.object_id for r in queue.context["reviews"]] == [planted.pk]
    detail = client.get(
        reverse("provenance:verification-detail", args=[review_of(planted).pk])
    )
    page = detail.content.decode()
    assert "The Birmingham Assay Office" in page and "Assay office" in page
    assert planted.created_by.artisan_profile.get_absolute_url() in page
    assert london.name in page  # a verified assay office in the same country
    names = {a["name"] for a in detail.context["actions"]}
    assert {"verify", "reject"} <= names


def test_the_queue_verifies_and_rejects_parties_with_a_reason(
    client, verifier, planted, artisan, mine
):
    client.force_login(verifier)
    verify = client.post(
        reverse("provenance:verification-action", args=[review_of(mine).pk, "verify"])
    )
    assert verify.status_code == 302
    mine.refresh_from_db()
    assert mine.verification_status == "verified" and mine.verified_at is not None
    no_reason = client.post(
        reverse(
            "provenance:verification-action", args=[review_of(planted).pk, "reject"]
        )
    )
    assert no_reason.status_code == 400
    rejected = client.post(
        reverse(
            "provenance:verification-action", args=[review_of(planted).pk, "reject"]
        ),
        {"reject-reason": "Not a real assay office."},
    )
    assert rejected.status_code == 302
    planted.refresh_from_db()
    assert planted.verification_status == "rejected"
    event = review_of(planted).events.order_by("-id").first()
    assert (event.action, event.actor, event.reason) == (
        "reject",
        verifier,
        "Not a real assay office.",
    )


def test_the_review_api_decides_a_party(verifier, planted):
    client = api_client_for(verifier)
    listed = client.get(reverse("api:verification-list"), {"kind": "party"}).json()
    assert [row["object_id"] for row in listed["results"]] == [planted.pk]
    assert listed["results"][0]["claim"]["Kind"] == "Assay office"
    url = reverse("api:verification-request-information", args=[review_of(planted).pk])
    assert client.post(url, {}, format="json").status_code == 400
    response = client.post(url, {"reason": "Its UKAS number?"}, format="json")
    assert response.status_code == 200
    assert response.json()["events"][-1]["reason"] == "Its UKAS number?"
    planted.refresh_from_db()
    assert planted.verification_status == "needs_information"


# --- The certificate -------------------------------------------------------------------


def test_the_certificate_shows_each_partys_kind_and_assurance(client, artisan, mine):
    supplier = factories.PartyFactory(kind="supplier", name="Cookson Precious Metals")
    listing = _made_piece(artisan, supplier=supplier, origin_party=mine)
    page = client.get(listing.certificate.get_absolute_url()).content.decode()
    assert "Who handled the material" in page
    table = page[page.index("Who handled") : page.index("Origin chain")]
    rows = {
        name: table[table.index(name) : table.index("</tr>", table.index(name))]
        for name in ("Cookson Precious Metals", "My Refinery")
    }
    assert "Supplier" in rows["Cookson Precious Metals"]
    assert "badge--verified" in rows["Cookson Precious Metals"]
    assert "Refiner" in rows["My Refinery"]
    # The proposer's unverified refiner is declared, never shown as verified.
    assert "badge--verified" not in rows["My Refinery"]
    assert "Declared by the artisan" in rows["My Refinery"]
    assert "The maker's workshop" in table
    assert 'My Refinery <span class="party__kind">(refiner' in page


def test_the_signed_export_lists_the_parties_with_kind_and_assurance(artisan, mine):
    listing = _made_piece(artisan, origin_party=mine)
    payload = certificate_payload(certificate_view(listing.certificate))
    parties = {p["name"]: p for p in payload["parties"]}
    assert parties["My Refinery"]["kind"] == "refiner"
    assert parties["My Refinery"]["verified"] is False
    assert parties["My Refinery"]["assurance_level"] == "declared"
    supplier = next(p for p in payload["parties"] if p["kind"] == "supplier")
    assert supplier["verified"] is True
    workshop = next(p for p in payload["parties"] if p["workshop"])
    assert workshop["kind"] == "workshop" and workshop["verified"] is False
    assert workshop["id"] == services.workshop_party_for(artisan).gln_uri


def test_a_workshop_stands_as_its_artisan_profile_does(artisan, verifier):
    workshop = services.workshop_party_for(artisan)
    assert workshop.assurance_level == "declared"
    factories.submitted(artisan)
    services.claim_transition(record=artisan, actor=verifier, action="verify")
    workshop = Party.objects.select_related("artisan").get(pk=workshop.pk)
    assert workshop.assurance_level == "verified" and workshop.is_assured
    assert workshop.verification_status == "draft"  # never a claim of its own
    assert not Review.objects.filter(
        content_type__model="party", object_id=workshop.pk
    ).exists()


def test_the_certificate_query_count_does_not_grow_with_parties(
    client, artisan, django_assert_max_num_queries
):
    listing = _made_piece(artisan)
    for n in range(6):
        office = factories.PartyFactory(kind="assay_office", name=f"Office {n}")
        services.piece_hallmark(
            actor=artisan.user,
            listing=listing,
            assay_office=office,
            occurred_at=timezone.now() - timedelta(days=5) + timedelta(minutes=n),
        )
    with django_assert_max_num_queries(14):
        response = client.get(listing.certificate.get_absolute_url())
    assert response.content.decode().count("Office ") >= 12
