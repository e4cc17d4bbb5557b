"""Private uploads reach only the people entitled to the record they belong to.

Every private kind of file is created through the services, then fetched by each kind of
visitor: whoever may see the record gets the bytes, everyone else the same 404 as a file
that does not exist. None of them sits under MEDIA_ROOT, where a static file server
would hand it to anyone.
"""

import re
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.http import Http404
from django.test import Client, RequestFactory
from django.views import static
from rest_framework.authtoken.models import Token

from artisans.services import maker_mark_create
from config import private_files
from config.storage import RandomName, private_storage, relocate_to_private
from marketplace.catalogue.services.listings import hallmark_record_add
from marketplace.commissions import services as commissions
from marketplace.commissions.models import MessageAttachment
from provenance.services.verification import evidence_add
from tests import factories
from tests.commissions.helpers import image_upload, pdf_upload, request, walk_to
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "stranger", "other_artisan", "verifier", "buyer", "artisan")
COMMISSION_PARTIES = {"buyer", "artisan"}
CLAIM_OWNERS = {"artisan", "verifier"}


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    """An artisan with a commission from a buyer and claims under review, plus strangers.

    Committed, so that the tasks making the thumbnails run as after a request."""
    with django_capture_on_commit_callbacks(execute=True):
        world = _world()
    for kind, (field_file, entitled) in world["files"].items():
        field_file.instance.refresh_from_db()
        refreshed = getattr(field_file.instance, field_file.field.name)
        world["files"][kind] = (refreshed, entitled)
    return world


def _world():
    artisan = factories.ArtisanFactory(commission_status="open")
    buyer = factories.UserFactory()
    people = {
        "anonymous": None,
        "stranger": factories.UserFactory(),
        "other_artisan": factories.ArtisanFactory().user,
        "verifier": factories.VerifierFactory(),
        "buyer": buyer,
        "artisan": artisan.user,
    }
    commission = walk_to("in_progress", buyer=buyer, artisan=artisan)
    referenced = request(
        buyer, artisan, title="With a sketch", reference_images=[image_upload()]
    )
    update = commissions.commission_post_update(
        actor=artisan.user,
        commission=commission,
        stage="fabrication",
        note="Soldered.",
        photos=[image_upload("bench.jpg")],
    )
    message = commissions.message_post(
        actor=buyer,
        commission=commission,
        body="Here is the sketch and the invoice.",
        attachments=[image_upload("sketch.jpg"), pdf_upload("invoice.pdf")],
    )
    mark = maker_mark_create(
        artisan=artisan,
        actor=artisan.user,
        data={
            "text": "AB",
            "registration_system": "uk_sponsor",
            "registry_reference": "LON-1",
        },
        image=image_upload("mark.jpg"),
        evidence=pdf_upload("registration.pdf"),
    )
    listing = factories.ListingFactory(artisan=artisan)
    factories.add_metal(listing)
    hallmark = hallmark_record_add(
        listing=listing,
        actor=artisan.user,
        photo=image_upload("hallmark.jpg"),
        system="uk",
        metal="silver",
        fineness_mark=925,
        assay_office="London",
        maker_mark=factories.verified(factories.MakerMarkFactory(artisan=artisan)),
    )
    lot = factories.recycled_silver_lot(artisan)
    lot_evidence = evidence_add(
        record=lot, actor=artisan.user, uploaded=pdf_upload("smelter.pdf")
    )
    reference = referenced.reference_images.get()
    photo = update.photos.get()
    image_attachment, pdf_attachment = message.attachments.order_by("id")
    files = {
        "reference image": (reference.image, COMMISSION_PARTIES),
        "reference thumbnail": (reference.thumbnail, COMMISSION_PARTIES),
        "progress photo": (photo.image, COMMISSION_PARTIES),
        "progress thumbnail": (photo.thumbnail, COMMISSION_PARTIES),
        "attached image": (image_attachment.file, COMMISSION_PARTIES),
        "attachment thumbnail": (image_attachment.thumbnail, COMMISSION_PARTIES),
        "attached PDF": (pdf_attachment.file, COMMISSION_PARTIES),
        "unverified mark": (mark.image, CLAIM_OWNERS),
        "mark evidence": (mark.evidence.get().file, CLAIM_OWNERS),
        "unverified hallmark photo": (hallmark.photo, CLAIM_OWNERS),
        "lot evidence": (lot_evidence.file, CLAIM_OWNERS),
    }
    return {"people": people, "files": files, "mark": mark, "hallmark": hallmark}


def _get(client, user, url, **extra):
    if user is not None:
        client.force_login(user)
    return client.get(url, **extra)


def test_every_private_file_answers_only_to_whoever_may_see_its_record(world):
    seen = []
    for kind, (field_file, entitled) in world["files"].items():
        stored = field_file.storage.open(field_file.name).read()
        for role in ROLES:
            response = _get(Client(), world["people"][role], field_file.url)
            if role in entitled:
                assert response.status_code == 200, (kind, role)
                assert b"".join(response.streaming_content) == stored, (kind, role)
            else:
                assert response.status_code == 404, (kind, role)
            seen.append((kind, role, response.status_code))
    # 11 kinds of file, 6 kinds of visitor: every pair was asked.
    assert len(seen) == 66


def test_private_files_live_outside_media_root_under_random_names(world, settings):
    for kind, (field_file, _) in world["files"].items():
        assert field_file.url.startswith("/files/"), kind
        assert re.fullmatch(r"[a-z/]+/[0-9a-f]{32}\.(jpg|png|pdf)", field_file.name)
        assert not default_storage.exists(field_file.name), kind
        assert not (Path(settings.MEDIA_ROOT) / field_file.name).exists(), kind
        # The old address: the static file server finds nothing there.
        old = RequestFactory().get(f"/media/{field_file.name}")
        with pytest.raises(Http404):
            static.serve(old, field_file.name, document_root=settings.MEDIA_ROOT)


def test_headers_keep_a_file_from_running_in_the_sites_origin(world, client):
    client.force_login(world["people"]["buyer"])
    pdf = client.get(world["files"]["attached PDF"][0].url)
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == "attachment; filename*=UTF-8''invoice.pdf"
    assert pdf["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in pdf["Content-Security-Policy"]
    assert "default-src 'none'" in pdf["Content-Security-Policy"]
    assert pdf["Cache-Control"] == "private, max-age=300"
    image = client.get(world["files"]["attached image"][0].url)
    assert image["Content-Type"] == "image/jpeg"
    assert image["Content-Disposition"].startswith("inline;")
    assert "sandbox" in image["Content-Security-Policy"]


def test_the_front_server_sends_the_bytes_when_configured(world, client, settings):
    settings.PRIVATE_MEDIA_ACCEL_PREFIX = "/protected/"
    field_file = world["files"]["progress photo"][0]
    client.force_login(world["people"]["artisan"])
    response = client.get(field_file.url)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected/{field_file.name}"
    assert response.content == b""
    client.force_login(world["people"]["stranger"])
    assert client.get(field_file.url).status_code == 404


def test_verified_marks_and_hallmark_photos_are_public(world, client):
    factories.verified(world["mark"])
    factories.verified(world["hallmark"])
    for field_file in (world["mark"].image, world["hallmark"].photo):
        response = client.get(field_file.url)
        assert response.status_code == 200
    # Evidence stays private after its claim is decided.
    assert client.get(world["files"]["mark evidence"][0].url).status_code == 404


def test_an_api_token_opens_the_files_the_api_links(world, api_client):
    field_file = world["files"]["attached image"][0]
    token, _ = Token.objects.get_or_create(user=world["people"]["buyer"])
    assert api_client.get(field_file.url).status_code == 404
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get(field_file.url).status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert api_client.get(field_file.url).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "../media/x.jpg",
        "commissions/attachments/../../db.sqlite3",
        "commissions/attachments/",
        "commissions/attachments/thumbs/x/y.jpg",
        "nowhere/0123.jpg",
        ".env",
    ],
)
def test_unknown_and_traversing_names_are_404(client, path):
    assert client.get(f"/files/{path}").status_code == 404


def test_writes_are_not_allowed(world, client):
    client.force_login(world["people"]["buyer"])
    url = world["files"]["attached PDF"][0].url
    assert client.post(url).status_code == 405
    assert client.delete(url).status_code == 405


def test_every_file_field_has_a_random_name_and_every_private_one_a_permission():
    registered = {(entry.model, entry.field) for entry in private_files.registered()}
    private = set()
    for model in django_apps.get_models():
        for field in model._meta.get_fields():
            if not isinstance(field, models.FileField):
                continue
            assert isinstance(field.upload_to, RandomName), (model, field.name)
            if getattr(field, "_storage_callable", None) is private_storage:
                private.add((model, field.name))
    assert private == registered
    assert len(private) == 9


def test_files_moved_by_the_migration_become_private(db):
    """The data migration's step, on a file stored the old way under MEDIA_ROOT."""
    commission = walk_to("in_progress")
    message = commissions.message_post(
        actor=commission.buyer, commission=commission, body="Old file."
    )
    old_name = default_storage.save(
        "commissions/attachments/document.pdf", ContentFile(factories.pdf_bytes())
    )
    attachment = MessageAttachment.objects.create(
        message=message,
        file=old_name,
        media_type="application/pdf",
        original_name="document.pdf",
        sha256="0" * 64,
    )
    moved = relocate_to_private(django_apps, "marketplace.MessageAttachment", "file")
    assert moved == 1
    attachment.refresh_from_db()
    assert attachment.file.name != old_name
    assert re.fullmatch(
        r"commissions/attachments/[0-9a-f]{32}\.pdf", attachment.file.name
    )
    assert private_storage().exists(attachment.file.name)
    assert (
        relocate_to_private(django_apps, "marketplace.MessageAttachment", "file") == 0
    )


def test_a_commission_page_links_files_its_reader_can_open(world, client):
    buyer = world["people"]["buyer"]
    attachment = world["files"]["attached PDF"][0]
    commission = MessageAttachment.objects.get(file=attachment.name).message.commission
    client.force_login(buyer)
    page = client.get(commission.get_absolute_url())
    assert attachment.url.encode() in page.content
    assert client.get(attachment.url).status_code == 200


def test_the_api_links_the_checked_view(world):
    buyer = world["people"]["buyer"]
    attachment = world["files"]["attached image"][0]
    commission = MessageAttachment.objects.get(file=attachment.name).message.commission
    client = api_client_for(buyer)
    body = client.get(f"/api/commissions/{commission.pk}/messages/").json()
    assert f"/files/{attachment.name}" in str(body)


@pytest.fixture
def private_bucket(settings, monkeypatch):
    """The private storage as an S3 bucket (signing needs no network)."""
    settings.AWS_ACCESS_KEY_ID = "test-key"
    settings.AWS_SECRET_ACCESS_KEY = "test-secret"
    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:9000"
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_PRIVATE_STORAGE_BUCKET_NAME = "touchstone-private"
    settings.PRIVATE_SIGNED_URL_SECONDS = 60
    from config.s3 import PrivateS3Storage

    bucket = PrivateS3Storage()
    field = MessageAttachment._meta.get_field("file")
    monkeypatch.setattr(field, "storage", bucket)
    return bucket


def test_object_storage_gives_the_entitled_a_short_signed_url(
    world, client, private_bucket
):
    attachment = MessageAttachment.objects.get(
        file=world["files"]["attached PDF"][0].name
    )
    name = attachment.file.name
    # Pages and the API still link the checked view, never the bucket.
    assert attachment.file.url == f"/files/{name}"
    client.force_login(world["people"]["buyer"])
    response = client.get(attachment.file.url)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"http://127.0.0.1:9000/touchstone-private/{name}?")
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=60" in location
    assert response["Cache-Control"] == "private, no-store"
    for role in ("anonymous", "stranger", "other_artisan", "verifier"):
        other = Client()
        if world["people"][role] is not None:
            other.force_login(world["people"][role])
        assert other.get(attachment.file.url).status_code == 404, role
