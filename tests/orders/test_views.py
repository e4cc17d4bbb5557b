"""The purchase pages: buy now, basket, checkout, My orders, an order, the inbox."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.accounts.models import Notification
from marketplace.catalogue.models import Listing
from marketplace.orders import services
from marketplace.orders.models import BasketLine, Order
from tests import factories as f
from tests.orders.helpers import address_for, paid, placed

pytestmark = pytest.mark.django_db


def test_buy_now_to_an_order_with_its_reference_and_time_left(client):
    listing = f.catalogue_listing()
    buyer = f.UserFactory()
    client.force_login(buyer)
    page = client.get(listing.get_absolute_url())
    assert 'id="buy-now"' in page.content.decode()
    response = client.post(
        reverse("marketplace:basket-add", args=[listing.slug]),
        {"quantity": 1, "buy_now": "1"},
    )
    assert response.headers["Location"] == reverse("marketplace:checkout")
    checkout = client.get(reverse("marketplace:checkout"))
    assert "Add a delivery address" in checkout.content.decode()
    client.post(
        reverse("marketplace:address-create") + "?next=checkout",
        {
            "name": "Ada",
            "line1": "1 Street",
            "city": "Leeds",
            "postcode": "LS1 1AA",
            "country": "GB",
        },
    )
    address = buyer.addresses.get()
    # A total sent by the client is ignored: the server computes every amount.
    response = client.post(
        reverse("marketplace:checkout"), {"address": address.pk, "total": "0.01"}
    )
    order = Order.objects.get(buyer=buyer)
    assert response.headers["Location"] == order.get_absolute_url()
    assert order.total == listing.price + order.shipping
    body = client.get(order.get_absolute_url()).content.decode()
    assert order.number in body
    assert 'id="payment-reference"' in body
    assert 'id="time-left"' in body
    assert f"{order.total} GBP" in body
    # The piece page now shows the buyer's own held state, and no buy button.
    piece = client.get(listing.get_absolute_url()).content.decode()
    assert 'id="my-order"' in piece and 'id="buy-now"' not in piece


def test_a_sold_piece_says_so_with_the_date(client):
    (order,) = placed()
    paid(order)
    listing = order.lines.get().listing
    body = client.get(listing.get_absolute_url()).content.decode()
    assert 'id="sold-badge"' in body
    assert f"Sold on {timezone.localdate():%-d %B %Y}" in body
    assert 'id="buy-now"' not in body


def test_the_maker_sees_no_buy_button(client):
    listing = f.catalogue_listing()
    client.force_login(listing.artisan.user)
    assert 'id="buy-now"' not in client.get(listing.get_absolute_url()).content.decode()


def test_buying_a_draft_is_a_404_and_buying_your_own_is_refused(client):
    draft = f.ListingFactory()
    client.force_login(f.UserFactory())
    url = reverse("marketplace:basket-add", args=[draft.slug])
    assert client.post(url, {"quantity": 1}).status_code == 404
    own = f.catalogue_listing()
    client.force_login(own.artisan.user)
    response = client.post(
        reverse("marketplace:basket-add", args=[own.slug]), {"quantity": 1}
    )
    assert response.status_code == 302
    assert not BasketLine.objects.filter(basket__user=own.artisan.user).exists()


def test_checkout_without_an_address_choice_is_a_form_error(client):
    buyer = f.UserFactory()
    services.basket_add(user=buyer, listing=f.catalogue_listing())
    address_for(buyer)
    client.force_login(buyer)
    response = client.post(reverse("marketplace:checkout"), {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not Order.objects.exists()


def test_another_users_order_receipt_and_moves_are_404(client):
    (order,) = placed()
    client.force_login(f.UserFactory())
    for url in (
        order.get_absolute_url(),
        reverse("marketplace:order-receipt", args=[order.number]),
    ):
        assert client.get(url).status_code == 404
    move = reverse("marketplace:order-move", args=[order.number, "cancel"])
    assert client.post(move, {"reason": "mine now"}).status_code == 404
    order.refresh_from_db()
    assert order.status == "pending_payment"
    client.logout()
    assert client.get(order.get_absolute_url()).status_code == 302


def test_the_artisan_confirms_payment_and_ships_from_the_order_page(client):
    (order,) = placed()
    client.force_login(order.artisan.user)
    inbox = client.get(reverse("marketplace:studio-orders")).content.decode()
    assert order.number in inbox and "need" in inbox
    url = lambda move: reverse("marketplace:order-move", args=[order.number, move])  # noqa: E731
    assert client.post(url("confirm-payment")).status_code == 302
    response = client.post(url("ship"), {"carrier": "Royal Mail"})
    assert response.status_code == 400
    assert "Give the tracking number" in response.content.decode()
    client.post(url("ship"), {"carrier": "Royal Mail", "tracking_number": "RM1"})
    order.refresh_from_db()
    assert (order.status, order.tracking_number) == ("shipped", "RM1")
    # A buyer's move is refused to the artisan with a message, not a crash.
    response = client.post(url("confirm-delivery"))
    assert response.status_code == 400
    client.force_login(order.buyer)
    client.post(url("confirm-delivery"))
    order.refresh_from_db()
    assert order.status == "delivered"
    timeline = client.get(order.get_absolute_url()).content.decode()
    for action in (
        "Order placed",
        "Payment confirmed by the artisan",
        "Shipped",
        "Delivery confirmed by the buyer",
    ):
        assert action in timeline
    receipt = client.get(reverse("marketplace:order-receipt", args=[order.number]))
    assert order.number in receipt.content.decode()


def test_cancel_needs_a_reason(client):
    (order,) = placed()
    client.force_login(order.buyer)
    url = reverse("marketplace:order-move", args=[order.number, "cancel"])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "Give a reason" in response.content.decode()
    client.post(url, {"reason": "Ordered twice"})
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert Listing.objects.get(pk=order.lines.get().listing_id).status == "published"


def test_my_orders_and_the_basket_cost_the_same_queries_for_1_or_10(client):
    buyer = f.UserFactory()
    client.force_login(buyer)
    placed(buyer)
    url = reverse("marketplace:order-list")
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    artisan = f.ArtisanFactory()
    for _ in range(9):
        Order.objects.filter(buyer=buyer).update(status="cancelled")
        placed(buyer, [f.catalogue_listing(artisan=artisan)])
    with CaptureQueriesContext(connection) as ten:
        client.get(url)
    assert len(ten) == len(one)

    services.basket_add(user=buyer, listing=f.catalogue_listing())
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("marketplace:basket"))
    for _ in range(9):
        services.basket_add(user=buyer, listing=f.catalogue_listing())
    with CaptureQueriesContext(connection) as ten:
        client.get(reverse("marketplace:basket"))
    assert len(ten) == len(one)


def test_shipping_rates_in_the_studio(client):
    artisan = f.ArtisanFactory()
    client.force_login(artisan.user)
    url = reverse("marketplace:studio-shipping")
    response = client.post(
        url,
        {
            "currency": "GBP",
            "domestic_price": "-1",
            "europe_price": "10",
            "world_price": "20",
        },
    )
    assert response.status_code == 400
    client.post(
        url,
        {
            "currency": "GBP",
            "domestic_price": "3.50",
            "europe_price": "10",
            "world_price": "20",
            "free_over": "250",
            "insured": "on",
        },
    )
    profile = artisan.shipping_profiles.get(currency="GBP")
    assert str(profile.domestic_price) == "3.50"
    client.force_login(f.UserFactory())
    assert client.get(url).status_code == 404


def test_the_expire_command_releases_holds(client):
    from django.core.management import call_command

    (order,) = placed()
    Order.objects.filter(pk=order.pk).update(
        hold_expires_at=timezone.now() - timedelta(minutes=1)
    )
    call_command("process_orders")
    order.refresh_from_db()
    assert order.status == "expired"


def test_staff_see_orders_in_the_admin_and_confirm_a_transfer(client):
    (order,) = placed()
    staff = f.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    changelist = client.get(reverse("admin:marketplace_order_changelist"))
    assert order.number in changelist.content.decode()
    assert (
        client.get(
            reverse("admin:marketplace_order_change", args=[order.pk])
        ).status_code
        == 200
    )
    client.post(
        reverse("admin:marketplace_order_changelist"),
        {"action": "confirm_payment", "_selected_action": [order.pk]},
    )
    order.refresh_from_db()
    assert order.status == "paid"
    assert order.events.filter(action="confirm_payment", actor=staff).exists()


def test_moves_notify_in_the_app_and_the_notice_opens_the_order(client):
    (order,) = placed()
    notice = Notification.objects.get(user=order.artisan.user)
    assert order.number in notice.verb and notice.action_needed
    client.force_login(order.artisan.user)
    response = client.get(notice.get_absolute_url())
    assert response.headers["Location"] == order.get_absolute_url()
    notice.refresh_from_db()
    assert notice.is_read
    paid(order)
    assert Notification.objects.filter(
        user=order.buyer, link=order.get_absolute_url()
    ).exists()
    # Someone else's notice is not theirs to open.
    client.force_login(f.UserFactory())
    assert client.get(notice.get_absolute_url()).status_code == 404


def test_another_buyers_address_and_basket_line_are_404(client):
    owner = f.UserFactory()
    address = address_for(owner)
    line = services.basket_add(user=owner, listing=f.catalogue_listing())
    client.force_login(f.UserFactory())
    assert (
        client.get(reverse("marketplace:address-update", args=[address.pk])).status_code
        == 404
    )
    for url, data in (
        (reverse("marketplace:address-update", args=[address.pk]), {"name": "Mine"}),
        (reverse("marketplace:address-delete", args=[address.pk]), {}),
        (reverse("marketplace:basket-line", args=[line.pk]), {"quantity": 1}),
        (reverse("marketplace:basket-line-remove", args=[line.pk]), {}),
    ):
        assert client.post(url, data).status_code == 404
    address.refresh_from_db()
    assert address.name == "Ada Buyer"
    assert owner.basket.lines.filter(pk=line.pk).exists()


def test_a_bad_address_is_a_form_error_and_saves_nothing(client):
    buyer = f.UserFactory()
    client.force_login(buyer)
    response = client.post(
        reverse("marketplace:address-create"),
        {"name": "Ada", "line1": "", "city": "Leeds", "postcode": "", "country": "ZZ"},
    )
    assert response.status_code == 400
    assert not buyer.addresses.exists()
