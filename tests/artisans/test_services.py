"""Profiles and marks: onboarding, editing, uploads and marks' rules."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from artisans.models import Artisan, ArtisanPhoto, MakerMark
from artisans.services import (
    artisan_create,
    artisan_set_images,
    artisan_update,
    maker_mark_create,
    maker_mark_update,
)
from tests import factories
from tests.artisans import uploads

pytestmark = pytest.mark.django_db

PROFILE = {
    "public_name": "Nia Okafor",
    "story": "I forge silver in Lagos.",
    "country": "NG",
    "commission_status": "open",
}


def test_a_user_becomes_an_unverified_public_artisan(user):
    technique = factories.TechniqueFactory()
    artisan = artisan_create(user=user, data=PROFILE, techniques=[technique])
    assert artisan.slug == "nia-okafor"
    assert artisan.verification_status == "draft"
    assert artisan.verification_badge == "unverified"
    assert list(artisan.techniques.all()) == [technique]


def test_slugs_stay_unique(user, other_user):
    first = artisan_create(user=user, data=PROFILE)
    second = artisan_create(user=other_user, data=PROFILE)
    assert first.slug != second.slug


def test_one_profile_per_user(user):
    artisan_create(user=user, data=PROFILE)
    with pytest.raises(PermissionDenied):
        artisan_create(user=user, data=PROFILE)
    assert Artisan.objects.count() == 1


def test_invalid_profile_data_raises_field_errors(user):
    with pytest.raises(ValidationError) as caught:
        artisan_create(user=user, data={**PROFILE, "country": "XX", "public_name": ""})
    assert {"country", "public_name"} <= set(caught.value.message_dict)
    assert not Artisan.objects.exists()


def test_only_the_owner_edits_a_profile(other_user):
    artisan = factories.ArtisanFactory(public_name="Before")
    with pytest.raises(PermissionDenied):
        artisan_update(
            artisan=artisan, actor=other_user, data={"public_name": "Hacked"}
        )
    artisan.refresh_from_db()
    assert artisan.public_name == "Before"


def test_the_profile_edit_cannot_touch_verification():
    artisan = factories.ArtisanFactory()
    artisan_update(
        artisan=artisan,
        actor=artisan.user,
        data={"public_name": "New", "verification_status": "verified"},
    )
    artisan.refresh_from_db()
    assert artisan.public_name == "New"
    assert artisan.verification_status == "draft"


def test_photos_are_stored_without_metadata_with_thumbnails(
    django_capture_on_commit_callbacks,
):
    artisan = factories.ArtisanFactory()
    # The thumbnails are made by tasks once the upload commits.
    with django_capture_on_commit_callbacks(execute=True):
        artisan_set_images(
            artisan=artisan,
            portrait=uploads.with_metadata(),
            workshop_photos=[(uploads.with_metadata("bench.jpg"), "My bench")],
        )
    artisan.refresh_from_db()
    uploads.assert_clean_image(artisan.portrait)
    uploads.assert_clean_image(artisan.portrait_thumbnail)
    photo = artisan.photos.get()
    assert photo.alt_text == "My bench"
    uploads.assert_clean_image(photo.image)
    uploads.assert_clean_image(photo.thumbnail)


@pytest.mark.parametrize("kind", list(uploads.BAD_UPLOADS))
def test_bad_uploads_are_refused_and_nothing_is_saved(kind):
    make, message = uploads.BAD_UPLOADS[kind]
    artisan = factories.ArtisanFactory()
    with pytest.raises(ValidationError) as caught:
        artisan_update(
            artisan=artisan,
            actor=artisan.user,
            data={"public_name": "Changed"},
            portrait=factories.image_upload(),
            workshop_photos=[(factories.image_upload(), "fine"), (make(), "bad")],
        )
    assert message in " ".join(caught.value.message_dict["workshop_photos"])
    artisan.refresh_from_db()
    assert artisan.public_name != "Changed"
    assert not artisan.portrait
    assert not ArtisanPhoto.objects.exists()


def test_a_mark_needs_a_reference_unless_unregistered():
    artisan = factories.ArtisanFactory()
    with pytest.raises(ValidationError) as caught:
        maker_mark_create(
            artisan=artisan,
            actor=artisan.user,
            data={"text": "NO", "registration_system": "uk_sponsor"},
        )
    assert "registry_reference" in caught.value.message_dict
    mark = maker_mark_create(
        artisan=artisan,
        actor=artisan.user,
        data={"text": "NO", "registration_system": "unregistered"},
    )
    assert mark.display_status == "declared"


def test_mark_dates_and_duplicates_are_checked():
    mark = factories.MakerMarkFactory()
    import datetime

    with pytest.raises(ValidationError) as caught:
        maker_mark_update(
            mark=mark,
            actor=mark.artisan.user,
            data={
                "registered_on": datetime.date(2024, 1, 1),
                "expires_on": datetime.date(2023, 1, 1),
            },
        )
    assert "expires_on" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        maker_mark_create(
            artisan=mark.artisan,
            actor=mark.artisan.user,
            data={
                "text": mark.text,
                "registration_system": mark.registration_system,
                "registry_reference": "X",
            },
        )
    assert "text" in caught.value.message_dict


def test_a_verified_mark_can_no_longer_be_edited():
    mark = factories.verified(factories.MakerMarkFactory(text="OLD"))
    with pytest.raises(ValidationError):
        maker_mark_update(mark=mark, actor=mark.artisan.user, data={"text": "NEW"})
    mark.refresh_from_db()
    assert mark.text == "OLD"


def test_another_artisan_cannot_edit_my_mark():
    mark = factories.MakerMarkFactory(text="MINE")
    intruder = factories.ArtisanFactory()
    with pytest.raises(PermissionDenied):
        maker_mark_update(mark=mark, actor=intruder.user, data={"text": "THEIRS"})
    with pytest.raises(PermissionDenied):
        maker_mark_create(
            artisan=mark.artisan,
            actor=intruder.user,
            data={"text": "X", "registration_system": "unregistered"},
        )
    assert MakerMark.objects.count() == 1


@pytest.mark.parametrize("kind", list(uploads.BAD_UPLOADS))
def test_a_bad_mark_image_saves_no_mark(kind):
    make, message = uploads.BAD_UPLOADS[kind]
    artisan = factories.ArtisanFactory()
    with pytest.raises(ValidationError) as caught:
        maker_mark_create(
            artisan=artisan,
            actor=artisan.user,
            data={"text": "AB", "registration_system": "unregistered"},
            image=make(),
        )
    assert message in " ".join(caught.value.message_dict["image"])
    assert not MakerMark.objects.exists()


def test_a_bad_evidence_file_saves_no_mark():
    artisan = factories.ArtisanFactory()
    with pytest.raises(ValidationError):
        maker_mark_create(
            artisan=artisan,
            actor=artisan.user,
            data={"text": "AB", "registration_system": "unregistered"},
            evidence=uploads.not_an_image("extract.pdf"),
        )
    assert not MakerMark.objects.exists()
