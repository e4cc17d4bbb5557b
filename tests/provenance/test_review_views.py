"""The verifiers' review queue in HTML: filters, the claim with evidence and history, actions."""

import pytest
from django.urls import reverse

from provenance.models import Review, ReviewEvent
from provenance.services.verification import claim_transition, evidence_add
from tests import factories

pytestmark = pytest.mark.django_db


def submitted_mark(**kwargs):
    return factories.submitted(factories.MakerMarkFactory(**kwargs))


def review_of(record):
    return Review.objects.get(
        content_type__model=record._meta.model_name, object_id=record.pk
    )


class TestQueue:
    def test_waiting_claims_of_every_kind_oldest_first(self, client, verifier):
        first = submitted_mark(text="FIRST")
        profile = factories.submitted(
            factories.ArtisanFactory(public_name="Profile Pat")
        )
        factories.MakerMarkFactory(text="DRAFTONLY")
        done = submitted_mark(text="DONE")
        claim_transition(record=done, actor=verifier, action="verify")
        client.force_login(verifier)
        response = client.get(reverse("provenance:verification-list"))
        reviews = list(response.context["reviews"])
        assert [r.object_id for r in reviews] == [first.pk, profile.pk]
        page = response.content.decode()
        assert "FIRST" in page and "Profile Pat" in page
        assert "DRAFTONLY" not in page and "DONE" not in page

    def test_filters_by_kind_and_state(self, client, verifier):
        mark = submitted_mark(text="MK")
        profile = factories.submitted(factories.ArtisanFactory())
        verified = submitted_mark(text="VV")
        claim_transition(record=verified, actor=verifier, action="verify")
        client.force_login(verifier)

        def ids(**query):
            response = client.get(reverse("provenance:verification-list"), query)
            assert response.status_code == 200
            return {
                (r.content_type.model, r.object_id) for r in response.context["reviews"]
            }

        assert ids(kind="makermark") == {("makermark", mark.pk)}
        assert ids(kind="artisan") == {("artisan", profile.pk)}
        assert ids(status="verified") == {("makermark", verified.pk)}
        assert ids(status="") == {
            ("makermark", mark.pk),
            ("artisan", profile.pk),
            ("makermark", verified.pk),
        }
        # A bad filter value falls back to the waiting queue rather than erroring.
        assert ids(kind="nonsense") == {("makermark", mark.pk), ("artisan", profile.pk)}

    def test_query_count_stays_flat_with_many_rows_of_several_kinds(
        self, client, verifier, django_assert_max_num_queries
    ):
        for _ in range(20):
            mark = submitted_mark()
            evidence_add(
                record=mark, actor=mark.artisan.user, uploaded=factories.pdf_upload()
            )
            factories.submitted(factories.ArtisanFactory())
        client.force_login(verifier)
        # Two of them count the reported buyers' reviews waiting (role check, count).
        with django_assert_max_num_queries(16):
            response = client.get(reverse("provenance:verification-list"))
        assert len(response.context["reviews"]) == 30
        assert response.context["page_obj"].has_next()
        assert "1 file" in response.content.decode()

    def test_non_verifiers_get_404_and_anonymous_log_in(self, client, user):
        submitted_mark()
        assert (
            reverse("login")
            in client.get(reverse("provenance:verification-list"))["Location"]
        )
        client.force_login(user)
        assert client.get(reverse("provenance:verification-list")).status_code == 404
        artisan = factories.ArtisanFactory()
        client.force_login(artisan.user)
        assert client.get(reverse("provenance:verification-list")).status_code == 404


class TestReviewPage:
    def test_shows_the_claim_its_evidence_history_and_allowed_actions(
        self, client, verifier
    ):
        mark = submitted_mark(text="WSX", registry_reference="LON-77")
        item = evidence_add(
            record=mark, actor=mark.artisan.user, uploaded=factories.image_upload()
        )
        client.force_login(verifier)
        response = client.get(
            reverse("provenance:verification-detail", args=[review_of(mark).pk])
        )
        page = response.content.decode()
        assert "WSX" in page and "LON-77" in page
        assert item.sha256 in page and "<img" in page
        assert "Submitted" in page and "Submit" in page  # history
        names = [a["name"] for a in response.context["actions"]]
        assert set(names) == {"start_review", "request_information", "verify", "reject"}
        assert "Suspend" not in page

    def test_a_kind_without_its_own_template_uses_the_generic_one(
        self, client, verifier
    ):
        from provenance.selectors.review import claim_fields

        listing = factories.ListingFactory()
        record = factories.HallmarkRecordFactory(
            listing=listing, assay_office="Sheffield"
        )
        factories.submitted(record, actor=listing.artisan.user)
        client.force_login(verifier)
        response = client.get(
            reverse("provenance:verification-detail", args=[review_of(record).pk])
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert "Sheffield" in page and "Assay office" in page
        assert "UK hallmark" in page  # choices shown readably
        labels = [label for label, _value, _kind in claim_fields(record)]
        assert "Verification status" not in labels

    def test_the_submitter_sees_no_actions(self, client, verifier):
        mark = submitted_mark()
        Review.objects.filter(pk=review_of(mark).pk).update(submitted_by=verifier)
        client.force_login(verifier)
        response = client.get(
            reverse("provenance:verification-detail", args=[review_of(mark).pk])
        )
        assert response.context["actions"] == []
        assert "another verifier must decide" in response.content.decode()

    def test_non_verifiers_and_unknown_reviews_are_404(self, client, verifier):
        mark = submitted_mark()
        url = reverse("provenance:verification-detail", args=[review_of(mark).pk])
        client.force_login(mark.artisan.user)
        assert client.get(url).status_code == 404
        client.force_login(verifier)
        assert (
            client.get(
                reverse("provenance:verification-detail", args=[99999])
            ).status_code
            == 404
        )

    def test_detail_query_budget_with_long_history(
        self, client, verifier, django_assert_max_num_queries
    ):
        mark = submitted_mark()
        for n in range(15):
            claim_transition(
                record=mark,
                actor=verifier,
                action="request_information",
                reason=f"Q{n}",
            )
            from provenance.services.verification import claim_resubmit

            claim_resubmit(record=mark, actor=mark.artisan.user, message=f"A{n}")
        for _ in range(10):
            evidence_add(
                record=mark, actor=mark.artisan.user, uploaded=factories.pdf_upload()
            )
        client.force_login(verifier)
        with django_assert_max_num_queries(14):
            response = client.get(
                reverse("provenance:verification-detail", args=[review_of(mark).pk])
            )
        assert "Q14" in response.content.decode()


class TestActions:
    def url(self, record, action):
        return reverse(
            "provenance:verification-action", args=[review_of(record).pk, action]
        )

    def test_verify_and_request_information(self, client, verifier):
        mark = submitted_mark()
        client.force_login(verifier)
        response = client.post(
            self.url(mark, "request-information"),
            {"request_information-reason": "Send the registry extract."},
        )
        assert response.status_code == 302
        mark.refresh_from_db()
        assert mark.verification_status == "needs_information"
        assert review_of(mark).last_message == "Send the registry extract."
        other = submitted_mark()
        client.post(self.url(other, "start-review"))
        client.post(self.url(other, "verify"))
        other.refresh_from_db()
        assert other.verification_status == "verified"
        assert (
            ReviewEvent.objects.filter(
                review__object_id=other.pk, actor=verifier
            ).count()
            == 2
        )

    def test_a_missing_reason_is_a_form_error(self, client, verifier):
        mark = submitted_mark()
        client.force_login(verifier)
        response = client.post(self.url(mark, "reject"), {"reject-reason": " "})
        assert response.status_code == 400
        assert "Give a reason" in response.content.decode()
        mark.refresh_from_db()
        assert mark.verification_status == "submitted"

    def test_a_move_from_the_wrong_state_is_refused(self, client, verifier):
        mark = submitted_mark()
        client.force_login(verifier)
        response = client.post(self.url(mark, "reinstate"), {"reinstate-reason": "x"})
        assert response.status_code == 400
        assert "Cannot reinstate" in response.content.decode()
        response = client.post(self.url(mark, "resubmit"))
        assert response.status_code == 404  # an owner's move is not a verifier action
        mark.refresh_from_db()
        assert mark.verification_status == "submitted"

    def test_the_submitter_cannot_decide(self, client, verifier):
        mark = submitted_mark()
        Review.objects.filter(pk=review_of(mark).pk).update(submitted_by=verifier)
        client.force_login(verifier)
        response = client.post(self.url(mark, "verify"))
        assert response.status_code == 400
        assert "cannot review a claim they submitted" in response.content.decode()
        mark.refresh_from_db()
        assert mark.verification_status == "submitted"

    def test_non_verifiers_cannot_act(self, client, user):
        mark = submitted_mark()
        client.force_login(mark.artisan.user)
        assert client.post(self.url(mark, "verify")).status_code == 404
        client.force_login(user)
        assert client.post(self.url(mark, "verify")).status_code == 404
        mark.refresh_from_db()
        assert mark.verification_status == "submitted"
