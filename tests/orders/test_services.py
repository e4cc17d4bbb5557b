"""Orders: basket, checkout, payment, shipping, delivery, cancellation, returns."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from marketplace.catalogue.models import Listing
from marketplace.orders import services
from marketplace.orders.models import Order, OrderEvent, ShippingProfile
from marketplace.payments.models import Charge, Refund
from provenance.models import Certificate, TraceEvent
from tests import factories as f
from tests.orders.helpers import address_for, paid, placed

pytestmark = pytest.mark.django_db


class TestBasket:
    def test_add_update_and_remove(self):
        buyer = f.UserFactory()
        edition = f.catalogue_listing(
            kind="limited_edition", edition_size=5, quantity_available=3
        )
        line = services.basket_add(user=buyer, listing=edition, quantity=2)
        assert line.quantity == 2
        with pytest.raises(ValidationError) as caught:
            services.basket_update(user=buyer, line=line, quantity=4)
        assert (
            "Only 3 of this edition are left." in caught.value.message_dict["quantity"]
        )
        services.basket_remove(user=buyer, line=line)
        assert not buyer.basket.lines.exists()

    @pytest.mark.parametrize("status", ["draft", "sold", "archived", "reserved"])
    def test_only_pieces_on_sale_go_in(self, status):
        listing = f.catalogue_listing()
        Listing.objects.filter(pk=listing.pk).update(status=status)
        with pytest.raises(ValidationError):
            services.basket_add(user=f.UserFactory(), listing=listing)

    def test_not_your_own_piece_and_one_of_a_kind_singly(self):
        listing = f.catalogue_listing()
        with pytest.raises(ValidationError):
            services.basket_add(user=listing.artisan.user, listing=listing)
        with pytest.raises(ValidationError):
            services.basket_add(user=f.UserFactory(), listing=listing, quantity=2)

    def test_another_buyers_line_is_not_yours(self):
        buyer = f.UserFactory()
        line = services.basket_add(user=buyer, listing=f.catalogue_listing())
        with pytest.raises(PermissionDenied):
            services.basket_remove(user=f.UserFactory(), line=line)


class TestCheckout:
    def test_one_order_per_artisan_and_currency_with_a_snapshot(
        self, django_capture_on_commit_callbacks
    ):
        buyer = f.UserFactory()
        a, b = f.ArtisanFactory(), f.ArtisanFactory()
        listings = [
            f.catalogue_listing(artisan=a),
            f.catalogue_listing(artisan=a, price=Decimal("20.00")),
            f.catalogue_listing(artisan=a, currency="EUR"),
            f.catalogue_listing(artisan=b),
        ]
        with django_capture_on_commit_callbacks(execute=True):
            orders = placed(buyer, listings)
        assert len(orders) == 3
        gbp = next(o for o in orders if o.artisan == a and o.currency == "GBP")
        assert gbp.subtotal == Decimal("200.00")
        assert gbp.shipping == Decimal("5.00")  # domestic default rate
        assert gbp.total == Decimal("205.00")
        assert gbp.status == "pending_payment"
        assert gbp.hold_expires_at > timezone.now()
        assert gbp.ship_postcode == "BS1 4DJ"
        line = gbp.lines.get(listing=listings[0])
        assert (line.title, line.unit_price) == (listings[0].title, Decimal("180.00"))
        assert "silver" in line.materials.lower()
        # Later edits of the listing do not change the order.
        Listing.objects.filter(pk=listings[0].pk).update(title="Renamed")
        line.refresh_from_db()
        assert line.title == listings[0].title
        for listing in listings:
            listing.refresh_from_db()
            assert listing.status == "reserved"
        assert not buyer.basket.lines.exists()
        charge = Charge.objects.get(payable_id=gbp.pk, provider="manual")
        assert charge.amount == Decimal("205.00")
        assert charge.reference.startswith("TS-")
        assert OrderEvent.objects.filter(order=gbp, action="placed").count() == 1
        assert any(gbp.number in message.subject for message in mail.outbox)

    def test_shipping_by_region_and_free_over_a_threshold(self):
        artisan = f.ArtisanFactory(country="GB")
        ShippingProfile.objects.create(
            artisan=artisan,
            domestic_price=Decimal("4.00"),
            europe_price=Decimal("12.00"),
            world_price=Decimal("30.00"),
            free_over=Decimal("500.00"),
        )
        (order,) = placed(listings=[f.catalogue_listing(artisan=artisan)], country="FR")
        assert (order.shipping_region, order.shipping) == ("europe", Decimal("12.00"))
        (order,) = placed(listings=[f.catalogue_listing(artisan=artisan)], country="JP")
        assert order.shipping == Decimal("30.00")
        (order,) = placed(
            listings=[f.catalogue_listing(artisan=artisan, price=Decimal("600.00"))]
        )
        assert order.shipping == Decimal("0.00")

    def test_an_empty_basket_cannot_be_placed_twice(self):
        buyer = f.UserFactory()
        placed(buyer)
        with pytest.raises(ValidationError):
            services.checkout_place(
                user=buyer, address=buyer.addresses.get(is_default=True)
            )

    def test_someone_elses_address_is_refused(self):
        buyer = f.UserFactory()
        services.basket_add(user=buyer, listing=f.catalogue_listing())
        with pytest.raises(ValidationError):
            services.checkout_place(user=buyer, address=address_for(f.UserFactory()))

    def test_one_account_cannot_hold_the_whole_shop(self, settings):
        settings.ORDER_MAX_HELD_PIECES = 2
        artisan = f.ArtisanFactory()
        buyer = f.UserFactory()
        placed(buyer, [f.catalogue_listing(artisan=artisan) for _ in range(2)])
        extra = f.catalogue_listing(artisan=artisan)
        services.basket_add(user=buyer, listing=extra)
        with pytest.raises(ValidationError) as caught:
            services.checkout_place(
                user=buyer, address=buyer.addresses.get(is_default=True)
            )
        assert "at most 2 pieces" in str(caught.value)
        extra.refresh_from_db()
        assert extra.status == "published"

    def test_a_piece_sold_meanwhile_fails_the_whole_checkout(self):
        buyer = f.UserFactory()
        first, second = f.catalogue_listing(), f.catalogue_listing()
        services.basket_add(user=buyer, listing=first)
        services.basket_add(user=buyer, listing=second)
        placed(listings=[second])  # another buyer takes it first
        with pytest.raises(ValidationError):
            services.checkout_place(user=buyer, address=address_for(buyer))
        first.refresh_from_db()
        assert first.status == "published"  # nothing half-held
        assert buyer.basket.lines.count() == 2


class TestWorkflow:
    def test_pay_ship_deliver_complete_and_the_certificate_passes(self):
        listing, _lot = f.fabricated_piece()
        from provenance.services.certificates import certificate_issue

        certificate_issue(listing=listing)
        buyer = f.UserFactory()
        (order,) = placed(buyer, [listing])
        artisan_user = order.artisan.user
        order = paid(order)
        assert order.status == "paid"
        listing.refresh_from_db()
        assert listing.status == "sold"
        assert Charge.objects.get(payable_id=order.pk).status == "succeeded"
        with pytest.raises(ValidationError) as caught:
            services.order_ship(
                actor=artisan_user, order=order, carrier="", tracking_number=""
            )
        assert set(caught.value.message_dict) == {"carrier", "tracking_number"}
        order = services.order_ship(
            actor=artisan_user, order=order, carrier="Royal Mail", tracking_number="RM1"
        )
        assert order.status == "shipped"
        with pytest.raises(PermissionDenied):
            services.order_confirm_delivery(actor=artisan_user, order=order)
        order = services.order_confirm_delivery(actor=buyer, order=order)
        assert order.status == "delivered"
        certificate = Certificate.objects.get(listing=listing)
        assert certificate.owner == buyer
        assert TraceEvent.objects.filter(
            memberships__listing=listing, kind=TraceEvent.Kind.OWNERSHIP
        ).exists()
        later = timezone.now() + timedelta(days=30)
        _delivered, completed = services.order_deliver_due(now=later)
        assert [o.pk for o in completed] == [order.pk]
        actions = list(order.events.values_list("action", flat=True))
        assert actions == [
            "placed",
            "confirm_payment",
            "ship",
            "confirm_delivery",
            "complete",
        ]

    def test_moves_from_the_wrong_state_or_party_change_nothing(self):
        (order,) = placed()
        buyer = order.buyer
        with pytest.raises(ValidationError):
            services.order_ship(
                actor=order.artisan.user,
                order=order,
                carrier="DHL",
                tracking_number="1",
            )
        with pytest.raises(PermissionDenied):
            services.order_confirm_payment(actor=buyer, order=order)
        with pytest.raises(PermissionDenied):
            services.order_confirm_payment(actor=f.UserFactory(), order=order)
        order.refresh_from_db()
        assert order.status == "pending_payment"

    def test_cancel_before_payment_releases_and_after_payment_refunds(self):
        (order,) = placed()
        listing = order.lines.get().listing
        with pytest.raises(ValidationError):
            services.order_cancel(actor=order.buyer, order=order, reason="")
        services.order_cancel(actor=order.buyer, order=order, reason="Changed my mind")
        listing.refresh_from_db()
        assert listing.status == "published"
        assert Charge.objects.get(payable_id=order.pk).status == "cancelled"

        (order,) = placed(listings=[listing])
        order = paid(order)
        services.order_cancel(
            actor=order.artisan.user, order=order, reason="Damaged in the workshop"
        )
        listing.refresh_from_db()
        assert (listing.status, listing.quantity_available) == ("published", 1)
        refund = Refund.objects.get(charge__payable_id=order.pk)
        assert refund.amount == order.total

    def test_expired_holds_release_their_pieces_exactly_once(self):
        (order,) = placed()
        listing = order.lines.get().listing
        later = timezone.now() + timedelta(minutes=20)
        assert [o.pk for o in services.order_expire_holds(now=later)] == [order.pk]
        assert services.order_expire_holds(now=later) == []
        listing.refresh_from_db()
        assert (listing.status, listing.quantity_available) == ("published", 1)
        order.refresh_from_db()
        assert order.status == "expired"
        with pytest.raises(ValidationError):
            paid(order)

    def test_a_payment_after_the_hold_lapsed_is_refunded(self):
        (order,) = placed()
        services.order_expire_holds(now=timezone.now() + timedelta(minutes=20))
        charge = Charge.objects.get(payable_id=order.pk)
        Charge.objects.filter(pk=charge.pk).update(status="succeeded")
        charge.refresh_from_db()
        services.order_payment_received(order=order, charge=charge)
        assert Refund.objects.get(charge=charge).amount == charge.amount
        order.refresh_from_db()
        assert order.status == "expired"

    def test_returns_within_the_window_refund_on_receipt(self):
        (order,) = placed()
        listing = order.lines.get().listing
        order = paid(order)
        order = services.order_ship(
            actor=order.artisan.user, order=order, carrier="DPD", tracking_number="9"
        )
        order = services.order_confirm_delivery(actor=order.buyer, order=order)
        order = services.order_request_return(
            actor=order.buyer, order=order, reason="Too small"
        )
        order = services.order_accept_return(actor=order.artisan.user, order=order)
        order = services.order_receive_return(actor=order.artisan.user, order=order)
        assert order.status == "refunded"
        listing.refresh_from_db()
        assert listing.status == "published"
        assert Refund.objects.get(charge__payable_id=order.pk).amount == order.total

    def test_no_return_after_the_window_or_of_a_made_to_order_piece(self):
        made = f.catalogue_listing(kind="made_to_order", lead_time_days=20)
        (order,) = placed(listings=[made])
        order = paid(order)
        order = services.order_ship(
            actor=order.artisan.user, order=order, carrier="DPD", tracking_number="9"
        )
        order = services.order_confirm_delivery(actor=order.buyer, order=order)
        assert order.lines.get().lead_time_days == 20
        with pytest.raises(ValidationError):
            services.order_request_return(actor=order.buyer, order=order, reason="No")

        (order,) = placed()
        order = paid(order)
        order = services.order_ship(
            actor=order.artisan.user, order=order, carrier="DPD", tracking_number="9"
        )
        order = services.order_confirm_delivery(actor=order.buyer, order=order)
        Order.objects.filter(pk=order.pk).update(
            delivered_at=timezone.now() - timedelta(days=15)
        )
        order.refresh_from_db()
        with pytest.raises(ValidationError):
            services.order_request_return(actor=order.buyer, order=order, reason="Late")


def _race(buyers, listing_for, quantity=1):
    """Each buyer puts a piece in the basket, then all place at once."""
    outcomes = []
    barrier = threading.Barrier(len(buyers))

    def attempt(buyer, address):
        try:
            barrier.wait()
            services.checkout_place(user=buyer, address=address)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        except Exception as error:  # any other error would be a 5xx for a buyer
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = []
    for i, buyer in enumerate(buyers):
        services.basket_add(user=buyer, listing=listing_for(i), quantity=quantity)
        address = address_for(buyer)
        threads.append(threading.Thread(target=attempt, args=(buyer, address)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_fifty_buyers_racing_for_twenty_unique_pieces_make_twenty_orders():
    artisan = f.ArtisanFactory()
    pieces = [f.catalogue_listing(artisan=artisan) for _ in range(20)]
    buyers = [f.UserFactory() for _ in range(50)]
    outcomes = _race(buyers, lambda i: pieces[i % 20])
    assert sorted(set(outcomes)) in (["ok", "refused"], ["ok"])
    assert outcomes.count("ok") == 20
    for order in Order.objects.all():
        paid(order)
    assert Order.objects.filter(status="paid").count() == 20
    assert (
        Listing.objects.filter(pk__in=[p.pk for p in pieces], status="sold").count()
        == 20
    )
    sold_lines = Order.objects.filter(status="paid").values_list(
        "lines__listing", flat=True
    )
    assert len(set(sold_lines)) == 20


@pytest.mark.django_db(transaction=True)
def test_thirty_buyers_racing_for_an_edition_of_five_make_five_orders():
    edition = f.catalogue_listing(
        kind="limited_edition", edition_size=5, quantity_available=5
    )
    outcomes = _race([f.UserFactory() for _ in range(30)], lambda i: edition)
    assert outcomes.count("ok") == 5
    assert outcomes.count("refused") == 25
    edition.refresh_from_db()
    assert (edition.quantity_available, edition.quantity_held) == (0, 5)
    assert edition.status == "reserved"


def test_the_address_book_always_keeps_one_default():
    buyer = f.UserFactory()
    first = address_for(buyer)
    second = address_for(buyer, line1="2 Other Street", is_default=True)
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    services.address_save(user=buyer, address=second, is_default=False)
    second.refresh_from_db()
    assert second.is_default  # un-ticking the only default keeps it
    with pytest.raises(ValidationError) as caught:
        services.address_save(
            user=buyer, name="X", line1="", city="", postcode="", country="ZZ"
        )
    assert {"line1", "city", "postcode", "country"} <= set(caught.value.message_dict)


def test_shipping_rates_are_kept_per_currency():
    artisan = f.ArtisanFactory(country="GB")
    services.shipping_profile_set(
        actor=artisan.user, artisan=artisan, currency="eur", domestic_price=Decimal("7")
    )
    (eur,) = placed(listings=[f.catalogue_listing(artisan=artisan, currency="EUR")])
    (gbp,) = placed(listings=[f.catalogue_listing(artisan=artisan)])
    assert (eur.currency, eur.shipping) == ("EUR", Decimal("7.00"))
    assert (gbp.currency, gbp.shipping) == ("GBP", Decimal("5.00"))  # the default
    with pytest.raises(PermissionDenied):
        services.shipping_profile_set(
            actor=f.UserFactory(), artisan=artisan, currency="GBP"
        )


@pytest.mark.django_db(transaction=True)
def test_two_tabs_placing_the_same_basket_make_one_set_of_orders():
    buyer = f.UserFactory()
    artisans = [f.ArtisanFactory(), f.ArtisanFactory()]
    for artisan in artisans:
        services.basket_add(user=buyer, listing=f.catalogue_listing(artisan=artisan))
    address = address_for(buyer)
    outcomes = []
    barrier = threading.Barrier(2)

    def place():
        try:
            barrier.wait()
            outcomes.append(len(services.checkout_place(user=buyer, address=address)))
        except ValidationError as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    tabs = [threading.Thread(target=place) for _ in range(2)]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join()
    assert sorted(outcomes, key=str) == [2, "['Your basket is empty.']"]
    assert Order.objects.filter(buyer=buyer).count() == 2
