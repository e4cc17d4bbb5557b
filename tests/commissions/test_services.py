from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from marketplace.accounts.models import Notification
from marketplace.catalogue.models import Listing
from marketplace.commissions import selectors, services
from marketplace.commissions.models import (
    Commission,
    CommissionEvent,
    CommissionPayment,
    Message,
    ProgressUpdate,
    Quote,
)
from marketplace.payments.models import Charge, PaymentEvent
from marketplace.payments.services import charges_of
from tests import factories
from tests.commissions.helpers import (
    S,
    current_quote,
    force_status,
    image_upload,
    pdf_upload,
    quote,
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


def kinds(commission):
    return list(commission.events.order_by("id").values_list("kind", flat=True))


class TestRequest:
    def test_open_artisan_receives_a_submitted_request(
        self, buyer, artisan, django_capture_on_commit_callbacks
    ):
        # Committed, so that the thumbnail task runs as it does after a request.
        with django_capture_on_commit_callbacks(execute=True):
            commission = request(buyer, artisan, reference_images=[image_upload()])
        assert commission.status == S.SUBMITTED
        assert commission.submitted_at is not None
        event = commission.events.get()
        assert (event.kind, event.from_status, event.to_status) == (
            "request",
            "",
            "submitted",
        )
        assert event.actor == buyer
        assert commission.messages.get().event == event
        assert Notification.objects.filter(
            user=artisan.user, commission=commission, action_needed=True
        ).exists()
        image = commission.reference_images.get()
        assert image.thumbnail and image.alt_text.startswith("Reference image 1")

    def test_closed_artisan_refuses_with_a_clear_message(self, buyer):
        closed = factories.ArtisanFactory(commission_status="closed")
        with pytest.raises(ValidationError) as error:
            request(buyer, closed)
        assert "not taking commissions" in str(error.value)
        assert not Commission.objects.exists()

    def test_an_artisan_cannot_commission_themselves(self, artisan):
        with pytest.raises(ValidationError, match="from yourself"):
            request(artisan.user, artisan)
        assert not Commission.objects.exists()

    def test_modification_keeps_the_base_listing(self, buyer, artisan):
        base = factories.ListingFactory(artisan=artisan, published=True)
        commission = request(buyer, artisan, kind="modification", base_listing=base)
        assert commission.base_listing == base

    @pytest.mark.parametrize("which", ["other_artisan", "draft", "private", "none"])
    def test_modification_needs_one_of_the_artisans_public_pieces(
        self, buyer, artisan, which
    ):
        base = {
            "other_artisan": lambda: factories.ListingFactory(published=True),
            "draft": lambda: factories.ListingFactory(artisan=artisan),
            "private": lambda: (
                Listing.objects.filter(
                    pk=factories.ListingFactory(artisan=artisan, published=True).pk
                ).update(private_to=buyer)
                and Listing.objects.get(artisan=artisan)
            ),
            "none": lambda: None,
        }[which]()
        with pytest.raises(ValidationError) as error:
            request(buyer, artisan, kind="modification", base_listing=base)
        assert "base_listing" in error.value.message_dict
        assert not Commission.objects.exists()

    def test_bad_input_is_reported_per_field_and_nothing_is_saved(self, buyer, artisan):
        with pytest.raises(ValidationError) as error:
            request(
                buyer,
                artisan,
                title="",
                budget_min=Decimal("500"),
                budget_max=Decimal("100"),
                desired_date=timezone.localdate() - timedelta(days=1),
                currency="pounds",
            )
        fields = error.value.message_dict
        assert {"title", "budget_max", "desired_date", "currency"} <= set(fields)
        assert not Commission.objects.exists()
        assert not CommissionEvent.objects.exists()

    def test_a_bad_reference_image_saves_nothing(self, buyer, artisan):
        bad = image_upload()
        bad.file.write(b"")  # keep the name, break the content below
        from django.core.files.uploadedfile import SimpleUploadedFile

        bad = SimpleUploadedFile("fake.jpg", b"not an image", "image/jpeg")
        with pytest.raises(ValidationError) as error:
            request(buyer, artisan, reference_images=[image_upload(), bad])
        assert "reference_images" in error.value.message_dict
        assert not Commission.objects.exists()


class TestWaitlist:
    def test_requests_queue_in_order_and_the_artisan_admits_the_first(self, artisan):
        artisan.commission_status = "waitlist"
        artisan.save()
        first, second, third = (
            request(factories.UserFactory(), artisan, title=f"Piece {n}")
            for n in range(3)
        )
        assert [
            services.waitlist_position(refresh(c)) for c in (first, second, third)
        ] == [
            1,
            2,
            3,
        ]
        assert refresh(first).status == S.WAITLISTED
        assert refresh(first).submitted_at is None
        assert first.events.get().payload == {"position": 1}

        with pytest.raises(ValidationError, match="first in line"):
            services.commission_admit(actor=artisan.user, commission=second)

        admitted = services.commission_admit_next(actor=artisan.user, artisan=artisan)
        assert admitted.pk == first.pk
        assert refresh(first).status == S.SUBMITTED
        assert refresh(first).submitted_at is not None
        assert services.waitlist_position(refresh(second)) == 1
        assert services.waitlist_position(refresh(third)) == 2
        assert kinds(first) == ["join_waitlist", "admit"]

    def test_one_waitlist_position_for_every_reader(self, artisan):
        artisan.commission_status = "waitlist"
        artisan.save()
        other = factories.ArtisanFactory(commission_status="waitlist")
        queue = [request(factories.UserFactory(), artisan) for _ in range(4)]
        request(factories.UserFactory(), other)
        # Two requests arriving at the same instant queue by id.
        Commission.objects.filter(pk=queue[3].pk).update(
            created_at=refresh(queue[2]).created_at
        )
        services.commission_admit_next(actor=artisan.user, artisan=artisan)
        annotated = dict(
            Commission.objects.with_waitlist_position().values_list(
                "pk", "waitlist_position"
            )
        )
        assert [annotated[c.pk] for c in queue] == [None, 1, 2, 3]
        assert [services.waitlist_position(c) for c in queue] == [None, 1, 2, 3]
        assert (
            Commission.objects.filter(artisan=artisan).in_waitlist_order().first().pk
            == queue[1].pk
        )

    def test_admit_next_with_an_empty_waitlist(self, artisan):
        with pytest.raises(ValidationError, match="Nobody is waiting"):
            services.commission_admit_next(actor=artisan.user, artisan=artisan)

    def test_the_buyer_cannot_admit_themselves(self, buyer, artisan):
        artisan.commission_status = "waitlist"
        artisan.save()
        commission = request(buyer, artisan)
        with pytest.raises(PermissionDenied):
            services.commission_admit(actor=buyer, commission=commission)


class TestQuotes:
    def test_a_new_version_supersedes_the_old(self, buyer, artisan):
        commission = request(buyer, artisan)
        first = quote(commission)
        second = quote(commission, price=Decimal("520.00"))
        first.refresh_from_db()
        assert (first.version, first.status) == (1, Quote.Status.SUPERSEDED)
        assert (second.version, second.status) == (2, Quote.Status.CURRENT)
        assert refresh(commission).status == S.QUOTED
        assert commission.events.filter(kind="quote").last().payload == {
            "version": 2,
            "superseded": [1],
        }

    def test_accepting_a_superseded_version_is_refused(self, buyer, artisan):
        commission = request(buyer, artisan)
        quote(commission)
        quote(commission, price=Decimal("520.00"))
        with pytest.raises(ValidationError, match="replaced by v2"):
            services.commission_accept_quote(
                actor=buyer, commission=commission, version=1
            )
        assert refresh(commission).status == S.QUOTED

    def test_accepting_the_current_version(self, buyer, artisan):
        commission = request(buyer, artisan)
        quote(commission)
        accepted = services.commission_accept_quote(
            actor=buyer, commission=commission, version=1
        )
        assert accepted.status == Quote.Status.ACCEPTED
        assert refresh(commission).status == S.ACCEPTED

    def test_an_expired_quote_cannot_be_accepted(self, buyer, artisan):
        commission = request(buyer, artisan)
        q = quote(commission)
        Quote.objects.filter(pk=q.pk).update(
            valid_until=timezone.localdate() - timedelta(days=1)
        )
        with pytest.raises(ValidationError, match="expired"):
            services.commission_accept_quote(
                actor=buyer, commission=commission, version=1
            )
        assert refresh(commission).status == S.QUOTED

    def test_an_unknown_version(self, buyer, artisan):
        commission = request(buyer, artisan)
        quote(commission)
        with pytest.raises(ValidationError) as error:
            services.commission_accept_quote(
                actor=buyer, commission=commission, version=7
            )
        assert "version" in error.value.message_dict

    def test_declining_the_quote_returns_it_to_the_artisan(self, buyer, artisan):
        commission = request(buyer, artisan)
        quote(commission)
        services.commission_decline_quote(
            actor=buyer, commission=commission, version=1, reason="Over budget."
        )
        assert refresh(commission).status == S.SUBMITTED
        assert commission.quotes.get().status == Quote.Status.DECLINED
        second = quote(commission, price=Decimal("400.00"))
        assert second.version == 2

    def test_the_deposit_rule_is_the_quotes_constraint(self, buyer, artisan):
        commission = request(buyer, artisan)
        (constraint,) = [
            c for c in Quote._meta.constraints if c.name == "quote_deposit_within_price"
        ]
        with pytest.raises(ValidationError) as error:
            quote(commission, price=Decimal("100.00"), deposit=Decimal("100.01"))
        assert error.value.message_dict["deposit"] == [
            constraint.violation_error_message
        ]
        assert not commission.quotes.exists()
        # The model says so on its own, on the deposit field.
        with pytest.raises(ValidationError) as error:
            Quote(
                price=Decimal("100.00"), deposit=Decimal("150.00")
            ).validate_constraints(exclude={"commission"})
        assert list(error.value.message_dict) == ["deposit"]
        # A deposit of the whole price is allowed.
        full = quote(commission, price=Decimal("100.00"), deposit=Decimal("100.00"))
        assert full.deposit == full.price

    @pytest.mark.parametrize(
        "overrides,field",
        [
            ({"deposit": Decimal("900.00")}, "deposit"),
            ({"deposit": Decimal("-1.00")}, "deposit"),
            ({"price": Decimal("0")}, "price"),
            ({"valid_until": timezone.localdate() - timedelta(days=1)}, "valid_until"),
            (
                {"estimated_completion_date": timezone.localdate() - timedelta(days=2)},
                "estimated_completion_date",
            ),
            ({"materials_commitments": "  "}, "materials_commitments"),
        ],
    )
    def test_bad_quotes_are_refused_per_field(self, buyer, artisan, overrides, field):
        commission = request(buyer, artisan)
        with pytest.raises(ValidationError) as error:
            quote(commission, **overrides)
        assert field in error.value.message_dict
        assert not commission.quotes.exists()
        assert refresh(commission).status == S.SUBMITTED


class TestWork:
    def test_start_needs_the_confirmed_deposit(self, buyer, artisan):
        commission = walk_to(
            S.ACCEPTED, buyer=buyer, artisan=artisan, deposit=Decimal("100.00")
        )
        with pytest.raises(ValidationError, match="deposit"):
            services.commission_start(actor=artisan.user, commission=commission)
        payment = services.payment_record(
            actor=buyer,
            commission=commission,
            kind="deposit",
            amount=Decimal("100.00"),
            reference="BANK-77",
        )
        with pytest.raises(ValidationError, match="deposit"):
            services.commission_start(actor=artisan.user, commission=commission)
        services.payment_confirm(
            actor=artisan.user, commission=commission, payment_id=payment.pk
        )
        services.commission_start(actor=artisan.user, commission=commission)
        assert refresh(commission).status == S.IN_PROGRESS
        payment.refresh_from_db()
        assert payment.payment_status == CommissionPayment.Status.CONFIRMED
        assert payment.status == Charge.Status.SUCCEEDED and payment.paid_at
        paid = payment.events.get(kind="paid")
        assert paid.actor == artisan.user

    def test_the_page_and_the_start_agree_on_a_deposit_paid_in_parts(
        self, buyer, artisan
    ):
        commission = walk_to(
            S.ACCEPTED, buyer=buyer, artisan=artisan, deposit=Decimal("100.00")
        )

        def next_party():
            listed = selectors.commission_list(user=buyer).get(pk=commission.pk)
            return selectors.commission_next_step(listed).party

        def pay(amount):
            return services.payment_record(
                actor=buyer,
                commission=commission,
                kind="deposit",
                amount=Decimal(amount),
                reference=f"PART-{amount}",
            )

        first = pay("60.00")
        assert next_party() == "buyer"  # 40 still to pay
        second = pay("40.00")
        assert next_party() == "artisan"  # to confirm
        services.payment_confirm(
            actor=artisan.user, commission=commission, payment_id=first.pk
        )
        assert not refresh(commission).deposit_confirmed(
            services.accepted_quote(commission)
        )
        with pytest.raises(ValidationError, match="deposit"):
            services.commission_start(actor=artisan.user, commission=commission)
        services.payment_confirm(
            actor=artisan.user, commission=commission, payment_id=second.pk
        )
        assert refresh(commission).deposit_confirmed(
            services.accepted_quote(commission)
        )
        assert (
            "starts the work"
            in selectors.commission_next_step(
                selectors.commission_list(user=buyer).get(pk=commission.pk)
            ).text
        )
        services.commission_start(actor=artisan.user, commission=commission)
        assert refresh(commission).status == S.IN_PROGRESS

    def test_updates_needing_approval_and_the_buyers_answers(
        self, buyer, artisan, django_capture_on_commit_callbacks
    ):
        commission = walk_to(S.IN_PROGRESS, buyer=buyer, artisan=artisan)
        with django_capture_on_commit_callbacks(execute=True):
            sketch = services.commission_post_update(
                actor=artisan.user,
                commission=commission,
                stage="design",
                note="Two sketches.",
                needs_approval=True,
                photos=[image_upload(), image_upload(colour=(20, 20, 20))],
                use_as_evidence=True,
            )
        assert sketch.approval_status == ProgressUpdate.Approval.PENDING
        assert sketch.photos.count() == 2
        assert all(p.use_as_evidence and p.thumbnail for p in sketch.photos.all())
        with pytest.raises(ValidationError, match="awaits"):
            services.commission_submit_for_review(
                actor=artisan.user, commission=commission
            )
        services.commission_request_changes(
            actor=buyer, commission=commission, update_id=sketch.pk, note="Thinner."
        )
        sketch.refresh_from_db()
        assert sketch.approval_status == ProgressUpdate.Approval.CHANGES_REQUESTED
        assert sketch.buyer_note == "Thinner."
        with pytest.raises(ValidationError, match="not awaiting"):
            services.commission_approve_update(
                actor=buyer, commission=commission, update_id=sketch.pk
            )
        revised = services.commission_post_update(
            actor=artisan.user,
            commission=commission,
            stage="design",
            note="Thinner band.",
            needs_approval=True,
        )
        services.commission_approve_update(
            actor=buyer, commission=commission, update_id=revised.pk
        )
        revised.refresh_from_db()
        assert revised.approval_status == ProgressUpdate.Approval.APPROVED
        services.commission_submit_for_review(actor=artisan.user, commission=commission)
        assert refresh(commission).status == S.READY_FOR_REVIEW

    def test_request_changes_needs_a_note(self, buyer, artisan):
        commission = walk_to(S.IN_PROGRESS, buyer=buyer, artisan=artisan)
        update = services.commission_post_update(
            actor=artisan.user,
            commission=commission,
            stage="materials",
            note="Stone options.",
            needs_approval=True,
        )
        with pytest.raises(ValidationError) as error:
            services.commission_request_changes(
                actor=buyer, commission=commission, update_id=update.pk, note=" "
            )
        assert "reason" in error.value.message_dict

    def test_submit_for_review_needs_an_update(self, buyer, artisan):
        commission = walk_to(S.IN_PROGRESS, buyer=buyer, artisan=artisan)
        with pytest.raises(ValidationError, match="at least one progress update"):
            services.commission_submit_for_review(
                actor=artisan.user, commission=commission
            )

    def test_send_back_returns_the_piece_to_the_bench(self, buyer, artisan):
        commission = walk_to(S.READY_FOR_REVIEW, buyer=buyer, artisan=artisan)
        services.commission_send_back(
            actor=buyer, commission=commission, reason="The engraving is missing."
        )
        commission = refresh(commission)
        assert commission.status == S.IN_PROGRESS
        assert commission.events.last().reason == "The engraving is missing."

    def test_the_whole_path_records_every_move(self, buyer, artisan):
        commission = walk_to(S.COMPLETED, buyer=buyer, artisan=artisan)
        assert kinds(commission) == [
            "request",
            "quote",
            "accept_quote",
            "start",
            "post_update",
            "submit_for_review",
            "approve",
            "complete",
        ]
        statuses = list(commission.events.values_list("to_status", flat=True))
        assert statuses[-1] == S.COMPLETED
        # Every move wrote one system message in the thread.
        assert commission.messages.filter(author__isnull=True).count() == 8


class TestCancelAndExpire:
    @pytest.mark.parametrize(
        "status", [S.SUBMITTED, S.QUOTED, S.ACCEPTED, S.IN_PROGRESS]
    )
    @pytest.mark.parametrize("who", ["buyer", "artisan"])
    def test_either_party_cancels_an_open_commission(self, buyer, artisan, status, who):
        commission = walk_to(status, buyer=buyer, artisan=artisan)
        actor = buyer if who == "buyer" else artisan.user
        services.commission_cancel(actor=actor, commission=commission, reason="Sorry.")
        commission = refresh(commission)
        assert commission.status == S.CANCELLED
        assert commission.events.last().from_status == status
        assert not commission.quotes.filter(status=Quote.Status.CURRENT).exists()

    def test_cancel_from_the_waitlist(self, buyer, artisan):
        artisan.commission_status = "waitlist"
        artisan.save()
        commission = request(buyer, artisan)
        services.commission_cancel(actor=buyer, commission=commission, reason="No.")
        assert refresh(commission).status == S.CANCELLED

    def test_cancel_needs_a_reason(self, buyer, artisan):
        commission = walk_to(S.SUBMITTED, buyer=buyer, artisan=artisan)
        with pytest.raises(ValidationError) as error:
            services.commission_cancel(actor=buyer, commission=commission, reason="")
        assert "reason" in error.value.message_dict
        assert refresh(commission).status == S.SUBMITTED

    def test_expire_due_expires_old_requests_and_stale_quotes_only(
        self, buyer, artisan, settings
    ):
        settings.COMMISSION_REQUEST_EXPIRY_DAYS = 10
        old = walk_to(S.SUBMITTED, buyer=buyer, artisan=artisan)
        Commission.objects.filter(pk=old.pk).update(
            submitted_at=timezone.now() - timedelta(days=11)
        )
        recent = walk_to(S.SUBMITTED, buyer=buyer, artisan=artisan)
        stale = walk_to(S.QUOTED, buyer=buyer, artisan=artisan)
        Quote.objects.filter(commission=stale).update(
            valid_until=timezone.localdate() - timedelta(days=1)
        )
        fresh = walk_to(S.QUOTED, buyer=buyer, artisan=artisan)
        expired = services.commission_expire_due()
        assert {c.pk for c in expired} == {old.pk, stale.pk}
        assert refresh(old).status == S.EXPIRED
        assert refresh(stale).status == S.EXPIRED
        assert stale.quotes.get().status == Quote.Status.EXPIRED
        assert refresh(recent).status == S.SUBMITTED
        assert refresh(fresh).status == S.QUOTED
        event = old.events.last()
        assert event.actor is None and "10 days" in event.reason
        # Both parties are told; nobody is asked to act.
        assert set(
            Notification.objects.filter(event=event).values_list("user", flat=True)
        ) == {buyer.pk, artisan.user_id}
        assert not Notification.objects.filter(event=event, action_needed=True).exists()

    def test_people_cannot_expire(self, buyer, artisan):
        commission = walk_to(S.SUBMITTED, buyer=buyer, artisan=artisan)
        with pytest.raises(PermissionDenied):
            services._check(commission, buyer, "expire")


class TestPayments:
    def test_amounts_cannot_exceed_what_the_quote_asks(self, buyer, artisan):
        commission = walk_to(
            S.ACCEPTED, buyer=buyer, artisan=artisan, deposit=Decimal("100.00")
        )
        with pytest.raises(ValidationError) as error:
            services.payment_record(
                actor=buyer,
                commission=commission,
                kind="deposit",
                amount=Decimal("150.00"),
                reference="X",
            )
        assert "amount" in error.value.message_dict
        with pytest.raises(ValidationError) as error:
            services.payment_record(
                actor=buyer,
                commission=commission,
                kind="deposit",
                amount=Decimal("50.00"),
                reference="",
            )
        assert "reference" in error.value.message_dict
        assert not Charge.objects.exists()

    def test_no_deposit_asked(self, buyer, artisan):
        commission = walk_to(S.ACCEPTED, buyer=buyer, artisan=artisan)
        with pytest.raises(ValidationError) as error:
            services.payment_record(
                actor=buyer,
                commission=commission,
                kind="deposit",
                amount=Decimal("1.00"),
                reference="X",
            )
        assert "kind" in error.value.message_dict

    def test_a_payment_is_confirmed_once_by_the_artisan_only(self, buyer, artisan):
        commission = walk_to(S.IN_PROGRESS, buyer=buyer, artisan=artisan)
        payment = services.payment_record(
            actor=buyer,
            commission=commission,
            kind="balance",
            amount=Decimal("480.00"),
            reference="BANK-2",
        )
        assert payment.currency == "GBP" and payment.method == "manual"
        with pytest.raises(PermissionDenied):
            services.payment_confirm(
                actor=buyer, commission=commission, payment_id=payment.pk
            )
        services.payment_confirm(
            actor=artisan.user, commission=commission, payment_id=payment.pk
        )
        with pytest.raises(ValidationError, match="already confirmed"):
            services.payment_confirm(
                actor=artisan.user, commission=commission, payment_id=payment.pk
            )

    def test_a_payment_is_a_charge_of_the_payments_module(self, buyer, artisan):
        commission = walk_to(
            S.ACCEPTED, buyer=buyer, artisan=artisan, deposit=Decimal("100.00")
        )
        payment = services.payment_record(
            actor=buyer,
            commission=commission,
            kind="deposit",
            amount=Decimal("100.00"),
            reference="  BANK-REF-9  ",
        )
        charge = charges_of(commission).get()
        assert charge.pk == payment.pk and charge.payable == commission
        assert (charge.purpose, charge.provider, charge.status) == (
            "deposit",
            "manual",
            Charge.Status.PENDING,
        )
        assert charge.reference == "BANK-REF-9" and charge.amount == Decimal("100")
        created = PaymentEvent.objects.get(charge=charge, kind="created")
        assert created.actor == buyer
        recorded = CommissionEvent.objects.get(
            commission=commission, kind="record_payment"
        )
        assert recorded.payload == {"payment": charge.pk}
        services.payment_confirm(
            actor=artisan.user, commission=commission, payment_id=charge.pk
        )
        assert [e.kind for e in charge.events.all()] == ["created", "paid"]
        assert CommissionEvent.objects.get(
            commission=commission, kind="confirm_payment"
        ).payload == {"payment": charge.pk}

    def test_another_payables_charge_is_not_the_commissions(self, buyer, artisan):
        commission = walk_to(
            S.ACCEPTED, buyer=buyer, artisan=artisan, deposit=Decimal("100.00")
        )
        other = factories.ChargeFactory()
        with pytest.raises(ValidationError) as error:
            services.payment_confirm(
                actor=artisan.user, commission=commission, payment_id=other.pk
            )
        assert "payment" in error.value.message_dict
        assert Charge.objects.get(pk=other.pk).status == Charge.Status.PENDING

    def test_a_cancelled_charge_counts_for_nothing(self, buyer, artisan):
        commission = walk_to(
            S.ACCEPTED, buyer=buyer, artisan=artisan, deposit=Decimal("100.00")
        )
        cancelled = factories.ChargeFactory(
            commission=commission, status=Charge.Status.CANCELLED
        )
        quote = services.accepted_quote(commission)
        assert not refresh(commission).deposit_recorded(quote)
        services.payment_record(
            actor=buyer,
            commission=commission,
            kind="deposit",
            amount=Decimal("100.00"),
            reference="BANK-3",
        )
        with pytest.raises(ValidationError, match="cancelled"):
            services.payment_confirm(
                actor=artisan.user, commission=commission, payment_id=cancelled.pk
            )
        assert refresh(commission).deposit_recorded(quote)


class TestMessages:
    def test_either_party_writes_with_attachments(
        self, buyer, artisan, django_capture_on_commit_callbacks
    ):
        commission = walk_to(S.SUBMITTED, buyer=buyer, artisan=artisan)
        with django_capture_on_commit_callbacks(execute=True):
            message = services.message_post(
                actor=buyer,
                commission=commission,
                body="Here is my ring sizer result.",
                attachments=[image_upload(), pdf_upload()],
            )
        kinds_ = sorted(a.media_type for a in message.attachments.all())
        assert kinds_ == ["application/pdf", "image/jpeg"]
        assert message.attachments.get(media_type="image/jpeg").thumbnail
        reply = services.message_post(
            actor=artisan.user, commission=commission, body="Thanks!"
        )
        assert reply.author == artisan.user
        assert Notification.objects.filter(user=artisan.user, verb__contains="sizer")
        assert Notification.objects.filter(user=buyer, verb__contains="Thanks")

    def test_a_third_user_cannot_write(self, buyer, artisan):
        commission = walk_to(S.SUBMITTED, buyer=buyer, artisan=artisan)
        with pytest.raises(PermissionDenied):
            services.message_post(
                actor=factories.UserFactory(), commission=commission, body="Hi"
            )

    def test_empty_message_and_bad_attachment(self, buyer, artisan):
        from django.core.files.uploadedfile import SimpleUploadedFile

        commission = walk_to(S.SUBMITTED, buyer=buyer, artisan=artisan)
        with pytest.raises(ValidationError) as error:
            services.message_post(actor=buyer, commission=commission, body="  ")
        assert "body" in error.value.message_dict
        evil = SimpleUploadedFile("run.exe", b"MZ\x90\x00", "application/octet-stream")
        with pytest.raises(ValidationError) as error:
            services.message_post(
                actor=buyer, commission=commission, body="See", attachments=[evil]
            )
        assert "attachments" in error.value.message_dict
        assert not Message.objects.filter(author=buyer).exists()


# --- The transition table: every forbidden move --------------------------------------


def _call(action, actor, commission):
    """Call the service behind a move with plausible arguments."""
    today = timezone.localdate()
    c = commission
    calls = {
        "admit": lambda: services.commission_admit(actor=actor, commission=c),
        "decline": lambda: services.commission_decline(
            actor=actor, commission=c, reason="No."
        ),
        "quote": lambda: services.commission_quote(
            actor=actor,
            commission=c,
            price=Decimal("100"),
            deposit=Decimal("0"),
            estimated_completion_date=today + timedelta(days=30),
            valid_until=today + timedelta(days=7),
            materials_commitments="Silver.",
        ),
        "accept_quote": lambda: services.commission_accept_quote(
            actor=actor, commission=c, version=1
        ),
        "decline_quote": lambda: services.commission_decline_quote(
            actor=actor, commission=c, version=1
        ),
        "start": lambda: services.commission_start(actor=actor, commission=c),
        "post_update": lambda: services.commission_post_update(
            actor=actor, commission=c, stage="design", note="Sketch."
        ),
        "approve_update": lambda: services.commission_approve_update(
            actor=actor, commission=c, update_id=1
        ),
        "request_changes": lambda: services.commission_request_changes(
            actor=actor, commission=c, update_id=1, note="Change."
        ),
        "submit_for_review": lambda: services.commission_submit_for_review(
            actor=actor, commission=c
        ),
        "approve": lambda: services.commission_approve(actor=actor, commission=c),
        "send_back": lambda: services.commission_send_back(
            actor=actor, commission=c, reason="No."
        ),
        "complete": lambda: services.commission_complete(actor=actor, commission=c),
        "cancel": lambda: services.commission_cancel(
            actor=actor, commission=c, reason="No."
        ),
        "expire": lambda: services.commission_expire(commission=c, reason="Late."),
        "record_payment": lambda: services.payment_record(
            actor=actor,
            commission=c,
            kind="balance",
            amount=Decimal("1"),
            reference="R",
        ),
        "confirm_payment": lambda: services.payment_confirm(
            actor=actor, commission=c, payment_id=1
        ),
    }
    return calls[action]()


MOVES = [
    name for name in services.TRANSITIONS if name not in ("request", "join_waitlist")
]
ALL_STATUSES = list(Commission.Status.values)


def _wrong_state_cases():
    for action in MOVES:
        move = services.TRANSITIONS[action]
        for status in ALL_STATUSES:
            if status not in move.sources:
                yield action, status


@pytest.mark.parametrize("action,status", list(_wrong_state_cases()))
def test_every_move_is_refused_outside_its_states(action, status):
    commission = factories.CommissionFactory()
    commission = force_status(commission, status)
    move = services.TRANSITIONS[action]
    party = move.by if move.by != services.EITHER else services.BUYER
    actor = {
        services.BUYER: commission.buyer,
        services.ARTISAN: commission.artisan.user,
        services.SYSTEM: None,
    }[party]
    events_before = CommissionEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        _call(action, actor, commission)
    assert error.value.code == "invalid_state"
    assert refresh(commission).status == status
    assert CommissionEvent.objects.count() == events_before


def _wrong_party_cases():
    for action in MOVES:
        move = services.TRANSITIONS[action]
        wrong = {
            services.BUYER: ["artisan", "third"],
            services.ARTISAN: ["buyer", "third"],
            services.EITHER: ["third"],
            services.SYSTEM: ["buyer", "artisan"],
        }[move.by]
        for who in wrong:
            yield action, who


@pytest.mark.parametrize("action,who", list(_wrong_party_cases()))
def test_every_move_is_refused_to_the_wrong_party(action, who):
    move = services.TRANSITIONS[action]
    commission = force_status(factories.CommissionFactory(), move.sources[0])
    actor = {
        "buyer": commission.buyer,
        "artisan": commission.artisan.user,
        "third": factories.UserFactory(),
    }[who]
    with pytest.raises(PermissionDenied):
        if action == "expire":
            services._check(commission, actor, "expire")
        else:
            _call(action, actor, commission)
    assert refresh(commission).status == move.sources[0]
    assert not CommissionEvent.objects.filter(commission=commission).exists()


def test_allowed_moves_follow_the_table():
    commission = factories.CommissionFactory()
    assert set(services.allowed_moves(commission.buyer, commission)) == {"cancel"}
    assert set(services.allowed_moves(commission.artisan.user, commission)) == {
        "decline",
        "quote",
        "cancel",
    }
    assert services.allowed_moves(factories.UserFactory(), commission) == []


def test_current_quote_helper_is_consistent():
    commission = walk_to(S.QUOTED)
    assert current_quote(commission).version == 1
