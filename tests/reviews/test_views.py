"""Review pages: write with a photo, edit, reply, report, moderate in the verification
queue; the artisan page and the piece page; markup is always escaped."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from marketplace.reviews import services
from marketplace.reviews.models import Review, ReviewPhoto
from tests import factories as f
from tests.reviews.helpers import assert_kept_figures_match, delivered_line, review_of

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script><b>bold</b>'


def _create_url(line):
    return reverse("marketplace:review-create", args=["line", line.pk])


def _photo_with_exif():
    image = Image.new("RGB", (80, 60), (200, 150, 90))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    buffer.seek(0)
    buffer.name = "ring.jpg"
    return buffer


def test_a_buyer_writes_a_review_with_a_photo_from_the_order_page(
    client, django_capture_on_commit_callbacks
):
    line = delivered_line()
    client.force_login(line.order.buyer)
    order_page = client.get(
        reverse("marketplace:order-detail", args=[line.order.number])
    )
    assert _create_url(line) in order_page.content.decode()
    # As after a real request: the commit runs the thumbnails' task.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _create_url(line),
            {
                "rating": "4",
                "title": "Lovely",
                "text": "Well made.",
                "photos": [_photo_with_exif()],
                "photo_alt": "The ring on a hand",
            },
        )
    review = Review.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == review.get_absolute_url()
    )
    photo = ReviewPhoto.objects.get(review=review)
    stored = photo.image.read()
    assert b"SecretCam" not in stored and b"Exif" not in stored
    assert photo.thumb_small and photo.alt_text == "The ring on a hand"
    assert_kept_figures_match()
    page = client.get(review.get_absolute_url()).content.decode()
    assert "Lovely" in page and photo.thumb_small.url in page
    again = client.get(
        reverse("marketplace:order-detail", args=[line.order.number])
    ).content.decode()
    assert review.get_absolute_url() in again


def test_bad_input_is_a_400_with_field_errors_and_nothing_saved(client):
    line = delivered_line()
    client.force_login(line.order.buyer)
    response = client.post(_create_url(line), {"rating": "9", "title": "", "text": "x"})
    assert response.status_code == 400
    assert "rating" in response.context["form"].errors
    assert "title" in response.context["form"].errors
    assert not Review.objects.exists()
    review_of(line)
    second = client.post(_create_url(line), {"rating": "3", "title": "t", "text": "x"})
    assert second.status_code == 400
    assert "already reviewed" in second.content.decode()
    assert Review.objects.count() == 1


def test_someone_elses_or_an_undelivered_purchase_is_a_404(client):
    line = delivered_line()
    client.force_login(f.UserFactory())
    assert client.get(_create_url(line)).status_code == 404
    assert (
        client.post(_create_url(line), {"rating": "5", "title": "t", "text": "x"})
    ).status_code == 404
    assert not Review.objects.exists()


def test_markup_is_escaped_on_every_page(client):
    line = delivered_line()
    review = review_of(line, title=SCRIPT, text=SCRIPT)
    services.review_reply(review=review, actor=review.artisan.user, text=SCRIPT)
    reader = f.UserFactory()
    services.review_report(review=review, actor=reader, reason=SCRIPT)
    pages = [
        review.get_absolute_url(),
        review.artisan.get_absolute_url(),
        line.listing.get_absolute_url(),
    ]
    client.force_login(f.VerifierFactory())
    pages += [
        reverse("marketplace:review-moderate", args=[review.pk]),
        reverse("provenance:verification-list") + "?kind=review",
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<b>bold</b>" not in html, url
    html = client.get(review.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_edit_reply_and_report_through_the_pages(client):
    review = review_of(rating=5)
    client.force_login(review.author)
    edit_url = reverse("marketplace:review-edit", args=[review.pk])
    assert client.get(edit_url).status_code == 200
    response = client.post(edit_url, {"rating": "3", "title": "Fine", "text": "Ok."})
    assert response.status_code == 302
    page = client.get(review.get_absolute_url()).content.decode()
    assert "edited" in page
    assert_kept_figures_match()
    # The author cannot report their own review.
    report_url = reverse("marketplace:review-report", args=[review.pk])
    own = client.post(report_url, {"reason": "mine"})
    assert own.status_code == 400 and "own review" in own.content.decode()

    client.force_login(review.artisan.user)
    reply_url = reverse("marketplace:review-reply", args=[review.pk])
    assert client.post(reply_url, {"text": "Thank you"}).status_code == 302
    assert client.post(reply_url, {"text": "Edited thanks"}).status_code == 302
    review.refresh_from_db()
    assert review.reply == "Edited thanks" and review.reply_edited_at

    client.force_login(f.UserFactory())
    assert client.post(reply_url, {"text": "me too"}).status_code == 404
    assert (
        client.post(edit_url, {"rating": "1", "title": "x", "text": "x"}).status_code
        == 404
    )
    assert client.post(report_url, {"reason": "Spam"}).status_code == 302
    review.refresh_from_db()
    assert review.status == Review.Status.REPORTED


def test_verifiers_hide_and_restore_from_the_queue_and_the_author_sees_why(client):
    review = review_of(rating=1)
    services.review_report(review=review, actor=f.UserFactory(), reason="Rude")
    verifier = f.VerifierFactory()
    client.force_login(verifier)
    queue = client.get(reverse("provenance:verification-list")).content.decode()
    assert "?kind=review" in queue
    listed = client.get(reverse("provenance:verification-list"), {"kind": "review"})
    assert reverse("marketplace:review-moderate", args=[review.pk]) in (
        listed.content.decode()
    )
    hide = reverse("marketplace:review-moderate-action", args=[review.pk, "hide"])
    missing = client.post(hide, {"hide-reason": ""})
    assert missing.status_code == 400
    review.refresh_from_db()
    assert review.status == Review.Status.REPORTED
    assert client.post(hide, {"hide-reason": "Personal attack"}).status_code == 302
    review.refresh_from_db()
    assert review.status == Review.Status.HIDDEN
    assert_kept_figures_match()

    client.logout()
    assert client.get(review.get_absolute_url()).status_code == 404
    artisan_page = client.get(review.artisan.get_absolute_url()).content.decode()
    assert review.title not in artisan_page
    client.force_login(review.author)
    own = client.get(review.get_absolute_url()).content.decode()
    assert "A verifier hid this review" in own and "Personal attack" in own

    client.force_login(verifier)
    restore = reverse("marketplace:review-moderate-action", args=[review.pk, "restore"])
    assert client.post(restore, {"restore-reason": "On appeal"}).status_code == 302
    review.refresh_from_db()
    assert review.status == Review.Status.PUBLISHED
    assert_kept_figures_match()


def test_only_verifiers_reach_moderation(client):
    review = review_of()
    url = reverse("marketplace:review-moderate", args=[review.pk])
    action = reverse("marketplace:review-moderate-action", args=[review.pk, "hide"])
    for user in (review.author, review.artisan.user, f.UserFactory()):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(action, {"hide-reason": "x"}).status_code == 404
    review.refresh_from_db()
    assert review.status == Review.Status.PUBLISHED


def _reviews_for(artisan, ratings):
    for rating in ratings:
        listing = f.catalogue_listing(artisan=artisan)
        review_of(delivered_line(listing=listing), rating=rating, title=f"R{rating}")


def test_the_artisan_page_shows_figures_newest_first_and_filters_by_rating(client):
    artisan = f.ArtisanFactory()
    _reviews_for(artisan, [5, 4, 2])
    page = client.get(artisan.get_absolute_url())
    html = page.content.decode()
    assert "3.7" in html and "3 reviews" in html
    assert html.index("R2") < html.index("R4") < html.index("R5")
    filtered = client.get(artisan.get_absolute_url(), {"rating": "4"}).content.decode()
    assert "R4" in filtered and "R5" not in filtered and "R2" not in filtered


def test_the_piece_page_shows_its_reviews_and_links_to_the_artisans(client):
    line = delivered_line()
    review_of(line, rating=4, title="On the piece")
    html = client.get(line.listing.get_absolute_url()).content.decode()
    assert "On the piece" in html
    assert line.listing.artisan.get_absolute_url() + "#reviews" in html


@pytest.mark.parametrize("page", ["artisan", "piece"])
def test_page_queries_do_not_grow_with_reviews(client, page, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    artisan = f.ArtisanFactory()
    listing = f.catalogue_listing(
        artisan=artisan, kind="limited_edition", edition_size=20, quantity_available=20
    )

    def url():
        return (
            artisan.get_absolute_url()
            if page == "artisan"
            else listing.get_absolute_url()
        )

    def count():
        client.get(url())  # warm caches (facet index, content types)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url()).status_code == 200
        return len(captured)

    first = delivered_line(listing=listing)
    review_of(first, rating=5)
    one = count()
    for rating in (4, 3, 5, 2, 1, 4):
        line = delivered_line(listing=listing)
        review = review_of(line, rating=rating, photos=[f.image_upload()])
        services.review_reply(review=review, actor=artisan.user, text="Thanks")
    many = count()
    assert many == one
    assert Review.objects.filter(listing=listing).count() == 7


def test_the_queue_of_reported_reviews_costs_the_same_for_one_or_many(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(f.VerifierFactory())
    url = reverse("provenance:verification-list") + "?kind=review"

    def report_one():
        review = review_of(photos=[f.image_upload()])
        services.review_report(review=review, actor=f.UserFactory(), reason="Spam")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        return len(captured), response.context["paginator"].count

    report_one()
    client.get(url)
    one, listed_one = queries()
    for _ in range(4):
        report_one()
    many, listed_many = queries()
    assert (listed_one, listed_many) == (1, 5)
    assert many == one
