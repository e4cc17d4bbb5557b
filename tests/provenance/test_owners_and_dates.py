"""Owners are per-piece commitments; dates are checked against when they were recorded;
a declared claim never looks verified."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from provenance import hashing, services
from provenance.models import Certificate, MaterialLot, TraceEvent
from provenance.pseudonyms import owner_commitment, owner_label
from provenance.services.chain import chain_anchor_refresh, chain_events
from tests import factories

pytestmark = pytest.mark.django_db


def _raw(sql: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _rehash_all(listing) -> None:
    """What an insider with database access does after editing rows: recompute every
    hash of the chain in order, and the certificate's head."""
    for event in chain_events(listing):
        loaded = next(e for e in chain_events(listing) if e.pk == event.pk)
        new = hashing.content_hash(
            hashing.event_content(
                loaded, loaded.loaded_items, [h for _p, h in loaded.loaded_parents]
            ),
            version=loaded.hash_version,
        )
        TraceEvent.objects.filter(pk=event.pk).update(hash=new)
    chain_anchor_refresh(listing_ids=[listing.pk])


def _hand_over(artisan, listing, buyer):
    code = services.ownership_handover_start(
        actor=artisan.user, certificate=listing.certificate
    )
    services.ownership_claim(actor=buyer, code=code)


# --- Owners -----------------------------------------------------------------------------


def test_the_chain_records_a_full_per_piece_commitment_and_pages_a_label(
    client, artisan
):
    buyer = factories.UserFactory()
    first, _ = factories.fabricated_piece(artisan)
    second, _ = factories.fabricated_piece(artisan)
    _hand_over(artisan, first, buyer)
    _hand_over(artisan, second, buyer)
    recorded = [
        TraceEvent.objects.for_chain(listing).get(kind="ownership").owner_commitment
        for listing in (first, second)
    ]
    assert recorded == [
        owner_commitment(buyer.pk, first.pk),
        owner_commitment(buyer.pk, second.pk),
    ]
    assert all(len(value) == 64 for value in recorded)
    assert recorded[0] != recorded[1]  # the same buyer, unlinkable across pieces
    pages = [
        client.get(listing.certificate.get_absolute_url())
        for listing in (first, second)
    ]
    assert owner_label(recorded[0]).encode() in pages[0].content
    assert owner_label(recorded[0]).encode() not in pages[1].content


def test_an_account_with_the_same_label_does_not_own_the_piece(artisan, piece):
    """Ownership is checked on the whole commitment: matching the page's short label
    (or the old 16-bit pseudonym) is not enough."""
    listing, _lot = piece
    owner, impostor = factories.UserFactory(), factories.UserFactory()
    _hand_over(artisan, listing, owner)
    assert services.provenance_verify(listing).ok
    recorded = TraceEvent.objects.for_chain(listing).get(kind="ownership")
    # An impostor whose label would collide: make the stored value carry only the label.
    _raw(
        "UPDATE provenance_certificate SET owner_id = %s WHERE id = %s",
        [impostor.pk, listing.certificate.pk],
    )
    result = services.provenance_verify(listing)
    assert not result.ok and result.first_broken == recorded
    assert "ownership link" in result.reason


def test_the_new_owners_pieces_are_on_their_account_page(client, artisan, piece):
    listing, _lot = piece
    buyer = factories.UserFactory()
    _hand_over(artisan, listing, buyer)
    client.force_login(buyer)
    page = client.get(reverse("marketplace:account")).content.decode()
    assert "My pieces" in page and listing.certificate.code in page
    client.force_login(factories.UserFactory())
    other = client.get(reverse("marketplace:account")).content.decode()
    assert listing.certificate.code not in other


# --- Dates ------------------------------------------------------------------------------


def test_a_purchase_cannot_be_backdated_into_an_expired_certification(artisan):
    expired = factories.CertificationFactory(
        artisan=artisan, issued_on=date(2019, 1, 1), valid_until=date(2021, 1, 1)
    )
    with pytest.raises(ValidationError) as refused:
        factories.recycled_silver_lot(
            artisan,
            certification=expired,
            purchased_at=timezone.now().replace(year=2020),
        )
    assert "occurred_at" in refused.value.message_dict
    assert not MaterialLot.objects.exists()


def test_an_expired_certification_does_not_back_a_purchase_today(artisan):
    expired = factories.CertificationFactory(
        artisan=artisan,
        issued_on=date.today() - timedelta(days=800),
        valid_until=date.today() - timedelta(days=10),
    )
    with pytest.raises(ValidationError) as refused:
        factories.recycled_silver_lot(
            artisan,
            certification=expired,
            purchased_at=timezone.now() - timedelta(days=1),
        )
    assert "certification" in refused.value.message_dict


def test_a_backdated_event_rewritten_by_an_insider_is_reported_by_its_field(
    artisan, capsys
):
    certification = factories.CertificationFactory(
        artisan=artisan, issued_on=date(2019, 1, 1), valid_until=date(2021, 1, 1)
    )
    lot = factories.recycled_silver_lot(artisan)
    listing, _ = factories.fabricated_piece(artisan, lots=[lot])
    origin = TraceEvent.objects.for_chain(listing).get(kind="origin")
    _raw(
        "UPDATE provenance_traceevent SET occurred_at = %s, certification_id = %s "
        "WHERE id = %s",
        [timezone.now().replace(year=2020), certification.pk, origin.pk],
    )
    _rehash_all(listing)
    result = services.provenance_verify(listing)
    assert not result.ok and result.first_broken.pk == origin.pk
    assert "occurred_at" in result.reason
    call_command("verify_chains")
    out = capsys.readouterr().out
    assert f"BROKEN {listing.certificate.code}" in out and "occurred_at" in out


def test_a_certification_that_did_not_cover_the_date_is_reported(artisan):
    certification = factories.CertificationFactory(artisan=artisan)
    lot = factories.recycled_silver_lot(artisan, certification=certification)
    listing, _ = factories.fabricated_piece(artisan, lots=[lot])
    assert services.provenance_verify(listing).ok
    _raw(
        "UPDATE provenance_certification SET valid_until = %s WHERE id = %s",
        [date.today() - timedelta(days=300), certification.pk],
    )
    # The certification is hashed into the event: the edit alone breaks the hash; an
    # insider who also re-hashes is caught by the date check.
    assert not services.provenance_verify(listing).ok
    _rehash_all(listing)
    result = services.provenance_verify(listing)
    assert not result.ok and "valid_until" in result.reason


# --- Declared claims --------------------------------------------------------------------


def test_a_declared_recycled_lot_never_shows_the_verified_badge(client, artisan, piece):
    listing, lot = piece
    assert lot.verification_status != "verified"
    page = client.get(Certificate.objects.get(listing=listing).get_absolute_url())
    html = page.content.decode()
    assert "as declared by the maker" in html
    assert 'badge--verified">100% recycled' not in html
    factories.verified(lot)
    html = client.get(listing.certificate.get_absolute_url()).content.decode()
    assert 'badge--verified">100% recycled' in html
