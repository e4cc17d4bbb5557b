"""HTML pages: the directory, artisan pages, onboarding, the studio and maker's marks."""

import pytest
from django.urls import reverse

from artisans.models import Artisan, ArtisanPhoto, MakerMark
from provenance.models import Evidence
from tests import factories
from tests.artisans import uploads

pytestmark = pytest.mark.django_db


def profile_form(**overrides):
    return {
        "public_name": "Nia Okafor",
        "story": "I forge silver in Lagos.",
        "workshop_name": "Okafor Forge",
        "city": "Lagos",
        "country": "NG",
        "commission_status": "open",
        **overrides,
    }


class TestDirectory:
    def test_lists_artisans_with_badges_and_filters(self, client):
        tradition = factories.TraditionFactory(name="Balinese silversmithing")
        technique = factories.TechniqueFactory(name="Granulation", slug="granulation")
        bali = factories.ArtisanFactory(public_name="Wayan", country="ID")
        bali.traditions.add(tradition)
        bali.techniques.add(technique)
        factories.verified(bali)
        factories.ArtisanFactory(
            public_name="Closed Carla", country="IT", commission_status="closed"
        )
        page = client.get(reverse("artisans:list")).content.decode()
        assert "Wayan" in page and "Closed Carla" in page
        assert "badge--verified" in page and "badge--unverified" in page

        def names(**query):
            response = client.get(reverse("artisans:list"), query)
            assert response.status_code == 200
            return {a.public_name for a in response.context["artisans"]}

        assert names(q="way") == {"Wayan"}
        assert names(country="IT") == {"Closed Carla"}
        assert names(tradition=tradition.slug) == {"Wayan"}
        assert names(technique="granulation") == {"Wayan"}
        assert names(verified="true") == {"Wayan"}
        assert names(accepting_commissions="true") == {"Wayan"}
        assert names(accepting_commissions="false") == {"Closed Carla"}

    def test_bad_filters_are_a_form_error_not_a_500(self, client):
        factories.ArtisanFactory()
        response = client.get(reverse("artisans:list"), {"country": "ZZ", "page": "x"})
        assert response.status_code in (200, 404)
        response = client.get(reverse("artisans:list"), {"tradition": "nope"})
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()

    def test_suspended_artisans_leave_the_directory_but_keep_a_badged_page(
        self, client
    ):
        artisan = factories.ArtisanFactory(public_name="Gone Gina")
        Artisan.objects.filter(pk=artisan.pk).update(verification_status="suspended")
        assert "Gone Gina" not in client.get(reverse("artisans:list")).content.decode()
        page = client.get(artisan.get_absolute_url())
        assert page.status_code == 200
        assert "badge--suspended" in page.content.decode()

    def test_paginates_with_a_flat_query_count(
        self, client, django_assert_max_num_queries
    ):
        tradition = factories.TraditionFactory()
        for _ in range(40):
            artisan = factories.ArtisanFactory()
            artisan.traditions.add(tradition)
        with django_assert_max_num_queries(8):
            response = client.get(reverse("artisans:list"))
        assert len(response.context["artisans"]) == 24
        assert response.context["page_obj"].has_next()
        assert client.get(reverse("artisans:list"), {"page": 2}).status_code == 200


class TestArtisanPage:
    def test_shows_story_workshop_photos_verified_marks_and_pieces(self, client):
        artisan = factories.ArtisanFactory(story="Granulation at grandfather's bench.")
        factories.ArtisanPhotoFactory(artisan=artisan, alt_text="The bench in Celuk")
        factories.verified(factories.MakerMarkFactory(artisan=artisan, text="WSV"))
        factories.MakerMarkFactory(artisan=artisan, text="DRAFTY")
        factories.ListingFactory(artisan=artisan, published=True, title="Cuff one")
        factories.ListingFactory(artisan=artisan, title="Secret draft")
        page = client.get(artisan.get_absolute_url()).content.decode()
        assert "grandfather" in page
        assert "The bench in Celuk" in page
        assert "WSV" in page and "DRAFTY" not in page
        assert "Cuff one" in page and "Secret draft" not in page
        assert "Unverified" in page

    def test_unknown_slug_is_404(self, client):
        assert (
            client.get(reverse("artisans:detail", args=["nobody"])).status_code == 404
        )

    def test_query_budget_with_many_marks_photos_and_pieces(
        self, client, django_assert_max_num_queries
    ):
        from marketplace.catalogue.models import ListingPhoto

        artisan = factories.ArtisanFactory()
        for n in range(30):
            factories.ArtisanPhotoFactory(artisan=artisan)
            factories.verified(factories.MakerMarkFactory(artisan=artisan))
            listing = factories.ListingFactory(artisan=artisan, published=True)
            ListingPhoto.objects.create(
                listing=listing,
                image="pieces/x.jpg",
                width=640,
                height=640,
                thumb_small="pieces/thumbs/s.jpg",
                thumb_medium="pieces/thumbs/m.jpg",
                thumb_large="pieces/thumbs/l.jpg",
                alt_text=f"Piece {n}",
            )
        with django_assert_max_num_queries(10):
            response = client.get(artisan.get_absolute_url())
        assert response.status_code == 200
        assert "Piece 29" in response.content.decode()


class TestOnboarding:
    def test_anonymous_is_sent_to_log_in(self, client):
        response = client.get(reverse("artisans:onboard"))
        assert response.status_code == 302
        assert reverse("login") in response["Location"]

    def test_a_user_becomes_an_artisan_with_photos(self, client, user):
        client.force_login(user)
        response = client.post(
            reverse("artisans:onboard"),
            {
                **profile_form(),
                "portrait": uploads.with_metadata(),
                "workshop_photos": [factories.image_upload("bench.jpg")],
                "workshop_photo_alt": "My forge",
            },
        )
        assert response.status_code == 302
        artisan = Artisan.objects.get(user=user)
        assert artisan.portrait and artisan.photos.get().alt_text == "My forge"
        uploads.assert_clean_image(artisan.portrait)
        page = client.get(artisan.get_absolute_url()).content.decode()
        assert "Nia Okafor" in page and "Unverified" in page

    @pytest.mark.parametrize("kind", list(uploads.BAD_UPLOADS))
    def test_a_bad_portrait_is_a_form_error_and_saves_nothing(self, client, user, kind):
        make, message = uploads.BAD_UPLOADS[kind]
        client.force_login(user)
        response = client.post(
            reverse("artisans:onboard"), {**profile_form(), "portrait": make()}
        )
        assert response.status_code == 200
        assert message in " ".join(response.context["form"].errors["portrait"])
        assert not Artisan.objects.exists()

    def test_missing_fields_are_form_errors(self, client, user):
        client.force_login(user)
        response = client.post(
            reverse("artisans:onboard"), profile_form(public_name="", country="")
        )
        assert response.status_code == 200
        assert set(response.context["form"].errors) >= {"public_name", "country"}
        assert not Artisan.objects.exists()

    def test_an_artisan_is_sent_to_their_studio(self, client):
        artisan = factories.ArtisanFactory()
        client.force_login(artisan.user)
        response = client.post(reverse("artisans:onboard"), profile_form())
        assert response["Location"] == reverse("artisans:studio")
        assert Artisan.objects.count() == 1


class TestStudio:
    def test_dashboard_lists_profile_marks_and_records_awaiting_review(
        self, client, verifier
    ):
        artisan = factories.ArtisanFactory(public_name="Amina")
        mark = factories.submitted(
            factories.MakerMarkFactory(artisan=artisan, text="AE")
        )
        from provenance.services.verification import claim_transition

        claim_transition(
            record=mark,
            actor=verifier,
            action="request_information",
            reason="Send a close-up.",
        )
        done = factories.submitted(
            factories.MakerMarkFactory(artisan=artisan, text="OK")
        )
        claim_transition(record=done, actor=verifier, action="verify")
        client.force_login(artisan.user)
        response = client.get(reverse("artisans:studio"))
        page = response.content.decode()
        assert "Amina" in page and "AE" in page and "OK" in page
        assert "Send a close-up." in page
        awaiting = list(response.context["awaiting"])
        assert [r.object_id for r in awaiting] == [mark.pk]
        assert 'aria-label="Studio"' in page

    def test_a_user_without_a_profile_gets_a_404(self, client, user):
        client.force_login(user)
        response = client.get(reverse("artisans:studio"))
        assert response.status_code == 404

    def test_anonymous_is_sent_to_log_in(self, client):
        assert reverse("login") in client.get(reverse("artisans:studio"))["Location"]


class TestProfileEdit:
    def test_the_owner_edits_and_uploads(self, client):
        artisan = factories.ArtisanFactory()
        client.force_login(artisan.user)
        assert client.get(reverse("artisans:studio-profile")).status_code == 200
        response = client.post(
            reverse("artisans:studio-profile"),
            {
                **profile_form(public_name="Renamed"),
                "workshop_photos": [factories.image_upload()],
            },
        )
        assert response.status_code == 302
        artisan.refresh_from_db()
        assert artisan.public_name == "Renamed"
        assert artisan.photos.count() == 1

    @pytest.mark.parametrize("kind", list(uploads.BAD_UPLOADS))
    def test_a_bad_workshop_photo_is_a_form_error_and_saves_nothing(self, client, kind):
        make, message = uploads.BAD_UPLOADS[kind]
        artisan = factories.ArtisanFactory(public_name="Kept")
        client.force_login(artisan.user)
        response = client.post(
            reverse("artisans:studio-profile"),
            {
                **profile_form(public_name="Changed"),
                "workshop_photos": [factories.image_upload(), make()],
            },
        )
        assert response.status_code == 200
        assert message in str(response.context["form"].errors["workshop_photos"])
        artisan.refresh_from_db()
        assert artisan.public_name == "Kept"
        assert not ArtisanPhoto.objects.exists()

    def test_the_profile_form_cannot_set_verification(self, client):
        artisan = factories.ArtisanFactory()
        client.force_login(artisan.user)
        client.post(
            reverse("artisans:studio-profile"),
            {**profile_form(), "verification_status": "verified"},
        )
        artisan.refresh_from_db()
        assert artisan.verification_status == "draft"

    def test_submit_and_answer_from_the_profile_page(self, client, verifier):
        artisan = factories.ArtisanFactory()
        client.force_login(artisan.user)
        client.post(reverse("artisans:studio-profile-submit"))
        artisan.refresh_from_db()
        assert artisan.verification_status == "submitted"
        from provenance.services.verification import claim_transition

        claim_transition(
            record=artisan, actor=verifier, action="request_information", reason="ID?"
        )
        page = client.get(reverse("artisans:studio-profile")).content.decode()
        assert "ID?" in page and "Answer the verifier" in page
        client.post(
            reverse("artisans:studio-profile-resubmit"),
            {"message": "Here.", "files": [factories.pdf_upload()]},
        )
        artisan.refresh_from_db()
        assert artisan.verification_status == "in_review"
        assert artisan.has_evidence


class TestMakerMarks:
    def test_register_a_mark_with_image_and_evidence(self, client):
        artisan = factories.ArtisanFactory()
        client.force_login(artisan.user)
        response = client.post(
            reverse("artisans:studio-mark-create"),
            {
                "text": "NO",
                "registration_system": "uk_sponsor",
                "registry_reference": "LON 123",
                "image": factories.image_upload("mark.png"),
                "evidence": factories.pdf_upload(),
            },
        )
        mark = MakerMark.objects.get()
        assert response["Location"] == reverse(
            "artisans:studio-mark-detail", args=[mark.pk]
        )
        assert mark.image and mark.has_evidence
        page = client.get(response["Location"]).content.decode()
        assert "Declared" in page and Evidence.objects.get().sha256 in page
        client.post(reverse("artisans:studio-mark-submit", args=[mark.pk]))
        mark.refresh_from_db()
        assert mark.verification_status == "submitted"

    def test_bad_input_is_a_form_error(self, client):
        artisan = factories.ArtisanFactory()
        client.force_login(artisan.user)
        response = client.post(
            reverse("artisans:studio-mark-create"),
            {
                "text": "NO",
                "registration_system": "uk_sponsor",
                "image": uploads.decompression_bomb(),
            },
        )
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert "registry_reference" in errors
        assert not MakerMark.objects.exists()
        response = client.post(
            reverse("artisans:studio-mark-create"),
            {
                "text": "NO",
                "registration_system": "unregistered",
                "image": uploads.decompression_bomb(),
            },
        )
        assert "decompression bomb" in str(response.context["form"].errors["image"])
        assert not MakerMark.objects.exists()

    def test_a_bad_evidence_file_is_a_form_error(self, client):
        mark = factories.MakerMarkFactory()
        client.force_login(mark.artisan.user)
        response = client.post(
            reverse("artisans:studio-mark-evidence", args=[mark.pk]),
            {"file": uploads.not_an_image("extract.jpg")},
        )
        assert response.status_code == 400
        assert response.context["evidence_form"].errors["file"]
        assert not Evidence.objects.exists()

    def test_edit_while_not_verified_only(self, client):
        mark = factories.MakerMarkFactory(text="OLD")
        client.force_login(mark.artisan.user)
        url = reverse("artisans:studio-mark-update", args=[mark.pk])
        client.post(url, {"text": "NEW", "registration_system": "unregistered"})
        mark.refresh_from_db()
        assert mark.text == "NEW"
        factories.verified(mark)
        response = client.post(
            url, {"text": "LATER", "registration_system": "unregistered"}
        )
        assert response.status_code == 200
        mark.refresh_from_db()
        assert mark.text == "NEW"
        assert client.get(url).status_code == 302

    def test_answering_a_request_for_information(self, client, verifier):
        mark = factories.submitted(factories.MakerMarkFactory())
        from provenance.services.verification import claim_transition

        claim_transition(
            record=mark,
            actor=verifier,
            action="request_information",
            reason="Close-up?",
        )
        client.force_login(mark.artisan.user)
        url = reverse("artisans:studio-mark-resubmit", args=[mark.pk])
        client.post(url, {"message": ""})  # neither message nor file
        mark.refresh_from_db()
        assert mark.verification_status == "needs_information"
        client.post(url, {"message": "Here", "files": [factories.image_upload()]})
        mark.refresh_from_db()
        assert mark.verification_status == "in_review"
        assert mark.evidence.count() == 1

    @pytest.mark.parametrize(
        "name, method",
        [
            ("studio-mark-detail", "get"),
            ("studio-mark-update", "get"),
            ("studio-mark-update", "post"),
            ("studio-mark-submit", "post"),
            ("studio-mark-evidence", "post"),
            ("studio-mark-resubmit", "post"),
        ],
    )
    def test_another_artisans_mark_is_404(self, client, name, method):
        mark = factories.MakerMarkFactory(text="MINE")
        intruder = factories.ArtisanFactory()
        client.force_login(intruder.user)
        url = reverse(f"artisans:{name}", args=[mark.pk])
        data = {"text": "THEIRS", "registration_system": "unregistered", "message": "x"}
        response = getattr(client, method)(url, data if method == "post" else None)
        assert response.status_code == 404
        mark.refresh_from_db()
        assert mark.text == "MINE" and mark.verification_status == "draft"

    def test_my_mark_list_shows_only_mine(self, client):
        mine = factories.MakerMarkFactory(text="MINE")
        factories.MakerMarkFactory(text="YOURS")
        client.force_login(mine.artisan.user)
        page = client.get(reverse("artisans:studio-mark-list")).content.decode()
        assert "MINE" in page and "YOURS" not in page


class TestLinks:
    def test_add_and_remove_a_link(self, client):
        artisan = factories.ArtisanFactory()
        client.force_login(artisan.user)
        response = client.post(
            reverse("artisans:studio-link-add"),
            {"label": "Instagram", "url": "https://instagram.com/nia"},
        )
        assert response.status_code == 302
        link = artisan.links.get()
        assert (
            "instagram.com/nia"
            in client.get(artisan.get_absolute_url()).content.decode()
        )
        client.post(reverse("artisans:studio-link-remove", args=[link.pk]))
        assert not artisan.links.exists()

    def test_a_bad_address_is_a_form_error(self, client):
        artisan = factories.ArtisanFactory()
        client.force_login(artisan.user)
        response = client.post(
            reverse("artisans:studio-link-add"), {"label": "Shop", "url": "not a url"}
        )
        assert response.status_code == 400
        assert response.context["link_form"].errors["url"]
        assert not response.context["form"].errors
        assert not artisan.links.exists()

    def test_another_artisans_link_is_404(self, client):
        link = factories.ArtisanLinkFactory()
        intruder = factories.ArtisanFactory()
        client.force_login(intruder.user)
        response = client.post(reverse("artisans:studio-link-remove", args=[link.pk]))
        assert response.status_code == 404
        assert link.artisan.links.exists()


def test_a_verified_mark_takes_no_new_evidence(client):
    mark = factories.verified(factories.MakerMarkFactory())
    client.force_login(mark.artisan.user)
    response = client.post(
        reverse("artisans:studio-mark-evidence", args=[mark.pk]),
        {"file": factories.pdf_upload()},
    )
    assert response.status_code == 400
    assert not Evidence.objects.exists()
