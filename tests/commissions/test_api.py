from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketplace.accounts.models import Notification
from marketplace.commissions import services
from marketplace.commissions.api.serializers import MOVE_INPUTS
from marketplace.commissions.forms import MOVE_FORMS
from marketplace.commissions.models import (
    Commission,
    CommissionEvent,
    Quote,
)
from marketplace.commissions.moves import MOVES
from tests import factories
from tests.commissions.helpers import (
    S,
    image_upload,
    refresh,
    request,
    walk_to,
)
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer():
    return factories.UserFactory()


@pytest.fixture
def artisan():
    return factories.ArtisanFactory(commission_status="open")


def url(commission, tail=""):
    return f"/api/commissions/{commission.pk}/{tail}"


def quote_payload(**overrides):
    today = timezone.localdate()
    return {
        "price": "420.00",
        "deposit": "0.00",
        "estimated_completion_date": str(today + timedelta(days=30)),
        "valid_until": str(today + timedelta(days=10)),
        "materials_commitments": "Recycled sterling silver.",
        **overrides,
    }


class TestCreateAndList:
    def payload(self, artisan, **overrides):
        return {
            "artisan": artisan.slug,
            "kind": "bespoke",
            "title": "Chain bracelet",
            "category": "bracelet",
            "brief": "A heavy curb chain in recycled silver.",
            "budget_min": "150.00",
            "budget_max": "300.00",
            **overrides,
        }

    def test_a_buyer_creates_a_request(self, buyer, artisan):
        response = api_client_for(buyer).post(
            "/api/commissions/", self.payload(artisan), format="json"
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["status"] == "submitted"
        assert body["artisan"] == artisan.slug
        assert body["allowed_actions"] == ["cancel"]
        assert body["next_step"]["party"] == "artisan"
        assert Commission.objects.get().buyer == buyer

    def test_multipart_with_reference_images(self, buyer, artisan):
        data = self.payload(artisan, reference_images=[image_upload()])
        response = api_client_for(buyer).post(
            "/api/commissions/", data, format="multipart"
        )
        assert response.status_code == 201, response.json()
        assert Commission.objects.get().reference_images.count() == 1

    def test_bad_input_is_a_400_with_field_errors(self, buyer, artisan):
        response = api_client_for(buyer).post(
            "/api/commissions/",
            self.payload(
                artisan, title="", budget_min="500", currency="pounds", kind="x"
            ),
            format="json",
        )
        assert response.status_code == 400
        assert {"title", "currency", "kind"} <= set(response.json())
        response = api_client_for(buyer).post(
            "/api/commissions/",
            self.payload(artisan, budget_min="500", budget_max="100"),
            format="json",
        )
        assert response.status_code == 400
        assert "budget_max" in response.json()
        assert not Commission.objects.exists()

    def test_closed_artisan_is_a_400_with_a_clear_message(self, buyer):
        closed = factories.ArtisanFactory(commission_status="closed")
        response = api_client_for(buyer).post(
            "/api/commissions/", self.payload(closed), format="json"
        )
        assert response.status_code == 400
        assert "not taking commissions" in str(response.json())
        assert not Commission.objects.exists()

    def test_waitlisted_request_shows_its_position(self, buyer):
        waitlisted = factories.ArtisanFactory(commission_status="waitlist")
        request(factories.UserFactory(), waitlisted)
        response = api_client_for(buyer).post(
            "/api/commissions/", self.payload(waitlisted), format="json"
        )
        assert response.json()["status"] == "waitlisted"
        assert response.json()["waitlist_position"] == 2

    def test_anonymous_cannot_create_or_list(self, api_client, artisan):
        assert api_client.get("/api/commissions/").status_code == 401
        response = api_client.post(
            "/api/commissions/", self.payload(artisan), format="json"
        )
        assert response.status_code == 401

    def test_lists_are_scoped_by_role(self, buyer, artisan):
        mine = request(buyer, artisan)
        other = request(factories.UserFactory(), artisan)
        request(factories.UserFactory(), factories.ArtisanFactory())
        buyer_ids = [
            c["id"]
            for c in api_client_for(buyer).get("/api/commissions/").json()["results"]
        ]
        assert buyer_ids == [mine.pk]
        client = api_client_for(artisan.user)
        inbox = client.get("/api/commissions/", {"role": "artisan"}).json()["results"]
        assert {c["id"] for c in inbox} == {mine.pk, other.pk}
        assert (
            client.get("/api/commissions/", {"role": "buyer"}).json()["results"] == []
        )

    def test_list_query_budget(self, buyer, django_assert_max_num_queries):
        for _ in range(30):
            walk_to(S.QUOTED, buyer=buyer)
        client = api_client_for(buyer)
        with django_assert_max_num_queries(8):
            response = client.get("/api/commissions/")
        assert response.json()["count"] == 30
        assert all(
            c["current_quote"]["version"] == 1 for c in response.json()["results"]
        )

    def test_status_is_not_writable(self, buyer, artisan):
        commission = request(buyer, artisan)
        client = api_client_for(buyer)
        assert client.patch(url(commission), {"status": "completed"}).status_code == 405
        assert client.put(url(commission), {"status": "completed"}).status_code == 405
        assert refresh(commission).status == S.SUBMITTED


class TestMoves:
    def test_the_whole_journey(self, buyer, artisan):
        base = factories.ListingFactory(artisan=artisan, published=True)
        commission = request(buyer, artisan, kind="modification", base_listing=base)
        a, b = api_client_for(artisan.user), api_client_for(buyer)

        response = a.post(url(commission, "quote/"), quote_payload(deposit="100.00"))
        assert response.status_code == 201 and response.json()["version"] == 1
        response = a.post(url(commission, "quote/"), quote_payload(deposit="50.00"))
        assert response.json()["version"] == 2
        response = b.post(url(commission, "accept-quote/"), {"version": 1})
        assert response.status_code == 400
        assert "replaced by v2" in str(response.json())
        response = b.post(url(commission, "accept-quote/"), {"version": 2})
        assert response.status_code == 200 and response.json()["status"] == "accepted"
        response = a.post(url(commission, "start/"))
        assert response.status_code == 400 and "deposit" in str(response.json())
        response = b.post(
            url(commission, "record-payment/"),
            {"kind": "deposit", "amount": "50.00", "reference": "TR-9"},
        )
        assert response.status_code == 201
        recorded = response.json()
        assert {
            key: recorded[key]
            for key in ("kind", "amount", "currency", "method", "reference", "status")
        } == {
            "kind": "deposit",
            "amount": "50.00",
            "currency": "GBP",
            "method": "manual",
            "reference": "TR-9",
            "status": "pending",
        }
        assert recorded["confirmed_at"] is None
        payment_id = recorded["id"]
        response = a.post(url(commission, "confirm-payment/"), {"payment": payment_id})
        assert response.status_code == 200 and response.json()["status"] == "confirmed"
        assert response.json()["confirmed_at"]
        assert a.post(url(commission, "start/")).json()["status"] == "in_progress"
        response = a.post(
            url(commission, "post-update/"),
            {
                "stage": "design",
                "note": "Sketch",
                "needs_approval": True,
                "use_as_evidence": True,
                "photos": [image_upload()],
            },
            format="multipart",
        )
        assert response.status_code == 201, response.json()
        update = response.json()
        assert update["approval_status"] == "pending"
        assert update["photos"][0]["use_as_evidence"] is True
        response = b.post(
            url(commission, "request-changes/"),
            {"update": update["id"], "note": "Slimmer"},
        )
        assert response.status_code == 200
        update = a.post(
            url(commission, "post-update/"),
            {"stage": "design", "note": "Slimmer", "needs_approval": True},
        ).json()
        response = b.post(url(commission, "approve-update/"), {"update": update["id"]})
        assert response.status_code == 200
        assert a.post(url(commission, "submit-for-review/")).json()["status"] == (
            "ready_for_review"
        )
        response = b.post(url(commission, "send-back/"), {"reason": "Polish it"})
        assert response.json()["status"] == "in_progress"
        a.post(url(commission, "submit-for-review/"))
        assert b.post(url(commission, "approve/")).json()["status"] == "approved"
        lot = factories.recycled_silver_lot(artisan, reference="API-J")
        response = a.post(
            url(commission, "complete/"),
            {
                "title": "Ben's ring",
                "metals": [{"metal": "silver", "fineness": 925, "weight_grams": "5.0"}],
                "inputs": [{"lot": lot.pk, "grams": "5.400"}],
                "loss_grams": "0.400",
            },
            format="json",
        )
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["status"] == "completed"
        assert body["completed_listing"]
        events = b.get(url(commission, "events/")).json()["results"]
        assert events[0]["kind"] == "request" and events[-1]["kind"] == "complete"

    def test_decline_and_decline_quote_and_cancel(self, buyer, artisan):
        a, b = api_client_for(artisan.user), api_client_for(buyer)
        first = request(buyer, artisan)
        response = a.post(url(first, "decline/"), {"reason": ""})
        assert response.status_code == 400 and "reason" in response.json()
        assert a.post(url(first, "decline/"), {"reason": "Fully booked"}).json()[
            "status"
        ] == ("declined")
        second = request(buyer, artisan)
        a.post(url(second, "quote/"), quote_payload())
        response = b.post(
            url(second, "decline-quote/"), {"version": 1, "reason": "Too dear"}
        )
        assert response.json()["status"] == "submitted"
        assert second.quotes.get().status == Quote.Status.DECLINED
        assert b.post(url(second, "cancel/"), {"reason": "Changed my mind"}).json()[
            "status"
        ] == ("cancelled")

    def test_admit_from_the_waitlist(self, buyer):
        waitlisted = factories.ArtisanFactory(commission_status="waitlist")
        commission = request(buyer, waitlisted)
        response = api_client_for(waitlisted.user).post(url(commission, "admit/"))
        assert response.status_code == 200
        assert response.json()["status"] == "submitted"

    def test_wrong_state_is_a_400(self, buyer, artisan):
        commission = request(buyer, artisan)
        response = api_client_for(artisan.user).post(
            url(commission, "submit-for-review/")
        )
        assert response.status_code == 400
        assert "while the commission is submitted" in str(response.json())

    def test_an_expired_quote_is_a_400(self, buyer, artisan):
        commission = walk_to(S.QUOTED, buyer=buyer, artisan=artisan)
        Quote.objects.filter(commission=commission).update(
            valid_until=timezone.localdate() - timedelta(days=1)
        )
        response = api_client_for(buyer).post(
            url(commission, "accept-quote/"), {"version": 1}
        )
        assert response.status_code == 400
        assert "expired" in str(response.json())

    def test_wrong_party_is_a_403(self, buyer, artisan):
        commission = request(buyer, artisan)
        response = api_client_for(buyer).post(
            url(commission, "quote/"), quote_payload()
        )
        assert response.status_code == 403
        assert not commission.quotes.exists()

    def test_bad_quote_is_a_400_with_field_errors(self, buyer, artisan):
        commission = request(buyer, artisan)
        response = api_client_for(artisan.user).post(
            url(commission, "quote/"), quote_payload(deposit="9999.00", price="abc")
        )
        assert response.status_code == 400
        assert "price" in response.json()
        response = api_client_for(artisan.user).post(
            url(commission, "quote/"), quote_payload(deposit="9999.00")
        )
        assert response.status_code == 400
        assert response.json()["deposit"] == [
            "The deposit cannot be more than the price."
        ]
        assert not commission.quotes.exists()


ACTION_URLS = [
    ("get", ""),
    ("get", "events/"),
    ("get", "messages/"),
    ("post", "messages/"),
    *(("post", f"{move.slug}/") for move in MOVES.values()),
]


@pytest.mark.parametrize("method,tail", ACTION_URLS)
def test_a_third_user_gets_404_on_the_commission_and_every_action(method, tail):
    commission = walk_to(S.QUOTED)
    before = CommissionEvent.objects.count()
    for outsider in (factories.UserFactory(), factories.ArtisanFactory().user):
        client = api_client_for(outsider)
        response = getattr(client, method)(url(commission, tail), {"reason": "x"})
        assert response.status_code == 404, (tail, response.content)
    assert CommissionEvent.objects.count() == before


class TestThread:
    def test_messages_and_attachments(self, buyer, artisan):
        commission = request(buyer, artisan)
        response = api_client_for(buyer).post(
            url(commission, "messages/"),
            {"body": "My finger is 17 mm", "attachments": [image_upload()]},
            format="multipart",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["attachments"][0]["media_type"] == "image/jpeg"
        thread = api_client_for(artisan.user).get(url(commission, "messages/")).json()
        bodies = [m["body"] for m in thread["results"]]
        assert bodies[-1] == "My finger is 17 mm"
        assert thread["results"][0]["is_system"] is True

    def test_empty_message_is_a_400(self, buyer, artisan):
        commission = request(buyer, artisan)
        response = api_client_for(buyer).post(
            url(commission, "messages/"), {"body": ""}
        )
        assert response.status_code == 400 and "body" in response.json()

    def test_thread_query_budget(self, buyer, artisan, django_assert_max_num_queries):
        commission = request(buyer, artisan)
        for n in range(30):
            services.message_post(actor=buyer, commission=commission, body=f"m{n}")
        with django_assert_max_num_queries(8):
            response = api_client_for(artisan.user).get(url(commission, "messages/"))
        assert response.json()["count"] == 31


class TestNotificationsApi:
    def test_list_read_and_read_all(self, buyer, artisan):
        commission = walk_to(S.QUOTED, buyer=buyer, artisan=artisan)
        services.message_post(actor=artisan.user, commission=commission, body="Hi")
        client = api_client_for(buyer)
        results = client.get("/api/notifications/").json()["results"]
        assert len(results) == 2 and all(n["read_at"] is None for n in results)
        response = client.post(f"/api/notifications/{results[0]['id']}/read/")
        assert response.json()["read_at"] is not None
        assert client.post("/api/notifications/read-all/").json() == {"marked_read": 1}
        assert not Notification.objects.filter(
            user=buyer, read_at__isnull=True
        ).exists()

    def test_someone_elses_notification_is_404(self, buyer):
        notification = factories.NotificationFactory()
        client = api_client_for(buyer)
        assert client.get(f"/api/notifications/{notification.pk}/").status_code == 404
        assert (
            client.post(f"/api/notifications/{notification.pk}/read/").status_code
            == 404
        )
        notification.refresh_from_db()
        assert notification.read_at is None


def test_payment_over_the_quote_is_a_400(buyer, artisan):
    commission = walk_to(
        S.ACCEPTED, buyer=buyer, artisan=artisan, deposit=Decimal("80")
    )
    response = api_client_for(buyer).post(
        url(commission, "record-payment/"),
        {"kind": "deposit", "amount": "81.00", "reference": "R"},
    )
    assert response.status_code == 400 and "amount" in response.json()


def test_retrieve_shows_the_whole_commission_within_a_query_budget(
    buyer, artisan, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    commission = walk_to(S.IN_PROGRESS, buyer=buyer, artisan=artisan)
    # Committed, so that the thumbnail tasks run as they do after a request.
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(30):
            services.commission_post_update(
                actor=artisan.user,
                commission=commission,
                stage="fabrication",
                note=f"Step {n}",
                photos=[image_upload()] if n < 3 else [],
            )
    with django_assert_max_num_queries(12):
        response = api_client_for(buyer).get(url(commission))
    body = response.json()
    assert response.status_code == 200
    assert [q["version"] for q in body["quotes"]] == [1]
    assert len(body["progress_updates"]) == 30
    assert body["progress_updates"][0]["photos"][0]["thumbnail"]


def test_one_route_per_move_people_make():
    made_by_people = set(services.TRANSITIONS) - {"request", "join_waitlist", "expire"}
    assert set(MOVES) == made_by_people
    assert set(MOVE_FORMS) == set(MOVE_INPUTS) == made_by_people
    assert sorted(move.slug for move in MOVES.values()) == [
        "accept-quote",
        "admit",
        "approve",
        "approve-update",
        "cancel",
        "complete",
        "confirm-payment",
        "decline",
        "decline-quote",
        "post-update",
        "quote",
        "record-payment",
        "request-changes",
        "send-back",
        "start",
        "submit-for-review",
    ]


def test_the_schema_documents_every_move_with_its_body(client):
    schema = client.get(
        "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    ).json()
    for move in MOVES.values():
        operation = schema["paths"][f"/api/commissions/{{id}}/{move.slug}/"]["post"]
        assert ("201" if move.creates else "200") in operation["responses"]
        assert "400" in operation["responses"] and "404" in operation["responses"]
        assert ("requestBody" in operation) == (MOVE_INPUTS[move.name] is not None)


def test_ids_travel_in_the_body_and_bad_ones_are_field_errors(buyer, artisan):
    commission = walk_to(
        S.ACCEPTED, buyer=buyer, artisan=artisan, deposit=Decimal("80")
    )
    b, a = api_client_for(buyer), api_client_for(artisan.user)
    response = b.post(url(commission, "accept-quote/"), {})
    assert response.status_code == 400 and "version" in response.json()
    response = a.post(url(commission, "confirm-payment/"), {"payment": 999})
    assert response.status_code == 400 and "payment" in response.json()
    response = a.post(url(commission, "confirm-payment/"), {"payment": "x"})
    assert response.status_code == 400 and "payment" in response.json()
