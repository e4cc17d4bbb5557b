"""Tamper evidence of what the certificate shows beyond the events themselves: party
places, the owner, and where the chain ends."""

from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.db.models import Q
from django.test import RequestFactory
from django.utils import timezone

from provenance import services, signing
from provenance.models import Certificate, Party, TraceEvent
from provenance.pseudonyms import owner_commitment, owner_label
from provenance.services.chain import chain_events, verify_chain
from provenance.services.exports import (
    certificate_payload,
    certificate_view,
    verify_export,
)
from tests import factories

pytestmark = pytest.mark.django_db


def _raw(sql: str, params) -> None:
    """Alter stored rows behind the application's back, as an intruder with SQL would."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _page(client, listing) -> str:
    response = client.get(Certificate.objects.get(listing=listing).get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def _assert_broken(client, listing, reason: str) -> None:
    result = services.provenance_verify(listing)
    assert result.ok is False
    assert reason in result.reason
    page = _page(client, listing)
    assert "Chain does not verify" in page
    assert "Chain verified" not in page
    assert reason.lower() in page.lower()


# --- 1. Party places --------------------------------------------------------------------


def test_a_raw_sql_edit_of_a_partys_place_breaks_the_chain(client, piece):
    listing, _lot = piece
    fabrication = TraceEvent.objects.get(kind="transformation")
    _raw(
        "UPDATE provenance_party SET place = %s WHERE id = %s",
        ["Somewhere else", fabrication.location_id],
    )
    _assert_broken(client, listing, "no longer matches its hash")
    # The first event that names the party is the first broken link.
    party = fabrication.location_id
    first = (
        TraceEvent.objects.filter(
            Q(location=party) | Q(from_party=party) | Q(to_party=party)
        )
        .order_by("id")
        .first()
    )
    assert services.provenance_verify(listing).first_broken == first


def test_the_admin_cannot_change_a_hashed_field_of_a_party(admin_user, piece):
    party = TraceEvent.objects.get(kind="transformation").location
    request = RequestFactory().get("/")
    request.user = admin_user
    readonly = site._registry[Party].get_readonly_fields(request, party)
    for name in ("kind", "name", "country", "place", "registry_identifier"):
        assert name in readonly


# --- 2. The owner -----------------------------------------------------------------------


def test_a_raw_sql_change_of_the_owner_of_an_unsold_piece_breaks_the_chain(
    client, piece, other_user
):
    listing, _lot = piece
    _raw(
        "UPDATE provenance_certificate SET owner_id = %s WHERE listing_id = %s",
        [other_user.pk, listing.pk],
    )
    _assert_broken(client, listing, "names an owner that no ownership event records")


def test_a_raw_sql_change_of_the_owner_after_a_claim_names_the_ownership_link(
    client, artisan, piece, user, other_user
):
    listing, _lot = piece
    certificate = Certificate.objects.get(listing=listing)
    code = services.ownership_handover_start(
        actor=artisan.user, certificate=certificate
    )
    services.ownership_claim(actor=user, code=code)
    assert services.provenance_verify(listing).ok
    assert owner_label(owner_commitment(user.pk, listing.pk)) in _page(client, listing)
    _raw(
        "UPDATE provenance_certificate SET owner_id = %s WHERE id = %s",
        [other_user.pk, certificate.pk],
    )
    _assert_broken(client, listing, "not the owner this ownership link records")
    result = services.provenance_verify(listing)
    assert result.first_broken == TraceEvent.objects.get(kind="ownership")


# --- 3. The end of the chain ------------------------------------------------------------


def test_deleting_the_newest_events_is_detected(client, artisan, piece):
    listing, _lot = piece
    office = factories.PartyFactory(kind="assay_office")
    newest = services.piece_hallmark(
        actor=artisan.user,
        listing=listing,
        assay_office=office,
        occurred_at=timezone.now() - timedelta(hours=1),
    )
    certificate = Certificate.objects.get(listing=listing)
    assert (certificate.chain_head, certificate.chain_length) == (newest.hash, 5)
    assert services.provenance_verify(listing).ok
    for table in ("chainmembership", "eventitem", "eventlink"):
        _raw(f"DELETE FROM provenance_{table} WHERE event_id = %s", [newest.pk])  # noqa: S608
    _raw("DELETE FROM provenance_traceevent WHERE id = %s", [newest.pk])
    # The certificate's anchor alone catches it ...
    anchor = verify_chain(chain_events(listing), certificate)
    assert "the chain ends before its recorded head: 5 events expected, 4 found" in (
        anchor.reason
    )
    # ... and so does the log, which names the event even once the anchor is rewritten.
    _assert_broken(
        client,
        listing,
        f"the transparency log recorded trace_event/{newest.pk} for this piece, and "
        "the chain no longer holds it",
    )


def test_an_event_rewritten_at_the_head_with_a_new_hash_is_detected(client, piece):
    listing, _lot = piece
    from provenance.services.chain import chain_events, content_hash, event_content

    head = TraceEvent.objects.for_chain(listing).latest("id")
    _raw(
        "UPDATE provenance_traceevent SET note = %s WHERE id = %s", ["forged", head.pk]
    )
    forged = next(e for e in chain_events(listing) if e.pk == head.pk)
    new_hash = content_hash(
        event_content(
            forged, forged.loaded_items, [h for _p, h in forged.loaded_parents]
        )
    )
    _raw(
        "UPDATE provenance_traceevent SET hash = %s WHERE id = %s", [new_hash, head.pk]
    )
    certificate = Certificate.objects.get(listing=listing)
    anchor = verify_chain(chain_events(listing), certificate)
    assert "the newest event is not the recorded head of the chain" in anchor.reason
    _assert_broken(
        client,
        listing,
        "it is not the event the transparency log recorded",
    )
    assert "changed since it was logged: note" in (
        services.provenance_verify(listing).reason
    )


def test_a_certificate_without_an_anchor_does_not_verify(client, piece):
    listing, _lot = piece
    _raw(
        "UPDATE provenance_certificate SET chain_head = '', chain_length = NULL "
        "WHERE listing_id = %s",
        [listing.pk],
    )
    _assert_broken(client, listing, "the certificate has no recorded chain head")


def test_the_signed_export_carries_the_head_and_a_cut_export_is_rejected(piece):
    listing, _lot = piece
    certificate = Certificate.objects.get(listing=listing)
    payload = certificate_payload(certificate_view(certificate))
    assert payload["chain"]["head"] == payload["events"][-1]["hash"]
    assert payload["chain"]["length"] == 4
    key = signing.private_key().public_key()
    assert verify_export(signing.sign(payload), key).ok
    payload["events"] = payload["events"][:-1]
    check = verify_export(signing.sign(payload), key)
    assert not check.ok
    assert "ends before its recorded head: 4 events expected, 3 found" in " ".join(
        check.problems
    )


def test_an_export_whose_owner_differs_from_the_chain_is_rejected(piece, other_user):
    listing, _lot = piece
    certificate = Certificate.objects.get(listing=listing)
    payload = certificate_payload(certificate_view(certificate))
    payload["owner_commitment"] = owner_commitment(other_user.pk, listing.pk)
    payload["owner"] = owner_label(payload["owner_commitment"])
    check = verify_export(signing.sign(payload), signing.private_key().public_key())
    assert not check.ok
    assert "ownership link" in " ".join(check.problems)
