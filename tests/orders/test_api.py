"""The orders API: basket, checkout, addresses, orders and their moves, Stripe's webhook."""

import hashlib
import hmac
import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from marketplace.accounts.models import Address
from marketplace.catalogue.models import Listing
from marketplace.orders import services
from marketplace.orders.models import BasketLine, Order, OrderEvent
from marketplace.orders.moves import MOVES
from marketplace.payments.models import Charge, PaymentEvent, Refund
from marketplace.payments.providers import Started, StripeProvider
from tests import factories as f
from tests.conftest import api_client_for
from tests.orders.helpers import address_for, paid, placed

pytestmark = pytest.mark.django_db

WEBHOOK = "/api/payments/stripe/webhook/"
WEBHOOK_SECRET = "whsec_test_secret"


def order_url(order, tail=""):
    return f"/api/orders/{order.number}/{tail}"


def move(user, order, slug, data=None):
    return api_client_for(user).post(order_url(order, f"{slug}/"), data or {})


def status_of(order):
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


class TestAnonymous:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("get", "/api/basket/"),
            ("post", "/api/basket/lines/"),
            ("patch", "/api/basket/lines/1/"),
            ("delete", "/api/basket/lines/1/"),
            ("post", "/api/basket/checkout/"),
            ("get", "/api/addresses/"),
            ("post", "/api/addresses/"),
            ("get", "/api/addresses/1/"),
            ("get", "/api/orders/"),
            ("get", "/api/orders/ABCDEFGH/"),
            ("post", "/api/orders/ABCDEFGH/cancel/"),
        ],
    )
    def test_is_a_401(self, api_client, method, path):
        assert getattr(api_client, method)(path, {}).status_code == 401


class TestBasket:
    def test_add_change_and_remove_a_line(self):
        buyer = f.UserFactory()
        edition = f.catalogue_listing(
            kind="limited_edition",
            edition_size=5,
            quantity_available=3,
            price=Decimal("40.00"),
        )
        client = api_client_for(buyer)
        response = client.post(
            "/api/basket/lines/",
            {"listing": edition.slug, "quantity": 2},
        )
        assert response.status_code == 201, response.json()
        line = response.json()
        assert line["listing"]["slug"] == edition.slug
        assert line["listing"]["main_photo"] is not None
        assert (line["quantity"], line["unit_price"], line["line_total"]) == (
            2,
            "40.00",
            "80.00",
        )

        response = client.patch(f"/api/basket/lines/{line['id']}/", {"quantity": 3})
        assert response.status_code == 200
        assert response.json()["line_total"] == "120.00"
        response = client.patch(f"/api/basket/lines/{line['id']}/", {"quantity": 4})
        assert response.status_code == 400
        assert response.json() == {"quantity": ["Only 3 of this edition are left."]}
        assert BasketLine.objects.get(pk=line["id"]).quantity == 3

        assert client.delete(f"/api/basket/lines/{line['id']}/").status_code == 204
        assert client.get("/api/basket/").json() == {
            "lines": [],
            "groups": [],
            "quantity": 0,
        }

    def test_the_basket_groups_lines_as_checkout_will_split_them(self):
        buyer = f.UserFactory()
        a, b = f.ArtisanFactory(), f.ArtisanFactory()
        for listing in (
            f.catalogue_listing(artisan=a, price=Decimal("100.00")),
            f.catalogue_listing(artisan=a, price=Decimal("20.50")),
            f.catalogue_listing(artisan=a, currency="EUR"),
            f.catalogue_listing(artisan=b),
        ):
            services.basket_add(user=buyer, listing=listing)
        body = api_client_for(buyer).get("/api/basket/").json()
        assert body["quantity"] == 4
        groups = {(g["artisan"]["slug"], g["currency"]): g for g in body["groups"]}
        assert set(groups) == {(a.slug, "GBP"), (a.slug, "EUR"), (b.slug, "GBP")}
        assert groups[(a.slug, "GBP")]["subtotal"] == "120.50"
        assert len(groups[(a.slug, "GBP")]["lines"]) == 2

    def test_prices_sent_by_the_client_are_ignored(self):
        buyer = f.UserFactory()
        listing = f.catalogue_listing(price=Decimal("180.00"))
        client = api_client_for(buyer)
        response = client.post(
            "/api/basket/lines/",
            {
                "listing": listing.slug,
                "quantity": 1,
                "unit_price": "0.01",
                "price": "0.01",
                "line_total": "0.01",
                "currency": "JPY",
            },
        )
        assert response.status_code == 201
        assert (response.json()["unit_price"], response.json()["currency"]) == (
            "180.00",
            "GBP",
        )
        address = address_for(buyer)
        response = client.post(
            "/api/basket/checkout/",
            {
                "address": address.pk,
                "total": "1.00",
                "subtotal": "1.00",
                "shipping": "0.00",
                "currency": "JPY",
                "price": "1.00",
            },
        )
        assert response.status_code == 201, response.json()
        (order,) = response.json()
        assert (order["subtotal"], order["shipping"], order["total"]) == (
            "180.00",
            "5.00",
            "185.00",
        )
        assert order["currency"] == "GBP"
        assert order["payment"]["amount"] == "185.00"
        charge = Charge.objects.get(payable_id=Order.objects.get().pk)
        assert (charge.amount, charge.currency) == (Decimal("185.00"), "GBP")

    @pytest.mark.parametrize(
        ("case", "field", "message"),
        [
            ("unknown", "listing", "No such piece."),
            ("draft", "listing", "No such piece."),
            ("private", "listing", "No such piece."),
            ("own", "listing", "You cannot buy your own piece."),
            ("sold", "listing", "is not on sale"),
            ("two_of_a_kind", "quantity", "A one-of-a-kind piece is sold singly."),
            ("zero", "quantity", "greater than or equal to 1"),
        ],
    )
    def test_a_piece_that_cannot_be_bought_is_a_400(self, case, field, message):
        buyer = f.UserFactory()
        listing = f.catalogue_listing()
        payload = {"listing": listing.slug, "quantity": 1}
        if case == "unknown":
            payload["listing"] = "no-such-piece"
        elif case == "draft":
            Listing.objects.filter(pk=listing.pk).update(status="draft")
        elif case == "private":
            Listing.objects.filter(pk=listing.pk).update(private_to=f.UserFactory())
        elif case == "own":
            buyer = listing.artisan.user
        elif case == "sold":
            Listing.objects.filter(pk=listing.pk).update(status="sold")
        elif case == "two_of_a_kind":
            payload["quantity"] = 2
        elif case == "zero":
            payload["quantity"] = 0
        response = api_client_for(buyer).post("/api/basket/lines/", payload)
        assert response.status_code == 400
        assert message in " ".join(response.json()[field])
        assert not BasketLine.objects.exists()

    def test_another_buyers_line_is_a_404(self):
        line = services.basket_add(user=f.UserFactory(), listing=f.catalogue_listing())
        stranger = api_client_for(f.UserFactory())
        url = f"/api/basket/lines/{line.pk}/"
        assert stranger.patch(url, {"quantity": 1}).status_code == 404
        assert stranger.delete(url).status_code == 404
        assert stranger.get("/api/basket/").json()["lines"] == []
        assert BasketLine.objects.filter(pk=line.pk).exists()
        assert api_client_for(line.basket.user).patch(url, {}).status_code == 400

    def test_the_basket_costs_the_same_queries_for_one_line_or_ten(
        self, django_assert_max_num_queries
    ):
        counts = []
        for size in (1, 10):
            buyer = f.UserFactory()
            for _ in range(size):
                services.basket_add(user=buyer, listing=f.catalogue_listing())
            client = api_client_for(buyer)
            with django_assert_max_num_queries(2):
                response = client.get("/api/basket/")
            assert len(response.json()["lines"]) == size
            with CaptureQueriesContext(connection) as queries:
                client.get("/api/basket/")
            counts.append(len(queries))
        assert counts[0] == counts[1]


class TestCheckout:
    def test_places_one_order_per_artisan_and_currency(self):
        buyer = f.UserFactory()
        a, b = f.ArtisanFactory(), f.ArtisanFactory()
        for listing in (
            f.catalogue_listing(artisan=a),
            f.catalogue_listing(artisan=a, currency="EUR"),
            f.catalogue_listing(artisan=b),
        ):
            services.basket_add(user=buyer, listing=listing)
        address = address_for(buyer, country="FR")
        response = api_client_for(buyer).post(
            "/api/basket/checkout/", {"address": address.pk}
        )
        assert response.status_code == 201, response.json()
        orders = response.json()
        assert len(orders) == 3 == Order.objects.filter(buyer=buyer).count()
        for order in orders:
            assert order["status"] == "pending_payment"
            assert order["shipping_region"] == "europe"
            assert order["ship_to"]["country"] == "FR"
            assert order["payment"]["reference"].startswith("TS-")
            assert order["allowed_moves"] == ["cancel"]
            assert [event["action"] for event in order["events"]] == ["placed"]
        assert not BasketLine.objects.filter(basket__user=buyer).exists()

    def test_someone_elses_or_no_address_is_a_400_and_places_nothing(self):
        buyer = f.UserFactory()
        services.basket_add(user=buyer, listing=f.catalogue_listing())
        client = api_client_for(buyer)
        for address in (address_for(f.UserFactory()).pk, 2**62, "home"):
            response = client.post("/api/basket/checkout/", {"address": address})
            assert response.status_code == 400
            assert "address" in response.json()
        assert client.post("/api/basket/checkout/", {}).status_code == 400
        assert not Order.objects.exists()

    def test_an_empty_basket_is_a_400(self):
        buyer = f.UserFactory()
        response = api_client_for(buyer).post(
            "/api/basket/checkout/", {"address": address_for(buyer).pk}
        )
        assert response.status_code == 400
        assert response.json() == {"non_field_errors": ["Your basket is empty."]}


class TestAddresses:
    payload = {
        "name": "Ada Buyer",
        "line1": "1 Test Street",
        "city": "Bristol",
        "postcode": "bs1 4dj",
        "country": "GB",
    }

    def test_the_address_book(self):
        buyer = f.UserFactory()
        client = api_client_for(buyer)
        response = client.post(
            "/api/addresses/", {**self.payload, "user": f.UserFactory().pk}
        )
        assert response.status_code == 201, response.json()
        first = response.json()
        assert (first["postcode"], first["is_default"]) == ("BS1 4DJ", True)
        assert Address.objects.get(pk=first["id"]).user == buyer

        second = client.post(
            "/api/addresses/",
            {**self.payload, "line1": "2 Other Road", "is_default": True},
        ).json()
        listed = client.get("/api/addresses/").json()
        assert [a["id"] for a in listed] == [second["id"], first["id"]]
        assert (
            client.get(f"/api/addresses/{first['id']}/").json()["is_default"] is False
        )

        response = client.patch(f"/api/addresses/{first['id']}/", {"city": "Bath"})
        assert (response.status_code, response.json()["city"]) == (200, "Bath")
        response = client.put(
            f"/api/addresses/{first['id']}/", {**self.payload, "country": "IE"}
        )
        assert (response.status_code, response.json()["country"]) == (200, "IE")
        assert client.delete(f"/api/addresses/{first['id']}/").status_code == 204
        assert list(buyer.addresses.values_list("pk", flat=True)) == [second["id"]]

    def test_bad_input_is_a_400_with_field_errors(self):
        client = api_client_for(f.UserFactory())
        response = client.post(
            "/api/addresses/", {**self.payload, "country": "XX", "name": ""}
        )
        assert response.status_code == 400
        assert {"country", "name"} <= set(response.json())
        assert not Address.objects.exists()

    def test_another_users_address_is_a_404_for_every_method(self):
        address = address_for(f.UserFactory())
        stranger = api_client_for(f.UserFactory())
        url = f"/api/addresses/{address.pk}/"
        assert stranger.get(url).status_code == 404
        assert stranger.patch(url, {"city": "Leeds"}).status_code == 404
        assert stranger.put(url, self.payload).status_code == 404
        assert stranger.delete(url).status_code == 404
        assert stranger.get("/api/addresses/").json() == []
        address.refresh_from_db()
        assert address.city == "Bristol"


class TestOrders:
    def test_buyers_see_theirs_and_artisans_what_they_received(self):
        (order,) = placed()
        (other,) = placed()
        buyer, artisan_user = order.buyer, order.artisan.user
        body = api_client_for(buyer).get("/api/orders/").json()
        assert [o["number"] for o in body["results"]] == [order.number]
        client = api_client_for(artisan_user)
        assert client.get("/api/orders/").json()["results"] == []
        body = client.get("/api/orders/?role=artisan").json()
        assert [o["number"] for o in body["results"]] == [order.number]
        assert body["results"][0]["allowed_moves"] == ["confirm-payment", "cancel"]
        assert other.number not in str(body)

    def test_the_list_filters_by_status(self):
        buyer = f.UserFactory()
        first, second = placed(buyer), placed(buyer)
        paid(second[0])
        client = api_client_for(buyer)
        body = client.get("/api/orders/?status=paid").json()
        assert [o["number"] for o in body["results"]] == [second[0].number]
        body = client.get("/api/orders/?status=pending_payment").json()
        assert [o["number"] for o in body["results"]] == [first[0].number]
        response = client.get("/api/orders/?status=lost")
        assert response.status_code == 400
        assert "status" in response.json()

    def test_an_order_shows_its_snapshot_timeline_payment_and_moves(self):
        listing = f.catalogue_listing(price=Decimal("180.00"))
        (order,) = placed(listings=[listing])
        Listing.objects.filter(pk=listing.pk).update(title="Renamed later")
        body = api_client_for(order.buyer).get(order_url(order)).json()
        assert body["number"] == order.number
        assert body["status_label"] == "Awaiting payment"
        (line,) = body["lines"]
        assert (line["listing"], line["title"], line["unit_price"]) == (
            listing.slug,
            listing.title,
            "180.00",
        )
        assert "silver" in line["materials"].lower()
        assert body["ship_to"]["postcode"] == "BS1 4DJ"
        assert [e["action"] for e in body["events"]] == ["placed"]
        assert body["events"][0]["actor"] == order.buyer.username
        payment = body["payment"]
        assert (payment["provider"], payment["status"], payment["amount"]) == (
            "manual",
            "pending",
            "185.00",
        )
        assert payment["refunds"] == []
        assert body["allowed_moves"] == ["cancel"]

    def test_another_users_order_is_a_404_for_every_method(self):
        (order,) = placed()
        stranger = api_client_for(f.ArtisanFactory().user)
        assert stranger.get(order_url(order)).status_code == 404
        for slug in MOVES:
            response = stranger.post(
                order_url(order, f"{slug}/"),
                {"reason": "x", "carrier": "DHL", "tracking_number": "1"},
            )
            assert response.status_code == 404, slug
        assert status_of(order) == "pending_payment"
        assert order.events.count() == 1

    def test_the_list_costs_the_same_queries_for_one_order_or_ten(
        self, settings, django_assert_max_num_queries
    ):
        settings.ORDER_MAX_HELD_PIECES = 20
        counts = []
        for size in (1, 10):
            orders = placed(
                listings=[f.catalogue_listing() for _ in range(size)], country="FR"
            )
            refund_one = orders[0]
            services.order_cancel(
                actor=refund_one.artisan.user,
                order=paid(refund_one),
                reason="Broken",
            )
            buyer = orders[0].buyer
            for role, user in (("buyer", buyer), ("artisan", orders[0].artisan.user)):
                client = api_client_for(user)
                with django_assert_max_num_queries(5):
                    response = client.get(f"/api/orders/?role={role}")
                assert response.json()["count"] == (size if role == "buyer" else 1)
            with CaptureQueriesContext(connection) as queries:
                api_client_for(buyer).get("/api/orders/")
            counts.append(len(queries))
        assert counts[0] == counts[1]

    def test_an_order_reads_in_a_fixed_number_of_queries(
        self, django_assert_max_num_queries
    ):
        artisan = f.ArtisanFactory()
        (order,) = placed(
            listings=[f.catalogue_listing(artisan=artisan) for _ in range(3)]
        )
        client = api_client_for(order.artisan.user)
        with django_assert_max_num_queries(5):
            assert client.get(order_url(order)).status_code == 200


class TestMoves:
    def test_the_whole_workflow_through_the_api(self):
        (order,) = placed()
        listing = order.lines.get().listing
        buyer, artisan_user = order.buyer, order.artisan.user

        response = move(artisan_user, order, "confirm-payment")
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == "paid"
        assert response.json()["payment"]["status"] == "succeeded"
        listing.refresh_from_db()
        assert listing.status == "sold"

        response = move(
            artisan_user,
            order,
            "ship",
            {
                "carrier": " Royal Mail ",
                "tracking_number": "RM1",
                "status": "completed",
            },
        )
        assert response.status_code == 200, response.json()
        body = response.json()
        assert (body["status"], body["carrier"], body["tracking_number"]) == (
            "shipped",
            "Royal Mail",
            "RM1",
        )
        assert body["allowed_moves"] == []

        assert move(buyer, order, "confirm-delivery").json()["status"] == "delivered"
        response = move(buyer, order, "request-return", {"reason": "Too small"})
        assert response.json()["status"] == "return_requested"
        assert move(artisan_user, order, "accept-return").status_code == 200
        response = move(artisan_user, order, "receive-return")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "refunded"
        assert body["payment"]["refunds"][0]["amount"] == "185.00"
        assert [e["action"] for e in body["events"]] == [
            "placed",
            "confirm_payment",
            "ship",
            "confirm_delivery",
            "request_return",
            "accept_return",
            "receive_return",
        ]
        assert body["events"][-1]["actor"] == artisan_user.username
        listing.refresh_from_db()
        assert listing.status == "published"

    def test_a_buyer_making_an_artisans_move_is_a_403_that_changes_nothing(self):
        (order,) = placed()
        response = move(order.buyer, order, "confirm-payment")
        assert response.status_code == 403
        assert response.json() == {
            "detail": "You cannot confirm payment on this order."
        }
        paid(order)
        response = move(
            order.buyer, order, "ship", {"carrier": "DHL", "tracking_number": "1"}
        )
        assert response.status_code == 403
        assert "ship the order" in response.json()["detail"]
        assert status_of(order) == "paid"

    def test_a_move_from_the_wrong_state_is_a_400_that_changes_nothing(self):
        (order,) = placed()
        response = move(
            order.artisan.user,
            order,
            "ship",
            {"carrier": "DHL", "tracking_number": "1"},
        )
        assert response.status_code == 400
        assert response.json() == {
            "non_field_errors": [
                "Cannot ship the order: the order is awaiting payment."
            ]
        }
        assert move(order.buyer, order, "confirm-delivery").status_code == 400
        assert status_of(order) == "pending_payment"
        assert list(order.events.values_list("action", flat=True)) == ["placed"]

    def test_a_moves_inputs_are_checked(self):
        (order,) = placed()
        response = move(order.buyer, order, "cancel", {})
        assert response.status_code == 400
        assert "reason" in response.json()
        response = move(order.buyer, order, "cancel", {"reason": "   "})
        assert response.status_code == 400
        order = paid(order)
        response = move(order.artisan.user, order, "ship", {"carrier": ""})
        assert response.status_code == 400
        assert set(response.json()) == {"carrier", "tracking_number"}
        assert status_of(order) == "paid"
        response = move(order.buyer, order, "cancel", {"reason": "Changed my mind"})
        assert response.status_code == 200
        assert response.json()["status"] == "cancelled"
        assert response.json()["payment"]["refunds"][0]["reason"].startswith(
            "Cancelled: Changed my mind"
        )

    def test_a_card_payment_is_not_confirmed_by_hand(self):
        (order,) = placed()
        Order.objects.filter(pk=order.pk).update(payment_provider="stripe")
        response = move(order.artisan.user, order, "confirm-payment")
        assert response.status_code == 400
        assert status_of(order) == "pending_payment"

    def test_every_move_is_in_the_schema_with_its_body_and_errors(self):
        schema = SchemaGenerator().get_schema(request=None, public=True)
        components = schema["components"]["schemas"]
        for slug, registered in MOVES.items():
            operation = schema["paths"][f"/api/orders/{{number}}/{slug}/"]["post"]
            assert {"200", "400", "403", "404"} <= set(operation["responses"])
            ok = operation["responses"]["200"]["content"]["application/json"]
            assert ok["schema"] == {"$ref": "#/components/schemas/OrderDetail"}
            if not registered.inputs:
                assert "requestBody" not in operation
                continue
            body = operation["requestBody"]["content"]["application/json"]
            name = body["schema"]["$ref"].rsplit("/", 1)[-1]
            assert set(components[name]["properties"]) == set(registered.inputs)
        ship = schema["paths"]["/api/orders/{number}/ship/"]["post"]
        assert ship["requestBody"]["content"]["application/json"]["examples"]
        checkout = schema["paths"]["/api/basket/checkout/"]["post"]
        assert checkout["requestBody"]["content"]["application/json"]["examples"]


# --- Stripe webhook ---------------------------------------------------------------


@pytest.fixture
def stripe(settings, monkeypatch):
    """Stripe configured, with its API calls answered here: no network."""
    settings.STRIPE_SECRET_KEY = "sk_test_key"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET

    def start(self, charge, *, success_url, cancel_url):
        return Started(
            provider_id=f"cs_test_{charge.pk}",
            checkout_url=f"https://checkout.stripe.com/c/pay/cs_test_{charge.pk}",
        )

    refunded = []

    def refund(self, refund):
        refunded.append(refund.amount)
        return f"re_test_{refund.pk}"

    monkeypatch.setattr(StripeProvider, "start", start)
    monkeypatch.setattr(StripeProvider, "refund", refund)
    return refunded


@pytest.fixture
def card_order(stripe):
    (order,) = placed()
    return order


def event_for(charge, *, event_id="evt_1", amount=None, currency=None, **extra):
    session = {
        "id": charge.provider_id,
        "object": "checkout.session",
        "payment_status": "paid",
        "client_reference_id": charge.reference,
        "metadata": {"reference": charge.reference},
        "amount_total": 18500 if amount is None else amount,
        "currency": currency or charge.currency.lower(),
        "payment_intent": "pi_test_1",
    }
    return {
        "id": event_id,
        "type": "checkout.session.completed",
        "data": {"object": session},
        **extra,
    }


def signed(body: str, *, at=None, secret=WEBHOOK_SECRET) -> str:
    at = int(time.time()) if at is None else at
    digest = hmac.new(
        secret.encode(), f"{at}.{body}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={at},v1={digest}"


def notify(event, *, signature=None, client=None, **signing):
    body = json.dumps(event)
    headers = {}
    if signature is not False:
        headers["HTTP_STRIPE_SIGNATURE"] = (
            signed(body, **signing) if signature is None else signature
        )
    return (client or APIClient()).post(
        WEBHOOK, data=body, content_type="application/json", **headers
    )


class TestStripeWebhook:
    def test_checkout_asks_stripe_for_a_session(self, card_order):
        body = api_client_for(card_order.buyer).get(order_url(card_order)).json()
        assert body["payment_provider"] == "stripe"
        assert body["payment"]["checkout_url"].startswith(
            "https://checkout.stripe.com/"
        )
        assert body["allowed_moves"] == ["cancel"]

    def test_a_good_event_marks_the_order_paid_and_the_piece_sold(self, card_order):
        charge = Charge.objects.get(payable_id=card_order.pk)
        # Stripe's client sends no CSRF token.
        client = APIClient(enforce_csrf_checks=True)
        response = notify(event_for(charge), client=client)
        assert (response.status_code, response.json()) == (200, {"received": True})
        card_order.refresh_from_db()
        assert card_order.status == "paid"
        assert card_order.paid_at is not None
        charge.refresh_from_db()
        assert (charge.status, charge.provider_id) == ("succeeded", "pi_test_1")
        assert card_order.lines.get().listing.status == "sold"

    def test_a_replay_of_the_same_event_changes_nothing(self, card_order):
        charge = Charge.objects.get(payable_id=card_order.pk)
        event = event_for(charge)
        assert notify(event).status_code == 200
        before = PaymentEvent.objects.count()
        response = notify(event)
        assert (response.status_code, response.json()) == (200, {"received": True})
        assert PaymentEvent.objects.count() == before
        assert OrderEvent.objects.filter(order=card_order, action="pay").count() == 1
        assert not Refund.objects.exists()

    @pytest.mark.parametrize(
        "signature",
        [
            False,
            "",
            "t=abc,v1=def",
            "v1=0123",
            "forged",
        ],
    )
    def test_a_bad_or_absent_signature_is_a_400(self, card_order, signature):
        charge = Charge.objects.get(payable_id=card_order.pk)
        if signature == "forged":
            response = notify(event_for(charge), secret="whsec_someone_else")
        else:
            response = notify(event_for(charge), signature=signature)
        assert response.status_code == 400
        assert status_of(card_order) == "pending_payment"
        assert Charge.objects.get(pk=charge.pk).status == "pending"

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ("not json", 400),
            ("[]", 400),
            ("1", 400),
            ('{"data": []}', 200),
            ('{"id": "evt_9", "data": {"object": 1}}', 200),
        ],
    )
    def test_a_signed_body_that_is_not_an_event_is_refused_or_ignored(
        self, card_order, body, code
    ):
        response = APIClient().post(
            WEBHOOK,
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signed(body),
        )
        assert response.status_code == code
        assert status_of(card_order) == "pending_payment"

    def test_a_signature_that_is_not_ascii_is_a_400(self, card_order):
        charge = Charge.objects.get(payable_id=card_order.pk)
        header = f"t={int(time.time())},v1=\u00e9t\u00e9"
        assert notify(event_for(charge), signature=header).status_code == 400

    def test_a_body_changed_after_signing_is_a_400(self, card_order):
        charge = Charge.objects.get(payable_id=card_order.pk)
        header = signed(json.dumps(event_for(charge, amount=1)))
        response = notify(event_for(charge), signature=header)
        assert response.status_code == 400
        assert "does not match" in str(response.json())
        assert status_of(card_order) == "pending_payment"

    def test_a_stale_timestamp_is_a_400(self, card_order):
        charge = Charge.objects.get(payable_id=card_order.pk)
        response = notify(event_for(charge), at=int(time.time()) - 600)
        assert response.status_code == 400
        assert "too old" in str(response.json())
        assert status_of(card_order) == "pending_payment"

    @pytest.mark.parametrize(
        "mismatch", [{"amount": 100}, {"amount": 18501}, {"currency": "eur"}]
    )
    def test_an_amount_or_currency_mismatch_is_a_400_and_pays_nothing(
        self, card_order, mismatch
    ):
        charge = Charge.objects.get(payable_id=card_order.pk)
        response = notify(event_for(charge, **mismatch))
        assert response.status_code == 400
        assert "does not match the payment" in str(response.json())
        assert status_of(card_order) == "pending_payment"
        charge.refresh_from_db()
        assert charge.status == "pending"
        assert card_order.lines.get().listing.status == "reserved"
        # The refused notification is on record for staff to look into.
        assert charge.events.filter(kind="mismatch").count() == 1

    def test_a_payment_for_an_expired_order_is_refunded(self, card_order, stripe):
        services.order_expire_holds(now=timezone.now() + timedelta(minutes=20))
        assert status_of(card_order) == "expired"
        charge = Charge.objects.get(payable_id=card_order.pk)
        assert charge.status == "cancelled"
        response = notify(event_for(charge))
        assert response.status_code == 200
        assert status_of(card_order) == "expired"
        refund = Refund.objects.get(charge=charge)
        assert (refund.amount, refund.status) == (Decimal("185.00"), "succeeded")
        assert stripe == [Decimal("185.00")]
        assert card_order.lines.get().listing.status == "published"
        # Stripe retries: still one refund.
        assert notify(event_for(charge)).status_code == 200
        assert Refund.objects.filter(charge=charge).count() == 1

    def test_events_that_are_not_payments_are_acknowledged(self, card_order):
        charge = Charge.objects.get(payable_id=card_order.pk)
        expired = event_for(charge, event_id="evt_2", type="checkout.session.expired")
        assert notify(expired).status_code == 200
        unknown = event_for(charge, event_id="evt_3")
        unknown["data"]["object"]["metadata"]["reference"] = "TS-NONE-NONE"
        unknown["data"]["object"]["client_reference_id"] = "TS-NONE-NONE"
        assert notify(unknown).status_code == 200
        assert status_of(card_order) == "pending_payment"

    def test_without_stripe_configured_it_is_a_400(self, settings):
        (order,) = placed()
        charge = Charge.objects.get(payable_id=order.pk)
        settings.STRIPE_WEBHOOK_SECRET = ""
        response = notify(event_for(charge))
        assert response.status_code == 400
        assert "not set up" in str(response.json())

    def test_it_is_never_throttled(self, card_order, monkeypatch):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "2/minute")
        charge = Charge.objects.get(payable_id=card_order.pk)
        for number in range(4):
            response = notify(event_for(charge, event_id=f"evt_{number}"))
            assert response.status_code == 200
        codes = [APIClient().get("/api/listings/").status_code for _ in range(3)]
        assert codes == [200, 200, 429]


def test_a_card_provider_outage_at_checkout_is_a_400_and_holds_nothing(
    settings, monkeypatch
):
    import stripe as stripe_sdk

    settings.STRIPE_SECRET_KEY = "sk_test_key"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET

    def unavailable(**kwargs):
        raise stripe_sdk.APIConnectionError("network down")

    monkeypatch.setattr(stripe_sdk.checkout.Session, "create", unavailable)
    buyer = f.UserFactory()
    listing = f.catalogue_listing()
    client = api_client_for(buyer)
    client.post("/api/basket/lines/", {"listing": listing.slug}, format="json")
    address = address_for(buyer)
    response = client.post(
        "/api/basket/checkout/", {"address": address.pk}, format="json"
    )
    assert response.status_code == 400
    assert "Card payments are unavailable" in str(response.json())
    listing.refresh_from_db()
    assert (listing.status, listing.quantity_held) == ("published", 0)
    assert not Order.objects.filter(buyer=buyer).exists()
