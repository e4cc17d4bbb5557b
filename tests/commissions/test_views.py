from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.accounts.models import Notification
from marketplace.catalogue.models import Listing
from marketplace.commissions import services
from marketplace.commissions.models import Commission, CommissionEvent
from marketplace.commissions.moves import MOVES
from tests import factories
from tests.commissions.helpers import (
    S,
    image_upload,
    refresh,
    request,
    walk_to,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer():
    return factories.UserFactory()


@pytest.fixture
def artisan():
    return factories.ArtisanFactory(commission_status="open")


def detail(commission):
    return reverse("marketplace:commission-detail", kwargs={"pk": commission.pk})


def act(commission, slug):
    return reverse(
        "marketplace:commission-move", kwargs={"pk": commission.pk, "slug": slug}
    )


def write(commission):
    return reverse("marketplace:commission-messages", kwargs={"pk": commission.pk})


# Every URL the commission page posts to: one per move, and the thread.
POST_URLS = [*(move.slug for move in MOVES.values()), "messages"]


def post_url(commission, slug):
    return write(commission) if slug == "messages" else act(commission, slug)


def fill(prefix, **data):
    return {f"{prefix}-{key}": value for key, value in data.items()}


class TestMyCommissions:
    def test_lists_only_my_requests(self, client, buyer, artisan):
        mine = request(buyer, artisan, title="My signet ring")
        request(factories.UserFactory(), artisan, title="Someone else's locket")
        client.force_login(buyer)
        response = client.get(reverse("marketplace:commission-list"))
        assert response.status_code == 200
        assert b"My signet ring" in response.content
        assert b"Someone else" not in response.content
        assert mine.get_absolute_url().encode() in response.content

    def test_anonymous_is_sent_to_log_in(self, client):
        response = client.get(reverse("marketplace:commission-list"))
        assert response.status_code == 302
        assert reverse("login") in response["Location"]

    def test_filter_by_status(self, client, buyer, artisan):
        request(buyer, artisan, title="Still waiting")
        walk_to(S.QUOTED, buyer=buyer, artisan=artisan, title="Has a quote")
        client.force_login(buyer)
        response = client.get(
            reverse("marketplace:commission-list"), {"status": "quoted"}
        )
        assert b"Has a quote" in response.content
        assert b"Still waiting" not in response.content

    def test_waitlist_position_is_shown(self, client, buyer):
        artisan = factories.ArtisanFactory(commission_status="waitlist")
        request(factories.UserFactory(), artisan)
        request(buyer, artisan, title="Queued")
        client.force_login(buyer)
        response = client.get(reverse("marketplace:commission-list"))
        assert b"Position 2" in response.content

    def test_query_budget(self, client, buyer, django_assert_max_num_queries):
        for n in range(40):
            artisan = factories.ArtisanFactory(
                commission_status="waitlist" if n % 4 == 0 else "open"
            )
            request(buyer, artisan, title=f"Piece {n}")
            if n % 3 == 1:
                walk_to(S.ACCEPTED, buyer=buyer)
        client.force_login(buyer)
        with django_assert_max_num_queries(12):
            response = client.get(reverse("marketplace:commission-list"))
        assert response.status_code == 200
        assert len(response.context["rows"]) == 20


class TestStudioInbox:
    def test_artisan_sees_requests_addressed_to_them(self, client, buyer, artisan):
        request(buyer, artisan, title="For me")
        request(buyer, factories.ArtisanFactory(), title="For another maker")
        client.force_login(artisan.user)
        response = client.get(reverse("marketplace:studio-commission-list"))
        assert response.status_code == 200
        assert b"For me" in response.content
        assert b"For another maker" not in response.content

    def test_a_buyer_without_a_profile_is_refused(self, client, buyer):
        client.force_login(buyer)
        response = client.get(reverse("marketplace:studio-commission-list"))
        assert response.status_code == 404

    def test_admit_next_from_the_inbox(self, client, artisan):
        artisan.commission_status = "waitlist"
        artisan.save()
        first = request(factories.UserFactory(), artisan, title="First")
        second = request(factories.UserFactory(), artisan, title="Second")
        client.force_login(artisan.user)
        page = client.get(reverse("marketplace:studio-commission-list"))
        assert b"2 requests on your waitlist" in page.content
        response = client.post(reverse("marketplace:studio-commission-admit-next"))
        assert response.status_code == 302
        assert refresh(first).status == S.SUBMITTED
        assert refresh(second).status == S.WAITLISTED

    def test_query_budget(self, client, artisan, django_assert_max_num_queries):
        for n in range(40):
            commission = request(factories.UserFactory(), artisan, title=f"Req {n}")
            if n % 2:
                services.message_post(
                    actor=commission.buyer, commission=commission, body="Hello"
                )
            if n % 5 == 0:
                walk_to(S.IN_PROGRESS, artisan=artisan)
        client.force_login(artisan.user)
        with django_assert_max_num_queries(14):
            response = client.get(reverse("marketplace:studio-commission-list"))
        assert response.status_code == 200
        assert len(response.context["rows"]) == 20


class TestCommissionPage:
    def test_buyer_sees_timeline_quote_and_next_step(self, client, buyer, artisan):
        commission = walk_to(S.QUOTED, buyer=buyer, artisan=artisan)
        client.force_login(buyer)
        response = client.get(detail(commission))
        assert response.status_code == 200
        content = response.content.decode()
        assert "Your turn" in content
        assert "The buyer accepts or declines the quote" in content
        assert "Accept quote v1" in content
        assert "Quote sent" in content and "Request sent" in content
        assert "480.00 GBP" in content
        assert "Send quote" not in content  # the artisan's form

    def test_artisan_sees_their_actions(self, client, buyer, artisan):
        commission = walk_to(S.SUBMITTED, buyer=buyer, artisan=artisan)
        client.force_login(artisan.user)
        response = client.get(detail(commission))
        content = response.content.decode()
        assert "Send quote" in content
        assert "Decline request" in content
        assert "Accept quote" not in content

    def test_third_user_gets_404(self, client, buyer, artisan):
        commission = walk_to(S.SUBMITTED, buyer=buyer, artisan=artisan)
        client.force_login(factories.UserFactory())
        assert client.get(detail(commission)).status_code == 404
        other_artisan = factories.ArtisanFactory()
        client.force_login(other_artisan.user)
        assert client.get(detail(commission)).status_code == 404

    def test_anonymous_is_sent_to_log_in(self, client, buyer, artisan):
        commission = walk_to(S.SUBMITTED, buyer=buyer, artisan=artisan)
        response = client.get(detail(commission))
        assert response.status_code == 302

    def test_query_budget_with_a_long_history(
        self, client, buyer, artisan, django_assert_max_num_queries
    ):
        commission = walk_to(S.IN_PROGRESS, buyer=buyer, artisan=artisan)
        for n in range(15):
            update = services.commission_post_update(
                actor=artisan.user,
                commission=commission,
                stage="fabrication",
                note=f"Step {n}",
                needs_approval=True,
                photos=[image_upload()] if n < 3 else [],
            )
            services.commission_approve_update(
                actor=buyer, commission=commission, update_id=update.pk
            )
            services.message_post(actor=buyer, commission=commission, body=f"Q{n}")
            services.message_post(
                actor=artisan.user,
                commission=commission,
                body=f"A{n}",
                attachments=[image_upload()] if n < 2 else [],
            )
        assert commission.events.count() >= 30
        assert commission.messages.count() >= 30
        client.force_login(buyer)
        with django_assert_max_num_queries(17):
            response = client.get(detail(commission))
        assert response.status_code == 200
        assert len(response.context["events"]) >= 30
        assert response.content.decode().count("thread__message") >= 30


class TestRequestPage:
    def url(self, artisan, base=None):
        url = reverse("marketplace:commission-create") + f"?artisan={artisan.slug}"
        return url + (f"&base={base.slug}" if base else "")

    def data(self, **overrides):
        return {
            "kind": "bespoke",
            "title": "Signet ring",
            "category": "ring",
            "brief": "An oval signet with my initials.",
            "budget_min": "200",
            "budget_max": "450",
            "currency": "GBP",
            "ring_size": "P",
            **overrides,
        }

    def test_a_buyer_sends_a_request_with_images(self, client, buyer, artisan):
        client.force_login(buyer)
        data = self.data(
            reference_images=[image_upload("a.jpg"), image_upload("b.png", fmt="PNG")]
        )
        response = client.post(self.url(artisan), data)
        commission = Commission.objects.get()
        assert response.status_code == 302
        assert response["Location"] == commission.get_absolute_url()
        assert commission.buyer == buyer and commission.artisan == artisan
        assert commission.reference_images.count() == 2
        assert commission.status == S.SUBMITTED

    def test_modification_from_a_piece_is_prefilled(self, client, buyer, artisan):
        base = factories.ListingFactory(
            artisan=artisan, published=True, title="Lotus cuff"
        )
        client.force_login(buyer)
        page = client.get(self.url(artisan, base))
        assert page.status_code == 200
        form = page.context["form"]
        assert form.initial["kind"] == "modification"
        assert form.initial["base_listing"] == base
        response = client.post(
            self.url(artisan, base),
            self.data(kind="modification", base_listing=base.pk),
        )
        assert response.status_code == 302
        assert Commission.objects.get().base_listing == base

    def test_a_large_shop_lists_its_newest_pieces_and_accepts_any(
        self, client, buyer, artisan, monkeypatch
    ):
        from datetime import timedelta

        from django.utils import timezone

        from marketplace.commissions import forms

        monkeypatch.setattr(forms, "MAX_PIECE_CHOICES", 3)
        now = timezone.now()
        pieces = [
            factories.ListingFactory(
                artisan=artisan,
                published=True,
                title=f"Piece {n}",
                published_at=now - timedelta(days=n),
            )
            for n in range(5)
        ]
        oldest = pieces[-1]
        client.force_login(buyer)
        html = client.get(self.url(artisan)).content.decode()
        offered = [p.title for p in pieces if f'value="{p.pk}"' in html]
        assert offered == ["Piece 0", "Piece 1", "Piece 2"]
        assert "3 newest pieces" in html
        # Coming from an older piece's page, that piece is offered too.
        html = client.get(self.url(artisan, oldest)).content.decode()
        assert f'value="{oldest.pk}" selected' in html
        response = client.post(
            self.url(artisan),
            self.data(kind="modification", base_listing=oldest.pk),
        )
        assert response.status_code == 302
        assert Commission.objects.get().base_listing == oldest

    def test_a_large_shop_still_refuses_a_piece_that_is_not_its_own(
        self, client, buyer, artisan, monkeypatch
    ):
        from marketplace.commissions import forms

        monkeypatch.setattr(forms, "MAX_PIECE_CHOICES", 1)
        for _ in range(2):
            factories.ListingFactory(artisan=artisan, published=True)
        draft = factories.ListingFactory(artisan=artisan)
        elsewhere = factories.ListingFactory(published=True)  # another artisan's
        client.force_login(buyer)
        for piece in (draft, elsewhere):
            response = client.post(
                self.url(artisan),
                self.data(kind="modification", base_listing=piece.pk),
            )
            assert response.status_code == 400  # the form again, with its errors
            assert "base_listing" in response.context["form"].errors
            assert f'value="{piece.pk}"' not in response.content.decode()
        assert not Commission.objects.exists()

    def test_a_draft_base_is_404(self, client, buyer, artisan):
        draft = factories.ListingFactory(artisan=artisan)
        client.force_login(buyer)
        assert client.get(self.url(artisan, draft)).status_code == 404

    def test_bad_input_is_shown_next_to_the_fields(self, client, buyer, artisan):
        client.force_login(buyer)
        response = client.post(
            self.url(artisan),
            self.data(
                title="",
                budget_min="900",
                budget_max="100",
                desired_date=str(timezone.localdate() - timedelta(days=3)),
            ),
        )
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert "title" in errors
        assert not Commission.objects.exists()
        response = client.post(
            self.url(artisan), self.data(budget_min="900", budget_max="100")
        )
        assert response.status_code == 400
        assert "budget_max" in response.context["form"].errors
        assert b"The maximum must not be below the minimum" in response.content
        assert not Commission.objects.exists()

    def test_a_fake_image_is_refused_next_to_the_field(self, client, buyer, artisan):
        from django.core.files.uploadedfile import SimpleUploadedFile

        client.force_login(buyer)
        fake = SimpleUploadedFile("x.jpg", b"<?php echo 1; ?>", "image/jpeg")
        response = client.post(self.url(artisan), self.data(reference_images=[fake]))
        assert response.status_code == 400
        assert "reference_images" in response.context["form"].errors
        assert not Commission.objects.exists()

    def test_closed_artisan_shows_a_clear_message_and_refuses(self, client, buyer):
        closed = factories.ArtisanFactory(
            commission_status="closed", public_name="Kofi"
        )
        client.force_login(buyer)
        page = client.get(self.url(closed))
        assert b"Kofi is not taking commissions" in page.content
        assert b"Send request" not in page.content
        response = client.post(self.url(closed), self.data())
        assert response.status_code == 400
        assert b"not taking commissions" in response.content
        assert not Commission.objects.exists()

    def test_waitlisted_artisan_queues_and_says_where(self, client, buyer):
        artisan = factories.ArtisanFactory(commission_status="waitlist")
        request(factories.UserFactory(), artisan)
        client.force_login(buyer)
        response = client.post(self.url(artisan), self.data(), follow=True)
        assert b"waitlist at position 2" in response.content
        assert Commission.objects.filter(buyer=buyer).get().status == S.WAITLISTED

    def test_unknown_artisan_is_404(self, client, buyer):
        client.force_login(buyer)
        url = reverse("marketplace:commission-create") + "?artisan=nobody"
        assert client.get(url).status_code == 404
        assert client.get(reverse("marketplace:commission-create")).status_code == 404


class TestActionsInHtml:
    def test_the_whole_journey_through_the_pages(self, client, buyer, artisan):
        base = factories.ListingFactory(artisan=artisan, published=True)
        commission = request(buyer, artisan, kind="modification", base_listing=base)
        today = timezone.localdate()
        a, b = artisan.user, buyer

        def post(user, slug, data=None, files=None):
            client.force_login(user)
            response = client.post(
                post_url(commission, slug), {**(data or {}), **(files or {})}
            )
            assert response.status_code == 302, (slug, response.content[:3000])
            return refresh(commission)

        post(
            a,
            "quote",
            fill(
                "quote",
                price="350.00",
                deposit="100.00",
                currency="GBP",
                estimated_completion_date=str(today + timedelta(days=30)),
                valid_until=str(today + timedelta(days=10)),
                materials_commitments="Recycled silver.",
            ),
        )
        assert refresh(commission).status == S.QUOTED
        post(b, "accept-quote", fill("accept-quote", version=1))
        post(
            b,
            "record-payment",
            fill("record-payment", kind="deposit", amount="100.00", reference="TR-1"),
        )
        payment = commission.payments.get()
        post(a, "confirm-payment", fill("confirm-payment", payment=payment.pk))
        assert post(a, "start").status == S.IN_PROGRESS
        post(
            a,
            "post-update",
            fill("post-update", stage="design", note="Sketch", needs_approval="on"),
            {"post-update-photos": [image_upload()]},
        )
        update = commission.progress_updates.get()
        assert update.photos.count() == 1
        post(b, "approve-update", fill("approve-update", update=update.pk, note=""))
        post(b, "messages", fill("message", body="Lovely!"))
        assert post(a, "submit-for-review").status == S.READY_FOR_REVIEW
        assert post(b, "approve").status == S.APPROVED
        lot = factories.recycled_silver_lot(artisan, reference="HTML-J")
        done = post(
            a,
            "complete",
            fill(
                "complete",
                title="Ben's cuff",
                description="",
                metal="silver",
                fineness="925",
                construction="solid",
                weight_grams="5.000",
                lot_1=lot.pk,
                grams_1="5.300",
                loss_grams="0.300",
            ),
        )
        assert done.status == S.COMPLETED
        assert done.completed_listing.private_to == buyer
        assert done.completed_listing.status == Listing.Status.SOLD

    def test_wrong_state_is_a_400_with_a_clear_message(self, client, buyer, artisan):
        commission = walk_to(S.SUBMITTED, buyer=buyer, artisan=artisan)
        client.force_login(artisan.user)
        response = client.post(act(commission, "start"))
        assert response.status_code == 400
        assert (
            b"You cannot start the work while the commission is submitted"
            in response.content
        )
        assert refresh(commission).status == S.SUBMITTED

    def test_wrong_party_is_a_403(self, client, buyer, artisan):
        commission = walk_to(S.SUBMITTED, buyer=buyer, artisan=artisan)
        client.force_login(buyer)
        response = client.post(
            act(commission, "decline"), fill("decline", reason="I'm the buyer")
        )
        assert response.status_code == 403
        assert refresh(commission).status == S.SUBMITTED

    def test_bad_quote_input_is_shown_next_to_the_fields(self, client, buyer, artisan):
        commission = walk_to(S.SUBMITTED, buyer=buyer, artisan=artisan)
        client.force_login(artisan.user)
        today = timezone.localdate()
        response = client.post(
            act(commission, "quote"),
            fill(
                "quote",
                price="100.00",
                deposit="500.00",
                currency="GBP",
                estimated_completion_date=str(today + timedelta(days=30)),
                valid_until=str(today + timedelta(days=10)),
                materials_commitments="Silver",
            ),
        )
        assert response.status_code == 400
        assert "deposit" in response.context["forms"]["quote"].errors
        assert b"The deposit cannot be more than the price" in response.content
        assert not commission.quotes.exists()

    def test_cancel_needs_a_reason(self, client, buyer, artisan):
        commission = walk_to(S.SUBMITTED, buyer=buyer, artisan=artisan)
        client.force_login(buyer)
        response = client.post(act(commission, "cancel"), fill("cancel", reason=""))
        assert response.status_code == 400
        assert "reason" in response.context["forms"]["cancel"].errors
        assert refresh(commission).status == S.SUBMITTED

    def test_unknown_action_is_404(self, client, buyer, artisan):
        commission = walk_to(S.SUBMITTED, buyer=buyer, artisan=artisan)
        client.force_login(buyer)
        assert client.post(act(commission, "teleport")).status_code == 404

    @pytest.mark.parametrize("slug", POST_URLS)
    def test_third_user_gets_404_on_every_action(self, client, slug):
        commission = walk_to(S.IN_PROGRESS, deposit=Decimal("0"))
        before = CommissionEvent.objects.count()
        for outsider in (factories.UserFactory(), factories.ArtisanFactory().user):
            client.force_login(outsider)
            assert client.post(post_url(commission, slug), {}).status_code == 404
            assert client.get(detail(commission)).status_code == 404
        assert CommissionEvent.objects.count() == before

    @pytest.mark.parametrize("slug", POST_URLS)
    def test_anonymous_cannot_act(self, client, slug):
        commission = walk_to(S.SUBMITTED)
        response = client.post(post_url(commission, slug), {})
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


class TestNotificationsPages:
    def test_header_count_list_open_and_mark_read(self, client, buyer, artisan):
        commission = walk_to(S.QUOTED, buyer=buyer, artisan=artisan)
        client.force_login(buyer)
        unread = Notification.objects.filter(user=buyer, read_at__isnull=True).count()
        assert unread == 1  # the quote
        page = client.get(reverse("marketplace:notification-list"))
        assert page.status_code == 200
        assert b'class="notification-count"' in page.content
        assert b"sent quote v1" in page.content
        notification = Notification.objects.get(user=buyer)
        response = client.get(notification.get_absolute_url())
        assert response["Location"] == commission.get_absolute_url()
        notification.refresh_from_db()
        assert notification.is_read
        services.message_post(actor=artisan.user, commission=commission, body="Hi")
        services.message_post(actor=artisan.user, commission=commission, body="Again")
        client.post(reverse("marketplace:notification-mark-read"))
        assert not Notification.objects.filter(
            user=buyer, read_at__isnull=True
        ).exists()

    def test_other_peoples_notifications_are_404(self, client, buyer):
        notification = factories.NotificationFactory()
        client.force_login(buyer)
        assert client.get(notification.get_absolute_url()).status_code == 404
        client.post(
            reverse("marketplace:notification-mark-read"),
            {"notification": notification.pk},
        )
        notification.refresh_from_db()
        assert not notification.is_read

    def test_query_budget(self, client, buyer, django_assert_max_num_queries):
        for _ in range(40):
            factories.NotificationFactory(user=buyer)
        client.force_login(buyer)
        with django_assert_max_num_queries(10):
            response = client.get(reverse("marketplace:notification-list"))
        assert len(response.context["notifications"]) == 30


class TestAccountPage:
    def test_query_budget(self, client, buyer, django_assert_max_num_queries):
        for _ in range(8):
            walk_to(S.COMPLETED, buyer=buyer)
            walk_to(S.QUOTED, buyer=buyer)
        client.force_login(buyer)
        with django_assert_max_num_queries(16):
            response = client.get(reverse("marketplace:account"))
        assert response.content.decode().count("badge--status-") == 5

    def test_shows_my_commissions_and_pieces(self, client, buyer, artisan):
        walk_to(S.COMPLETED, buyer=buyer, artisan=artisan, title="Moon pendant")
        client.force_login(buyer)
        response = client.get(reverse("marketplace:account"))
        content = response.content.decode()
        assert "My commissions" in content
        assert "My commissioned pieces" in content
        assert content.count("Moon pendant") >= 2


class TestPiecePageLink:
    def test_commission_something_similar_from_the_piece_page(
        self, client, buyer, artisan
    ):
        piece = factories.ListingFactory(artisan=artisan, published=True)
        client.force_login(buyer)
        page = client.get(piece.get_absolute_url())
        assert page.status_code == 200
        link = (
            reverse("marketplace:commission-create")
            + f"?artisan={artisan.slug}&amp;base={piece.slug}"
        )
        assert link.encode() in page.content
        assert b"Commission something similar" in page.content
        form = client.get(link.replace("&amp;", "&"))
        assert form.context["form"].initial["base_listing"] == piece

    def test_no_link_for_a_closed_artisan_or_their_own_piece(self, client, buyer):
        closed = factories.ArtisanFactory(commission_status="closed")
        piece = factories.ListingFactory(artisan=closed, published=True)
        client.force_login(buyer)
        page = client.get(piece.get_absolute_url())
        assert b"Commission something similar" not in page.content
        assert b"not taking commissions" in page.content
        client.force_login(closed.user)
        assert (
            b"Commission something similar"
            not in client.get(piece.get_absolute_url()).content
        )


def test_the_buyer_opens_their_private_piece_from_my_account(client):
    commission = walk_to(S.COMPLETED, title="Comet ring")
    piece = commission.completed_listing
    client.force_login(commission.buyer)
    account = client.get(reverse("marketplace:account"))
    assert piece.get_absolute_url().encode() in account.content
    assert client.get(piece.get_absolute_url()).status_code == 200
    client.force_login(factories.UserFactory())
    assert client.get(piece.get_absolute_url()).status_code == 404


def test_staff_see_a_commissions_payments_in_the_admin(client, buyer, artisan):
    commission = walk_to(
        S.ACCEPTED, buyer=buyer, artisan=artisan, deposit=Decimal("100.00")
    )
    payment = services.payment_record(
        actor=buyer,
        commission=commission,
        kind="deposit",
        amount=Decimal("100.00"),
        reference="ADMIN-REF-1",
    )
    order_charge = factories.ChargeFactory(
        payable=factories.UserFactory(), purpose="order", reference="NOT-A-COMMISSION"
    )
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    changelist = client.get(
        reverse("admin:marketplace_commissionpayment_changelist")
    ).content.decode()
    assert "ADMIN-REF-1" in changelist
    assert order_charge.reference not in changelist
    change = client.get(
        reverse("admin:marketplace_commissionpayment_change", args=[payment.pk])
    )
    assert change.status_code == 200 and buyer.username in change.content.decode()
    page = client.get(
        reverse("admin:marketplace_commission_change", args=[commission.pk])
    )
    assert page.status_code == 200 and "ADMIN-REF-1" in page.content.decode()
