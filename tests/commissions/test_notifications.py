import pytest
from django.core import mail

from config.mail import emails_suppressed
from marketplace.accounts.models import Notification
from marketplace.commissions import services
from tests import factories
from tests.commissions.helpers import (
    S,
    quote,
    request,
    walk_to,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer():
    return factories.UserFactory(email="ben@example.com")


@pytest.fixture
def artisan():
    user = factories.UserFactory(email="maker@example.com")
    return factories.ArtisanFactory(user=user, commission_status="open")


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run the on-commit email callbacks and return the addresses mailed, in order."""

    def run(fn):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            fn()
        return [message.to[0] for message in mail.outbox]

    return run


def test_a_request_emails_the_artisan_only(sent, buyer, artisan):
    assert sent(lambda: request(buyer, artisan)) == ["maker@example.com"]
    message = mail.outbox[0]
    assert "Reply with a quote" in message.subject
    assert "/commissions/" in message.body
    assert Notification.objects.get(user=artisan.user).action_needed


def test_a_quote_emails_the_buyer(sent, buyer, artisan):
    commission = request(buyer, artisan)
    assert sent(lambda: quote(commission)) == ["ben@example.com"]
    assert "Accept or decline the quote" in mail.outbox[0].subject


def test_the_work_path_emails_whoever_must_act(sent, buyer, artisan):
    commission = walk_to(S.IN_PROGRESS, buyer=buyer, artisan=artisan)
    a = artisan.user
    asking = sent(
        lambda: services.commission_post_update(
            actor=a,
            commission=commission,
            stage="design",
            note="?",
            needs_approval=True,
        )
    )
    assert asking == ["ben@example.com"]
    update = commission.progress_updates.get()
    assert sent(
        lambda: services.commission_request_changes(
            actor=buyer, commission=commission, update_id=update.pk, note="Smaller"
        )
    ) == ["maker@example.com"]
    informing = sent(
        lambda: services.commission_post_update(
            actor=a, commission=commission, stage="fabrication", note="Cast."
        )
    )
    assert informing == []  # no action needed: in-app notification only
    assert Notification.objects.filter(user=buyer, action_needed=False).exists()
    assert sent(
        lambda: services.commission_submit_for_review(actor=a, commission=commission)
    ) == ["ben@example.com"]
    assert sent(
        lambda: services.commission_approve(actor=buyer, commission=commission)
    ) == ["maker@example.com"]


def test_no_email_when_nothing_is_asked(sent, buyer, artisan):
    commission = request(buyer, artisan)
    assert (
        sent(
            lambda: services.message_post(actor=buyer, commission=commission, body="Hi")
        )
        == []
    )
    assert (
        sent(
            lambda: services.commission_decline(
                actor=artisan.user, commission=commission, reason="Booked up"
            )
        )
        == []
    )
    assert Notification.objects.filter(user=buyer, verb__contains="declined").exists()


def test_a_failed_move_sends_nothing(sent, buyer, artisan):
    commission = request(buyer, artisan)

    def fail():
        with pytest.raises(Exception):  # noqa: B017
            quote(commission, price=None)

    assert sent(fail) == []


def test_emails_can_be_suppressed(sent, buyer, artisan):
    def quietly():
        with emails_suppressed():
            request(buyer, artisan)

    assert sent(quietly) == []
    assert Notification.objects.filter(user=artisan.user).exists()


def test_header_shows_the_unread_count(client, buyer, artisan):
    commission = walk_to(S.QUOTED, buyer=buyer, artisan=artisan)
    services.message_post(actor=artisan.user, commission=commission, body="Hello")
    client.force_login(buyer)
    response = client.get("/account/")
    assert b'<span class="notification-count" aria-label="2 unread">2</span>' in (
        response.content
    )
