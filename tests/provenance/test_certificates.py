"""Tamper evidence, signed and EPCIS exports, ownership and the public certificate page."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from provenance import services, signing
from provenance.models import Certificate, OwnershipHandover, TraceEvent
from provenance.pseudonyms import owner_commitment, owner_label
from provenance.services.transparency import checkpoint_publish
from tests import factories
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def _raw_update(table: str, column: str, value, pk: int) -> None:
    """Alter a stored row behind the application's back, as an intruder with SQL would."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE id = %s",  # noqa: S608
            [value, pk],
        )


def _long_chain(artisan, listing, count: int):
    office = factories.PartyFactory(kind="assay_office")
    for n in range(count):
        services.piece_hallmark(
            actor=artisan.user,
            listing=listing,
            assay_office=office,
            note=f"re-assay {n}",
            occurred_at=timezone.now() - timedelta(days=9) + timedelta(minutes=n),
        )


# --- Tamper evidence --------------------------------------------------------------------


def test_an_untouched_chain_verifies(piece):
    listing, _lot = piece
    result = services.provenance_verify(listing)
    # Origin, transfer, making, and the claims recorded with the certificate.
    assert (result.ok, result.checked, result.first_broken) == (True, 4, None)


def test_a_raw_sql_edit_of_an_event_breaks_verification_at_that_event(piece):
    listing, _lot = piece
    fabrication = TraceEvent.objects.get(kind="transformation")
    _raw_update("provenance_traceevent", "loss_grams", "0.100", fabrication.pk)
    result = services.provenance_verify(listing)
    assert not result.ok
    assert result.first_broken == fabrication
    assert "no longer matches its hash" in result.reason


def test_a_raw_sql_edit_of_a_lot_names_the_first_event_that_carries_it(piece):
    listing, lot = piece
    _raw_update("provenance_materiallot", "origin_type", "mined", lot.pk)
    result = services.provenance_verify(listing)
    assert not result.ok
    assert result.first_broken == TraceEvent.objects.get(kind="origin")


def test_rewriting_an_events_hash_too_is_caught_by_the_next_link(piece):
    listing, _lot = piece
    transfer = TraceEvent.objects.get(kind="transfer")
    _raw_update("provenance_traceevent", "note", "forged", transfer.pk)
    transfer.refresh_from_db()
    from provenance.services.chain import chain_events, content_hash, event_content

    forged = next(e for e in chain_events(listing) if e.pk == transfer.pk)
    new_hash = content_hash(
        event_content(
            forged, forged.loaded_items, [h for _p, h in forged.loaded_parents]
        )
    )
    _raw_update("provenance_traceevent", "hash", new_hash, transfer.pk)
    # The chain alone breaks at the next link, which still names the old hash ...
    from provenance.services.chain import verify_events

    chain_only = verify_events(chain_events(listing))
    assert chain_only.first_broken == TraceEvent.objects.get(kind="transformation")
    # ... and against the log, the rewritten event itself is named, with its field.
    result = services.provenance_verify(listing)
    assert not result.ok and result.first_broken == transfer
    assert "changed since it was logged: note" in result.reason


def test_the_certificate_page_warns_and_names_the_first_broken_link(client, piece):
    listing, _lot = piece
    fabrication = TraceEvent.objects.get(kind="transformation")
    _raw_update("provenance_traceevent", "process", "machine-made", fabrication.pk)
    response = client.get(listing.certificate.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert "Chain does not verify" in page
    assert fabrication.short_hash in page
    assert "Chain verified" not in page


# --- The public certificate -------------------------------------------------------------


def test_certificate_issue_is_idempotent_with_a_short_unambiguous_code(piece, buyer):
    listing, _lot = piece
    first = services.certificate_issue(listing=listing)
    again = services.certificate_issue(listing=listing, owner=buyer)
    assert first == again and Certificate.objects.count() == 1
    assert len(first.code) == 10 and not set(first.code) & set("01OIL")


def test_anyone_can_open_the_certificate_and_see_what_it_shows(client, piece, artisan):
    listing, _lot = piece
    factories.MakerMarkFactory(artisan=artisan, text="KB")
    factories.HallmarkRecordFactory(listing=listing, date_letter="z")
    services.piece_claims_record(listing=listing, reason="A hallmark was recorded.")
    response = client.get(
        reverse("provenance:certificate-detail", args=[listing.certificate.code])
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Chain verified" in page
    assert artisan.public_name in page
    assert "KB" in page  # maker's mark
    assert "date letter “z”" in page  # hallmark
    assert "100% recycled" in page
    assert "Declared by the artisan" in page  # assurance levels on claims
    assert 'src="/certificates/' in page  # QR code


def test_a_draft_piece_has_no_public_certificate(client, artisan):
    listing = factories.ListingFactory(artisan=artisan)
    certificate = services.certificate_issue(listing=listing)
    assert client.get(certificate.get_absolute_url()).status_code == 404
    assert client.get("/certificates/NOSUCHCODE/").status_code == 404


def test_the_qr_code_is_an_svg_of_the_certificate_address(client, piece):
    listing, _lot = piece
    response = client.get(
        reverse("provenance:certificate-qr", args=[listing.certificate.code])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.lstrip().startswith(b"<?xml") or b"<svg" in response.content


def test_the_certificate_page_uses_queries_independent_of_chain_length(
    client, artisan, django_assert_max_num_queries
):
    listing, _lot = factories.fabricated_piece(artisan)
    url = listing.certificate.get_absolute_url()
    with django_assert_max_num_queries(14) as short:
        assert client.get(url).status_code == 200
    _long_chain(artisan, listing, 47)
    assert TraceEvent.objects.for_chain(listing).count() == 51
    with django_assert_max_num_queries(len(short.captured_queries)) as long:
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("timeline__event--assay") == 47
    assert len(long.captured_queries) == len(short.captured_queries)


def test_the_export_api_uses_queries_independent_of_chain_length(
    client, artisan, django_assert_max_num_queries
):
    listing, _lot = factories.fabricated_piece(artisan)
    url = reverse("api:certificate-detail", args=[listing.certificate.code])
    # As each commit's integration and the scheduled job would have: the log holds
    # the chain's leaves and a checkpoint covers them.
    checkpoint_publish()
    # The chain (3), its leaves in the log, the claims with their evidence and
    # decisions, the key set, the log's proofs: none grows with it.
    with django_assert_max_num_queries(20) as short:
        assert client.get(url).status_code == 200
    _long_chain(artisan, listing, 47)
    checkpoint_publish()
    with django_assert_max_num_queries(len(short.captured_queries)):
        response = client.get(url)
    events = response.json()["payload"]["events"]
    assert len(events) == 51 and all(e["log"]["inclusion_proof"] for e in events)


# --- Signed export ----------------------------------------------------------------------


def _export(client, listing) -> dict:
    response = client.get(
        reverse("api:certificate-detail", args=[listing.certificate.code])
    )
    assert response.status_code == 200
    return response.json()


def test_the_export_is_signed_with_the_published_public_key(client, piece):
    listing, _lot = piece
    document = _export(client, listing)
    published = client.get(reverse("api:certificate-public-key")).json()
    public_key = signing.load_public_key(published["public_key_pem"])
    assert document["signature"]["key_id"] == published["key_id"]
    assert signing.verify_signature(document, public_key)
    assert document["payload"]["chain"]["verified"] is True


def test_verify_certificate_accepts_an_intact_export(client, piece, tmp_path, capsys):
    listing, _lot = piece
    export = tmp_path / "certificate.json"
    export.write_text(json.dumps(_export(client, listing)))
    key = tmp_path / "touchstone.pem"
    key.write_text(
        client.get(reverse("api:certificate-public-key")).json()["public_key_pem"]
    )
    call_command("verify_certificate", str(export), "--public-key", str(key))
    assert "OK: certificate" in capsys.readouterr().out


def test_a_one_byte_change_to_the_export_is_detected(client, piece, tmp_path):
    listing, _lot = piece
    raw = json.dumps(_export(client, listing)).encode()
    position = raw.index(b'"loss_grams": "0.400"') + len(b'"loss_grams": "0.')
    changed = raw[:position] + b"3" + raw[position + 1 :]
    assert len(changed) == len(raw) and changed != raw
    export = tmp_path / "certificate.json"
    export.write_bytes(changed)
    with pytest.raises(CommandError) as error:
        call_command("verify_certificate", str(export))
    assert "signature does not match" in str(error.value)
    assert "chain does not verify" in str(error.value)


def test_an_export_signed_with_another_key_is_rejected(client, piece, tmp_path):
    listing, _lot = piece
    export = tmp_path / "certificate.json"
    export.write_text(json.dumps(_export(client, listing)))
    other = signing.load_public_key(
        signing.public_key_pem(
            signing._load_private_key(signing.generate_private_key_pem()).public_key()
        )
    )
    key = tmp_path / "other.pem"
    key.write_text(signing.public_key_pem(other))
    with pytest.raises(CommandError):
        call_command("verify_certificate", str(export), "--public-key", str(key))


def test_a_broken_chain_is_reported_by_the_offline_check(client, piece, tmp_path):
    listing, _lot = piece
    fabrication = TraceEvent.objects.get(kind="transformation")
    _raw_update("provenance_traceevent", "note", "edited", fabrication.pk)
    document = _export(client, listing)
    assert document["payload"]["chain"]["first_broken"] == fabrication.hash
    export = tmp_path / "certificate.json"
    export.write_text(json.dumps(document))
    with pytest.raises(CommandError) as error:
        call_command("verify_certificate", str(export))
    # The signature is honest about a broken chain; the chain itself fails.
    assert "signature ok" in str(error.value)
    assert "chain does not verify" in str(error.value)


# --- EPCIS ------------------------------------------------------------------------------


def test_the_epcis_export_is_an_epcis_2_document(client, artisan, piece):
    listing, _lot = piece
    office = factories.PartyFactory(kind="assay_office")
    services.piece_hallmark(actor=artisan.user, listing=listing, assay_office=office)
    response = client.get(
        reverse("api:certificate-epcis", args=[listing.certificate.code])
    )
    assert response.status_code == 200
    document = response.json()
    assert document["type"] == "EPCISDocument"
    assert document["schemaVersion"] == "2.0"
    assert "epcis-context.jsonld" in document["@context"][0]
    events = document["epcisBody"]["eventList"]
    assert [e["type"] for e in events] == [
        "ObjectEvent",
        "ObjectEvent",
        "TransformationEvent",
        "ObjectEvent",
        "ObjectEvent",
    ]
    origin, transfer, transformation, _claims, assay = events
    for event in events:
        assert event["eventTime"].endswith("Z")
        assert event["eventTimeZoneOffset"] == "+00:00"
        assert event["eventID"].startswith("ni:///sha-256;")
        assert event["eventID"].endswith("?ver=CBV2.0")
    assert origin["bizStep"] == "commissioning" and origin["action"] == "ADD"
    assert origin["quantityList"][0]["uom"] == "GRM"
    assert transfer["bizStep"] == "receiving"
    assert transfer["sourceList"] and transfer["destinationList"]
    assert transformation["bizStep"] == "assembling"
    assert transformation["inputQuantityList"] == [
        {"epcClass": f"urn:touchstone:lot:{_lot.pk}", "quantity": 8.9, "uom": "GRM"}
    ]
    assert transformation["outputEPCList"] == [f"urn:touchstone:piece:{listing.pk}"]
    assert assay["bizStep"] == "inspecting" and assay["action"] == "OBSERVE"


# --- Ownership --------------------------------------------------------------------------


@pytest.fixture
def buyer(db):
    return factories.UserFactory(username="newowner")


def test_hand_over_and_claim_records_an_ownership_event(client, artisan, piece, buyer):
    listing, _lot = piece
    certificate = listing.certificate
    code = services.ownership_handover_start(
        actor=artisan.user, certificate=certificate
    )
    services.ownership_claim(actor=buyer, code=code)
    certificate.refresh_from_db()
    assert certificate.owner == buyer
    event = TraceEvent.objects.for_chain(listing).get(kind="ownership")
    assert event.owner_commitment == owner_commitment(buyer.pk, listing.pk)
    assert services.provenance_verify(listing).ok
    page = client.get(certificate.get_absolute_url()).content.decode()
    assert owner_label(event.owner_commitment) in page
    assert buyer.username not in page


def test_a_claim_code_works_once(artisan, piece, buyer):
    listing, _lot = piece
    code = services.ownership_handover_start(
        actor=artisan.user, certificate=listing.certificate
    )
    services.ownership_claim(actor=buyer, code=code)
    with pytest.raises(services.chain.ValidationError):
        services.ownership_claim(actor=factories.UserFactory(), code=code)
    listing.certificate.refresh_from_db()
    assert listing.certificate.owner == buyer


def test_a_wrong_or_expired_claim_code_is_rejected(artisan, piece, buyer):
    listing, _lot = piece
    code = services.ownership_handover_start(
        actor=artisan.user, certificate=listing.certificate
    )
    with pytest.raises(services.chain.ValidationError):
        services.ownership_claim(actor=buyer, code="WRONG" + code[5:])
    OwnershipHandover.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(services.chain.ValidationError):
        services.ownership_claim(actor=buyer, code=code)
    assert not TraceEvent.objects.filter(kind="ownership").exists()


def test_only_the_owner_can_hand_over(artisan, piece, buyer):
    listing, _lot = piece
    with pytest.raises(services.chain.PermissionDenied):
        services.ownership_handover_start(actor=buyer, certificate=listing.certificate)
    code = services.ownership_handover_start(
        actor=artisan.user, certificate=listing.certificate
    )
    services.ownership_claim(actor=buyer, code=code)
    # Once sold, the maker can no longer hand the piece over; the new owner can.
    with pytest.raises(services.chain.PermissionDenied):
        services.ownership_handover_start(
            actor=artisan.user, certificate=listing.certificate
        )
    assert services.ownership_handover_start(
        actor=buyer, certificate=listing.certificate
    )


def test_a_new_hand_over_cancels_the_previous_code(artisan, piece, buyer):
    listing, _lot = piece
    old = services.ownership_handover_start(
        actor=artisan.user, certificate=listing.certificate
    )
    services.ownership_handover_start(
        actor=artisan.user, certificate=listing.certificate
    )
    with pytest.raises(services.chain.ValidationError):
        services.ownership_claim(actor=buyer, code=old)


def test_hand_over_and_claim_over_the_api(artisan, piece, buyer, api_client):
    listing, _lot = piece
    url = reverse("api:certificate-hand-over", args=[listing.certificate.code])
    assert api_client.post(url).status_code == 401
    assert api_client_for(buyer).post(url).status_code == 404
    response = api_client_for(artisan.user).post(url)
    assert response.status_code == 201
    code = response.json()["claim_code"]
    claim = reverse("api:certificate-claim")
    bad = api_client_for(buyer).post(claim, {"code": "NOTACODE"}, format="json")
    assert bad.status_code == 400 and "code" in bad.json()
    good = api_client_for(buyer).post(claim, {"code": code}, format="json")
    assert good.status_code == 200
    assert good.json()["owner"] == owner_label(owner_commitment(buyer.pk, listing.pk))
    again = api_client_for(buyer).post(claim, {"code": code}, format="json")
    assert again.status_code == 400


def test_hand_over_and_claim_in_the_browser_pages(client, artisan, piece, buyer):
    listing, _lot = piece
    certificate = listing.certificate
    client.force_login(buyer)
    assert (
        client.post(
            reverse("provenance:ownership-handover", args=[certificate.code])
        ).status_code
        == 404
    )
    client.force_login(artisan.user)
    response = client.post(
        reverse("provenance:ownership-handover", args=[certificate.code]), follow=True
    )
    code = OwnershipHandover.objects.get()
    assert "Claim code for the new owner" in response.content.decode()
    shown = response.content.decode().split(
        "Claim code for the new owner: <strong><code>"
    )[1][:12]
    assert code.code_hash != shown
    client.force_login(buyer)
    bad = client.post(reverse("provenance:ownership-claim"), {"code": "nope"})
    assert bad.status_code == 200 and "not valid" in bad.content.decode()
    good = client.post(reverse("provenance:ownership-claim"), {"code": shown})
    assert good.status_code == 302
    certificate.refresh_from_db()
    assert certificate.owner == buyer


def test_owner_commitments_are_per_piece_full_length_and_never_the_username(buyer):
    other = factories.UserFactory()
    first, second = factories.ListingFactory(), factories.ListingFactory()
    commitment = owner_commitment(buyer.pk, first.pk)
    assert commitment == owner_commitment(buyer.pk, first.pk)
    assert len(commitment) == 64 and int(commitment, 16) >= 0  # 256 bits
    # Unlinkable: the same buyer's pieces carry unrelated commitments and labels.
    assert commitment != owner_commitment(buyer.pk, second.pk)
    assert owner_label(commitment) != owner_label(owner_commitment(buyer.pk, second.pk))
    assert commitment != owner_commitment(other.pk, first.pk)
    assert buyer.username not in owner_label(commitment)
    assert owner_label(commitment).startswith("Owner ")


def test_decimal_masses_are_hashed_with_fixed_formatting(artisan):
    listing = factories.ListingFactory(artisan=artisan, published=True)
    factories.MetalComponentFactory(listing=listing, weight_grams=Decimal("8.5"))
    lot = factories.recycled_silver_lot(artisan, grams="100")
    services.piece_fabricate(
        actor=artisan.user,
        listing=listing,
        inputs=[(lot, Decimal("8.9"))],
        loss_grams=Decimal("0.4"),
        occurred_at=timezone.now() - timedelta(days=1),
    )
    assert services.provenance_verify(listing).ok


def test_without_a_signing_key_the_export_is_a_503_not_a_500(client, piece, settings):
    listing, _lot = piece
    settings.TOUCHSTONE_SIGNING_KEY = ""
    response = client.get(
        reverse("api:certificate-detail", args=[listing.certificate.code])
    )
    assert response.status_code == 503 and "not configured" in response.json()["detail"]
    assert client.get(reverse("api:certificate-public-key")).status_code == 503


def test_the_chain_verdict_is_recorded_for_filters(client, piece):
    listing, _lot = piece
    certificate = Certificate.objects.get(listing=listing)
    assert certificate.chain_verified is True
    fabrication = TraceEvent.objects.get(kind="transformation")
    _raw_update("provenance_traceevent", "note", "edited", fabrication.pk)
    call_command("verify_chains")
    certificate.refresh_from_db()
    assert certificate.chain_verified is False
    _raw_update("provenance_traceevent", "note", "", fabrication.pk)
    client.get(certificate.get_absolute_url())  # recomputed on view
    certificate.refresh_from_db()
    assert certificate.chain_verified is True
