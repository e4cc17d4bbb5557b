"""The review services: who may write what, once, within which window; the kept
rating figures after every kind of write."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from marketplace.catalogue import facet_index
from marketplace.catalogue.models import CatalogueChange
from marketplace.commissions.models import Commission
from marketplace.reviews import services
from marketplace.reviews.models import Review, ReviewEvent, ReviewRevision
from tests import factories as f
from tests.commissions.helpers import walk_to
from tests.reviews.helpers import (
    assert_kept_figures_match,
    delivered_line,
    review_of,
)

pytestmark = pytest.mark.django_db


def _age(review, days):
    Review.objects.filter(pk=review.pk).update(
        created_at=timezone.now() - timedelta(days=days)
    )
    review.refresh_from_db()
    return review


def test_a_buyer_reviews_a_delivered_line_once_and_the_figures_follow():
    line = delivered_line()
    review = review_of(line, rating=4)
    assert review.artisan_id == line.order.artisan_id
    assert review.listing_id == line.listing_id
    assert review.revisions.count() == 1
    artisan = review.artisan
    artisan.refresh_from_db()
    assert (artisan.rating_count, artisan.rating_average, artisan.rating_4) == (
        1,
        Decimal("4.00"),
        1,
    )
    assert assert_kept_figures_match() == 2
    with pytest.raises(ValidationError) as error:
        review_of(line, rating=2)
    assert "order_line" in error.value.message_dict
    assert Review.objects.count() == 1
    assert assert_kept_figures_match() == 2


def test_only_the_buyer_of_a_delivered_order_reviews_it():
    line = delivered_line()
    with pytest.raises(PermissionDenied):
        services.review_create(
            author=f.UserFactory(), order_line=line, rating=5, title="t", text="x"
        )
    from tests.orders.helpers import placed

    undelivered = placed()[0].lines.get()
    with pytest.raises(PermissionDenied):
        services.review_create(
            author=undelivered.order.buyer,
            order_line=undelivered,
            rating=5,
            title="t",
            text="x",
        )
    assert not Review.objects.exists()


@pytest.mark.parametrize("rating", [0, 6, -1, "five", None])
def test_a_rating_outside_one_to_five_is_refused(rating):
    line = delivered_line()
    with pytest.raises(ValidationError) as error:
        review_of(line, rating=rating)
    assert "rating" in error.value.message_dict
    assert not Review.objects.exists()


def test_a_completed_commission_is_reviewed_once():
    commission = walk_to(Commission.Status.COMPLETED)
    review = services.review_create(
        author=commission.buyer,
        commission=commission,
        rating=5,
        title="A ring to keep",
        text="Exactly as we talked about.",
    )
    assert review.listing_id == commission.completed_listing_id
    assert assert_kept_figures_match() >= 1
    with pytest.raises(ValidationError):
        services.review_create(
            author=commission.buyer,
            commission=commission,
            rating=1,
            title="t",
            text="x",
        )
    open_one = walk_to(Commission.Status.IN_PROGRESS)
    with pytest.raises(PermissionDenied):
        services.review_create(
            author=open_one.buyer, commission=open_one, rating=5, title="t", text="x"
        )


def test_an_edit_is_a_revision_and_moves_the_figures():
    review = review_of(rating=5)
    services.review_update(
        review=review, actor=review.author, rating=2, title="Changed", text="Hmm."
    )
    review.refresh_from_db()
    assert review.is_edited
    assert list(
        ReviewRevision.objects.filter(review=review).values_list("number", "rating")
    ) == [(1, 5), (2, 2)]
    assert assert_kept_figures_match() == 2


def test_edits_stop_after_the_window_and_only_the_author_edits(settings):
    review = review_of(rating=5)
    with pytest.raises(PermissionDenied):
        services.review_update(
            review=review, actor=f.UserFactory(), rating=1, title="t", text="x"
        )
    _age(review, settings.REVIEW_EDIT_DAYS + 1)
    with pytest.raises(ValidationError, match="30 days"):
        services.review_update(
            review=review, actor=review.author, rating=1, title="t", text="x"
        )
    review.refresh_from_db()
    assert (review.rating, review.title) == (5, "Beautiful ring")
    assert assert_kept_figures_match() == 2


def test_the_artisan_replies_once_and_edits_within_seven_days():
    review = review_of()
    artisan_user = review.artisan.user
    with pytest.raises(PermissionDenied):
        services.review_reply(review=review, actor=review.author, text="me")
    with pytest.raises(PermissionDenied):
        services.review_reply(review=review, actor=f.ArtisanFactory().user, text="me")
    services.review_reply(review=review, actor=artisan_user, text="Thank you!")
    with pytest.raises(ValidationError, match="already replied"):
        services.review_reply(review=review, actor=artisan_user, text="Again")
    services.review_reply_update(review=review, actor=artisan_user, text="Thanks!")
    review.refresh_from_db()
    assert (review.reply, review.reply_edited_at is not None) == ("Thanks!", True)
    Review.objects.filter(pk=review.pk).update(
        replied_at=timezone.now() - timedelta(days=8)
    )
    review.refresh_from_db()
    with pytest.raises(ValidationError, match="7 days"):
        services.review_reply_update(review=review, actor=artisan_user, text="Late")
    review.refresh_from_db()
    assert review.reply == "Thanks!"


def test_reports_hide_and_restore_keep_figures_and_events():
    review = review_of(rating=1)
    other = review_of(
        rating=5,
        line=delivered_line(listing=f.catalogue_listing(artisan=review.artisan)),
    )
    with pytest.raises(ValidationError, match="own review"):
        services.review_report(review=review, actor=review.author, reason="mine")
    reader = f.UserFactory()
    services.review_report(review=review, actor=reader, reason="Not about the piece")
    with pytest.raises(ValidationError, match="already reported"):
        services.review_report(review=review, actor=reader, reason="again")
    review.refresh_from_db()
    assert review.status == Review.Status.REPORTED and review.is_visible
    assert assert_kept_figures_match() >= 2

    verifier = f.VerifierFactory()
    with pytest.raises(PermissionDenied):
        services.review_moderate(
            review=review, actor=reader, action="hide", reason="no"
        )
    with pytest.raises(ValidationError):
        services.review_moderate(
            review=review, actor=verifier, action="hide", reason=""
        )
    services.review_moderate(
        review=review, actor=verifier, action="hide", reason="Abusive language"
    )
    review.refresh_from_db()
    assert (review.status, review.status_reason) == (
        Review.Status.HIDDEN,
        "Abusive language",
    )
    artisan = review.artisan
    artisan.refresh_from_db()
    assert (artisan.rating_count, artisan.rating_average) == (1, Decimal("5.00"))
    assert assert_kept_figures_match() >= 2
    with pytest.raises(ValidationError):
        services.review_moderate(
            review=review, actor=verifier, action="dismiss", reason="x"
        )
    services.review_moderate(
        review=review, actor=verifier, action="restore", reason="Appeal accepted"
    )
    artisan.refresh_from_db()
    assert (artisan.rating_count, artisan.rating_average) == (2, Decimal("3.00"))
    assert assert_kept_figures_match() >= 2
    assert list(
        ReviewEvent.objects.filter(review=review).values_list("action", "to_status")
    ) == [("report", "reported"), ("hide", "hidden"), ("restore", "published")]
    assert other.status == Review.Status.PUBLISHED


def test_a_rating_write_marks_the_artisans_pieces_for_the_facet_index():
    line = delivered_line()
    facet_index.current()
    before = CatalogueChange.objects.count()
    review_of(line, rating=4)
    assert CatalogueChange.objects.filter(artisan_id=line.order.artisan_id).exists()
    assert CatalogueChange.objects.count() > before


def test_rebuild_corrects_drifted_figures():
    review = review_of(rating=3)
    type(review.artisan).objects.filter(pk=review.artisan_id).update(
        rating_count=7, rating_3=7, rating_total=21
    )
    assert services.ratings_rebuild() == 1
    assert assert_kept_figures_match() == 2
    assert services.ratings_rebuild() == 0


def test_the_rebuild_command_reports_what_it_corrected():
    from io import StringIO

    from django.core.management import call_command

    review = review_of(rating=4)
    type(review.listing).objects.filter(pk=review.listing_id).update(
        rating_count=0, rating_4=0, rating_total=0, rating_average=0
    )
    out = StringIO()
    call_command("rebuild_ratings", stdout=out)
    assert "1 rating figure corrected" in out.getvalue()
    assert assert_kept_figures_match() == 2


def test_staff_hide_and_restore_from_the_admin(admin_client):
    from django.urls import reverse

    review = review_of(rating=2)
    url = reverse("admin:marketplace_review_changelist")
    assert admin_client.get(url).status_code == 200
    admin_client.post(url, {"action": "hide", "_selected_action": [review.pk]})
    review.refresh_from_db()
    assert review.status == Review.Status.HIDDEN and review.events.count() == 1
    assert assert_kept_figures_match() == 0
    admin_client.post(url, {"action": "restore", "_selected_action": [review.pk]})
    review.refresh_from_db()
    assert review.status == Review.Status.PUBLISHED
    assert assert_kept_figures_match() == 2
    change = reverse("admin:marketplace_review_change", args=[review.pk])
    assert admin_client.get(change).status_code == 200
