"""/api/artisans/ and /api/maker-marks/: public reads, owner-only writes, no status by PATCH."""

import pytest
from django.urls import reverse

from artisans.models import Artisan, MakerMark
from provenance.models import Evidence
from provenance.services.verification import claim_transition
from tests import factories
from tests.artisans import uploads
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def artisan_url(artisan, action=None):
    if action:
        return reverse(f"api:artisan-{action}", args=[artisan.slug])
    return reverse("api:artisan-detail", args=[artisan.slug])


def mark_url(mark, action=None):
    if action:
        return reverse(f"api:maker-mark-{action}", args=[mark.pk])
    return reverse("api:maker-mark-detail", args=[mark.pk])


class TestArtisansAPI:
    def test_public_list_with_the_directory_filters(
        self, api_client, django_assert_max_num_queries
    ):
        technique = factories.TechniqueFactory(slug="filigree")
        wanted = factories.ArtisanFactory(public_name="Wayan", country="ID")
        wanted.techniques.add(technique)
        factories.verified(wanted)
        factories.verified(factories.MakerMarkFactory(artisan=wanted, text="WS"))
        for _ in range(30):
            factories.ArtisanPhotoFactory(artisan=factories.ArtisanFactory())
        with django_assert_max_num_queries(10):
            response = api_client.get(reverse("api:artisan-list"))
        assert response.status_code == 200
        assert response.data["count"] == 31
        response = api_client.get(
            reverse("api:artisan-list"),
            {"technique": "filigree", "verified": "true", "country": "ID"},
        )
        [row] = response.data["results"]
        assert row["slug"] == wanted.slug
        assert row["verification_badge"] == "verified"
        assert row["verified_marks"][0]["text"] == "WS"

    def test_bad_filter_is_a_400(self, api_client):
        response = api_client.get(reverse("api:artisan-list"), {"tradition": "nope"})
        assert response.status_code == 400
        assert "tradition" in response.data

    def test_detail_by_slug(self, api_client):
        artisan = factories.ArtisanFactory(public_name="Sofia")
        response = api_client.get(artisan_url(artisan))
        assert response.status_code == 200 and response.data["public_name"] == "Sofia"
        assert (
            api_client.get(reverse("api:artisan-detail", args=["nobody"])).status_code
            == 404
        )

    def test_the_owner_patches_their_profile_but_not_its_status(self):
        artisan = factories.ArtisanFactory(public_name="Before")
        tradition = factories.TraditionFactory(slug="ashanti")
        client = api_client_for(artisan.user)
        response = client.patch(
            artisan_url(artisan),
            {
                "public_name": "After",
                "traditions": ["ashanti"],
                "verification_status": "verified",
                "verified_at": "2024-01-01T00:00:00Z",
                "slug": "stolen",
            },
            format="json",
        )
        assert response.status_code == 200
        artisan.refresh_from_db()
        assert artisan.public_name == "After"
        assert list(artisan.traditions.all()) == [tradition]
        assert artisan.verification_status == "draft"
        assert artisan.verified_at is None
        assert artisan.slug != "stolen"
        assert response.data["verification_status"] == "draft"

    def test_bad_patch_is_a_400_with_field_errors(self):
        artisan = factories.ArtisanFactory(public_name="Kept")
        client = api_client_for(artisan.user)
        response = client.patch(
            artisan_url(artisan),
            {"public_name": "", "years_of_practice": 500, "country": "XX"},
            format="json",
        )
        assert response.status_code == 400
        assert {"public_name", "country"} <= set(response.data)
        artisan.refresh_from_db()
        assert artisan.public_name == "Kept"

    def test_another_artisan_or_anonymous_cannot_patch(self, api_client):
        artisan = factories.ArtisanFactory(public_name="Mine")
        intruder = factories.ArtisanFactory()
        response = api_client_for(intruder.user).patch(
            artisan_url(artisan), {"public_name": "Theirs"}, format="json"
        )
        assert response.status_code == 404
        response = api_client.patch(
            artisan_url(artisan), {"public_name": "Anon"}, format="json"
        )
        assert response.status_code in (401, 403)
        artisan.refresh_from_db()
        assert artisan.public_name == "Mine"

    def test_the_owner_submits_the_profile(self):
        artisan = factories.ArtisanFactory()
        response = api_client_for(artisan.user).post(artisan_url(artisan, "submit"))
        assert response.status_code == 200
        assert response.data["verification_status"] == "submitted"
        again = api_client_for(artisan.user).post(artisan_url(artisan, "submit"))
        assert again.status_code == 400
        intruder = factories.ArtisanFactory()
        assert (
            api_client_for(intruder.user)
            .post(artisan_url(artisan, "submit"))
            .status_code
            == 404
        )


class TestMakerMarksAPI:
    def test_create_update_submit_and_answer(self, verifier):
        artisan = factories.ArtisanFactory()
        client = api_client_for(artisan.user)
        response = client.post(
            reverse("api:maker-mark-list"),
            {
                "text": "AE",
                "registration_system": "unregistered",
                "verification_status": "verified",
            },
            format="json",
        )
        assert response.status_code == 201, response.data
        assert response.data["verification_status"] == "draft"
        assert response.data["display_status"] == "declared"
        mark = MakerMark.objects.get()
        response = client.patch(
            mark_url(mark), {"registry_reference": "REF-1"}, format="json"
        )
        assert (
            response.status_code == 200
            and response.data["registry_reference"] == "REF-1"
        )
        response = client.post(
            mark_url(mark, "evidence"),
            {"file": factories.pdf_upload()},
            format="multipart",
        )
        assert response.status_code == 201
        assert len(response.data["sha256"]) == 64
        assert (
            client.post(mark_url(mark, "submit")).data["verification_status"]
            == "submitted"
        )
        claim_transition(
            record=mark,
            actor=verifier,
            action="request_information",
            reason="Close-up?",
        )
        response = client.post(
            mark_url(mark, "resubmit"),
            {"message": "Here it is", "files": [factories.image_upload()]},
            format="multipart",
        )
        assert response.status_code == 200, response.data
        assert response.data["verification_status"] == "in_review"
        assert Evidence.objects.count() == 2

    def test_status_cannot_be_patched(self):
        mark = factories.MakerMarkFactory()
        response = api_client_for(mark.artisan.user).patch(
            mark_url(mark),
            {"verification_status": "verified", "has_evidence": True},
            format="json",
        )
        assert response.status_code == 200
        mark.refresh_from_db()
        assert mark.verification_status == "draft" and not mark.has_evidence

    def test_a_verified_mark_cannot_be_updated(self):
        mark = factories.verified(factories.MakerMarkFactory(text="OLD"))
        response = api_client_for(mark.artisan.user).patch(
            mark_url(mark), {"text": "NEW"}, format="json"
        )
        assert response.status_code == 400
        mark.refresh_from_db()
        assert mark.text == "OLD"

    def test_bad_input_is_a_400(self):
        artisan = factories.ArtisanFactory()
        client = api_client_for(artisan.user)
        response = client.post(
            reverse("api:maker-mark-list"),
            {"text": "AE", "registration_system": "uk_sponsor"},
            format="json",
        )
        assert response.status_code == 400 and "registry_reference" in response.data
        response = client.post(
            reverse("api:maker-mark-list"),
            {
                "text": "AE",
                "registration_system": "unregistered",
                "image_upload": uploads.decompression_bomb(),
            },
            format="multipart",
        )
        assert response.status_code == 400
        assert "decompression bomb" in str(response.data["image_upload"])
        assert not MakerMark.objects.exists()
        mark = factories.MakerMarkFactory()
        response = api_client_for(mark.artisan.user).post(
            mark_url(mark, "evidence"),
            {"file": uploads.oversized()},
            format="multipart",
        )
        assert response.status_code == 400 and "file" in response.data
        assert not Evidence.objects.exists()

    def test_resubmit_from_the_wrong_state_is_a_400(self):
        mark = factories.submitted(factories.MakerMarkFactory())
        response = api_client_for(mark.artisan.user).post(
            mark_url(mark, "resubmit"), {"message": "hello"}, format="multipart"
        )
        assert response.status_code == 400
        mark.refresh_from_db()
        assert mark.verification_status == "submitted"

    def test_only_my_marks_exist_for_me(self, api_client):
        mark = factories.MakerMarkFactory(text="MINE")
        intruder = api_client_for(factories.ArtisanFactory().user)
        assert intruder.get(reverse("api:maker-mark-list")).data["count"] == 0
        assert intruder.get(mark_url(mark)).status_code == 404
        assert (
            intruder.patch(mark_url(mark), {"text": "X"}, format="json").status_code
            == 404
        )
        for action in ("submit", "evidence", "resubmit"):
            assert intruder.post(mark_url(mark, action), {}).status_code == 404
        assert api_client.get(reverse("api:maker-mark-list")).status_code == 401
        mark.refresh_from_db()
        assert mark.text == "MINE" and mark.verification_status == "draft"

    def test_a_non_artisan_cannot_create_marks(self, user):
        response = api_client_for(user).post(
            reverse("api:maker-mark-list"),
            {"text": "AE", "registration_system": "unregistered"},
            format="json",
        )
        assert response.status_code == 403
        assert not MakerMark.objects.exists()
        assert not Artisan.objects.exists()
