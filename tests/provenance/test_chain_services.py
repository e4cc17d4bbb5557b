"""Service tests for each rule of the origin chain."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from marketplace.catalogue.services.listings import (
    hallmark_record_remove,
    hallmark_record_update,
)
from provenance import services
from provenance.models import (
    ChainMembership,
    EventItem,
    EventLink,
    MaterialLot,
    TraceEvent,
)
from provenance.selectors.chain import lot_list
from provenance.services.chain import chain_events, mass_tolerance, recycled_shares
from tests import factories

pytestmark = pytest.mark.django_db

D = Decimal


def _listing(artisan, *components):
    listing = factories.ListingFactory(artisan=artisan, published=True)
    for metal, fineness, grams in components or (("silver", 925, "8.500"),):
        factories.MetalComponentFactory(
            listing=listing, metal=metal, fineness=fineness, weight_grams=D(grams)
        )
    return listing


def _fabricate(artisan, listing, inputs, loss="0.400", **kwargs):
    return services.piece_fabricate(
        actor=artisan.user,
        listing=listing,
        inputs=inputs,
        loss_grams=D(loss),
        occurred_at=kwargs.pop("occurred_at", timezone.now() - timedelta(days=5)),
        **kwargs,
    )


# --- Purchases -------------------------------------------------------------------------


def test_a_purchase_records_the_origin_and_the_transfer_into_the_workshop(artisan):
    lot = factories.recycled_silver_lot(artisan, grams="120")
    kinds = list(
        TraceEvent.objects.filter(items__lot=lot)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["origin", "transfer"]
    assert lot.custodian == services.workshop_party_for(artisan)
    assert lot_list(user=artisan.user).get().remaining_grams == D("120.000")


def test_only_an_artisan_can_record_a_purchase(user):
    with pytest.raises(PermissionDenied):
        services.lot_purchase(
            actor=user,
            supplier=factories.PartyFactory(),
            reference="X",
            material="metal",
            metal="silver",
            fineness=925,
            mass_grams=D("10"),
            origin_type="mined",
        )
    assert not MaterialLot.objects.exists()


def test_a_non_standard_fineness_is_refused_next_to_the_field(artisan):
    with pytest.raises(ValidationError) as error:
        factories.recycled_silver_lot(artisan, fineness=926)
    assert "fineness" in error.value.message_dict
    assert not MaterialLot.objects.exists() and not TraceEvent.objects.exists()


# --- Mass balance and allocation -------------------------------------------------------


def test_fabrication_consumes_grams_and_leaves_the_rest_on_the_lot(artisan):
    lot = factories.recycled_silver_lot(artisan, grams="100")
    event = _fabricate(artisan, _listing(artisan), [(lot, D("8.900"))])
    assert event.kind == "transformation"
    assert lot_list(user=artisan.user).get().remaining_grams == D("91.100")


def test_a_lot_is_never_allocated_beyond_its_mass(artisan):
    lot = factories.recycled_silver_lot(artisan, grams="10")
    _fabricate(artisan, _listing(artisan), [(lot, D("8.900"))])
    second = _listing(artisan)
    with pytest.raises(ValidationError) as error:
        _fabricate(artisan, second, [(lot, D("8.900"))])
    assert "1.100 g left" in str(error.value)
    assert not ChainMembership.objects.filter(listing=second).exists()


def test_mass_balance_inputs_must_equal_piece_plus_loss(artisan):
    lot = factories.recycled_silver_lot(artisan, grams="100")
    listing = _listing(artisan)
    with pytest.raises(ValidationError) as error:
        # 12 g in, 8.5 g piece, 0.4 g loss: 3.1 g unaccounted for.
        _fabricate(artisan, listing, [(lot, D("12"))])
    assert "loss_grams" in error.value.message_dict
    assert not EventItem.objects.filter(role="input").exists()


def test_mass_balance_accepts_a_difference_within_the_stated_tolerance(artisan):
    assert mass_tolerance(D("8.9")) == D("0.050")
    assert mass_tolerance(D("100")) == D("0.500")
    lot = factories.recycled_silver_lot(artisan, grams="100")
    _fabricate(artisan, _listing(artisan), [(lot, D("8.940"))])


def test_fine_metal_out_cannot_exceed_fine_metal_in_per_metal(artisan):
    # 9 g of 800 silver holds 7.2 g fine; a 925 piece of 8.5 g holds 7.86 g.
    lot = factories.recycled_silver_lot(artisan, grams="50", fineness=800)
    with pytest.raises(ValidationError) as error:
        _fabricate(artisan, _listing(artisan), [(lot, D("8.900"))])
    assert "fine silver" in str(error.value)


def test_a_gold_piece_cannot_be_made_from_silver(artisan):
    lot = factories.recycled_silver_lot(artisan, grams="50")
    listing = _listing(artisan, ("gold", 750, "5.000"))
    with pytest.raises(ValidationError) as error:
        _fabricate(artisan, listing, [(lot, D("5.100"))], loss="0.100")
    assert "fine gold" in str(error.value)


def test_a_piece_is_fabricated_once_then_repaired_or_corrected(artisan):
    lot = factories.recycled_silver_lot(artisan, grams="100")
    listing = _listing(artisan)
    _fabricate(artisan, listing, [(lot, D("8.900"))])
    with pytest.raises(ValidationError):
        _fabricate(artisan, listing, [(lot, D("8.900"))])


# --- Custody ----------------------------------------------------------------------------


def test_only_the_current_custodian_transforms_a_lot(artisan):
    lot = factories.recycled_silver_lot(artisan, grams="100")
    refiner = factories.PartyFactory(kind="refiner")
    services.lot_transfer(actor=artisan.user, lot=lot, to_party=refiner)
    with pytest.raises(ValidationError) as error:
        _fabricate(
            artisan, _listing(artisan), [(lot, D("8.900"))], occurred_at=timezone.now()
        )
    assert "only its current custodian" in str(error.value)


def test_only_the_current_custodian_transfers_a_lot(artisan):
    lot = factories.recycled_silver_lot(artisan, grams="100")
    refiner = factories.PartyFactory(kind="refiner")
    services.lot_transfer(actor=artisan.user, lot=lot, to_party=refiner)
    with pytest.raises(ValidationError):
        services.lot_transfer(
            actor=artisan.user, lot=lot, to_party=factories.PartyFactory()
        )
    assert TraceEvent.objects.filter(kind="transfer").count() == 2


def test_another_artisan_cannot_use_my_lot(artisan, other_artisan):
    lot = factories.recycled_silver_lot(artisan, grams="100")
    with pytest.raises(ValidationError) as error:
        _fabricate(other_artisan, _listing(other_artisan), [(lot, D("8.900"))])
    assert "No such lot" in str(error.value)
    with pytest.raises(ValidationError):
        services.lot_transfer(
            actor=other_artisan.user, lot=lot, to_party=factories.PartyFactory()
        )
    assert lot_list(user=other_artisan.user).count() == 0


def test_an_artisan_cannot_record_the_making_of_another_artisans_piece(
    artisan, other_artisan
):
    lot = factories.recycled_silver_lot(artisan, grams="100")
    with pytest.raises(ValidationError) as error:
        _fabricate(artisan, _listing(other_artisan), [(lot, D("8.900"))])
    assert "listing" in error.value.message_dict


# --- Time order and the shape of the graph ----------------------------------------------


def test_inputs_must_exist_before_their_event(artisan):
    lot = factories.recycled_silver_lot(
        artisan, purchased_at=timezone.now() - timedelta(days=3)
    )
    with pytest.raises(ValidationError) as error:
        _fabricate(
            artisan,
            _listing(artisan),
            [(lot, D("8.900"))],
            occurred_at=timezone.now() - timedelta(days=10),
        )
    assert "must exist before it" in str(error.value)


def test_events_cannot_be_in_the_future(artisan):
    with pytest.raises(ValidationError):
        factories.recycled_silver_lot(
            artisan, purchased_at=timezone.now() + timedelta(days=2)
        )


def test_the_graph_is_acyclic_every_link_points_to_an_earlier_event(piece):
    _listing, _lot = piece
    for link in EventLink.objects.select_related("event", "parent"):
        assert link.parent_id < link.event_id
        assert link.parent.occurred_at <= link.event.occurred_at


def test_a_link_that_closes_a_cycle_breaks_verification(piece):
    listing, _lot = piece
    first, *_rest, last = TraceEvent.objects.for_chain(listing).order_by("id")
    EventLink.objects.create(event=first, parent=last)  # behind the services' back
    result = services.provenance_verify(listing)
    assert not result.ok
    assert result.first_broken == first
    assert "recorded after it" in result.reason


# --- Certifications ---------------------------------------------------------------------


def test_a_certification_must_be_valid_on_the_date_of_the_event(artisan):
    expired = factories.CertificationFactory(
        artisan=artisan,
        issued_on=timezone.now().date() - timedelta(days=800),
        valid_until=timezone.now().date() - timedelta(days=400),
    )
    with pytest.raises(ValidationError) as error:
        factories.recycled_silver_lot(artisan, certification=expired)
    assert "certification" in error.value.message_dict
    assert not MaterialLot.objects.exists()
    lot = factories.recycled_silver_lot(artisan)
    with pytest.raises(ValidationError):
        services.certification_attach(
            actor=artisan.user, certification=expired, lot=lot
        )


def test_a_valid_certification_is_recorded_with_its_lot(artisan):
    certification = factories.CertificationFactory(artisan=artisan)
    lot = factories.recycled_silver_lot(artisan, certification=certification)
    origin = TraceEvent.objects.get(items__lot=lot, kind="origin")
    assert origin.certification == certification
    assert list(lot.certifications.all()) == [certification]


def test_a_certification_is_not_valid_before_it_is_issued(artisan):
    certification = factories.CertificationFactory(
        artisan=artisan, issued_on=timezone.now().date() - timedelta(days=2)
    )
    with pytest.raises(ValidationError):
        factories.recycled_silver_lot(
            artisan,
            certification=certification,
            purchased_at=timezone.now() - timedelta(days=30),
        )


def test_another_artisans_certification_cannot_be_used(artisan, other_artisan):
    theirs = factories.CertificationFactory(artisan=other_artisan)
    with pytest.raises(ValidationError):
        factories.recycled_silver_lot(artisan, certification=theirs)


# --- Recycled share ---------------------------------------------------------------------


def test_recycled_share_is_derived_from_fine_mass_weighted_inputs(artisan):
    recycled = factories.recycled_silver_lot(artisan, grams="50", reference="R")
    mined = factories.recycled_silver_lot(
        artisan, grams="50", origin_type="mined", origin_country="MX", reference="M"
    )
    listing = _listing(artisan, ("silver", 925, "10.000"))
    _fabricate(
        artisan, listing, [(recycled, D("7.500")), (mined, D("2.500"))], loss="0"
    )
    silver = recycled_shares(listing, chain_events(listing))["silver"]
    assert silver.recycled_percent == 75
    assert not silver.fully_recycled
    assert silver.countries == {"GB", "MX"}


def test_100_percent_recycled_only_when_every_input_is(piece):
    listing, _lot = piece
    silver = recycled_shares(listing, chain_events(listing))["silver"]
    assert silver.fully_recycled and silver.recycled_percent == 100


# --- Append-only and corrections --------------------------------------------------------


def test_there_is_no_update_or_delete_service_for_events():
    names = [name for name in dir(services) if "event" in name]
    assert not [n for n in names if n.endswith(("_update", "_delete", "_edit"))]


def test_a_correction_references_the_event_and_joins_the_pieces_chain(artisan, piece):
    listing, lot = piece
    origin = TraceEvent.objects.get(items__lot=lot, kind="origin")
    correction = services.event_correct(
        actor=artisan.user, event=origin, note="The supplier's bar number was R-118."
    )
    assert correction.corrects == origin
    assert TraceEvent.objects.for_chain(listing).filter(pk=correction.pk).exists()
    origin.refresh_from_db()
    assert origin.note == ""  # history untouched
    assert services.provenance_verify(listing).ok


def test_a_correction_needs_a_note_and_my_own_event(artisan, other_artisan, piece):
    _listing, lot = piece
    origin = TraceEvent.objects.get(items__lot=lot, kind="origin")
    with pytest.raises(ValidationError):
        services.event_correct(actor=artisan.user, event=origin, note="  ")
    with pytest.raises(ValidationError):
        services.event_correct(actor=other_artisan.user, event=origin, note="mine now")


# --- Hallmarking and verification -------------------------------------------------------


def test_hallmarking_extends_the_chain_and_it_still_verifies(artisan, piece):
    listing, _lot = piece
    office = factories.PartyFactory(kind="assay_office", name="London Assay Office")
    hallmark = factories.HallmarkRecordFactory(listing=listing)
    event = services.piece_hallmark(
        actor=artisan.user, listing=listing, assay_office=office, hallmark=hallmark
    )
    result = services.provenance_verify(listing)
    # Origin, transfer, making, claims; the assay, and the claims naming its hallmark.
    assert result.ok and result.checked == 6
    newest = TraceEvent.objects.for_chain(listing).order_by("-id")[:2]
    assert [e.kind for e in newest] == ["claims", "assay"] and newest[1] == event
    assert newest[0].details["claims"]["hallmarks"][0]["id"] == hallmark.pk


def test_hallmarking_needs_an_assay_office_and_a_made_piece(artisan):
    listing = _listing(artisan)
    office = factories.PartyFactory(kind="assay_office")
    with pytest.raises(ValidationError):
        services.piece_hallmark(
            actor=artisan.user, listing=listing, assay_office=office
        )
    lot = factories.recycled_silver_lot(artisan)
    _fabricate(artisan, listing, [(lot, D("8.900"))])
    with pytest.raises(ValidationError):
        services.piece_hallmark(
            actor=artisan.user, listing=listing, assay_office=factories.PartyFactory()
        )


def test_lots_and_events_go_through_the_shared_verification_workflow(
    artisan, verifier, piece
):
    _listing, lot = piece
    services.claim_submit(record=lot, actor=artisan.user)
    services.claim_transition(record=lot, actor=verifier, action="verify")
    lot.refresh_from_db()
    assert lot.assurance_level == "verified"
    event = TraceEvent.objects.get(items__lot=lot, kind="origin")
    services.claim_submit(record=event, actor=artisan.user)
    with pytest.raises(PermissionDenied):
        services.claim_transition(record=event, actor=artisan.user, action="verify")


def test_an_assayed_hallmark_is_frozen_and_an_edit_behind_its_back_is_named(
    artisan, piece
):
    listing, _lot = piece
    office = factories.PartyFactory(kind="assay_office")
    hallmark = factories.HallmarkRecordFactory(listing=listing, date_letter="a")
    event = services.piece_hallmark(
        actor=artisan.user, listing=listing, assay_office=office, hallmark=hallmark
    )
    assert services.provenance_verify(listing).ok
    with pytest.raises(ValidationError, match="new assay"):
        hallmark_record_update(record=hallmark, actor=artisan.user, date_letter="b")
    with pytest.raises(ValidationError, match="new assay"):
        hallmark_record_remove(record=hallmark, actor=artisan.user)
    hallmark.date_letter = "b"
    hallmark.save()
    result = services.provenance_verify(listing)
    assert not result.ok and "hallmarks[0].date_letter" in result.reason
    assert event.details["hallmark"]["date_letter"] == "a"


def test_pieces_from_the_same_lot_keep_independent_chains(artisan):
    lot = factories.recycled_silver_lot(artisan, grams="100")
    first, second = _listing(artisan), _listing(artisan)
    made_first = _fabricate(artisan, first, [(lot, D("8.900"))])
    _fabricate(artisan, second, [(lot, D("8.900"))])
    services.lot_transfer(
        actor=artisan.user, lot=lot, to_party=factories.PartyFactory(kind="refiner")
    )
    # Origin, transfer, making and claims: the later transfer joins neither piece.
    assert TraceEvent.objects.for_chain(first).count() == 4
    assert TraceEvent.objects.for_chain(second).count() == 4
    TraceEvent.objects.filter(pk=made_first.pk).update(note="edited")
    assert not services.provenance_verify(first).ok
    assert services.provenance_verify(second).ok


def test_a_correction_of_a_lot_event_joins_every_piece_made_from_it(artisan):
    lot = factories.recycled_silver_lot(artisan, grams="100")
    first, second = _listing(artisan), _listing(artisan)
    _fabricate(artisan, first, [(lot, D("8.900"))])
    _fabricate(artisan, second, [(lot, D("8.900"))])
    origin = TraceEvent.objects.get(items__lot=lot, kind="origin")
    correction = services.event_correct(
        actor=artisan.user, event=origin, note="Refined in Hoboken, not Antwerp."
    )
    for piece in (first, second):
        assert TraceEvent.objects.for_chain(piece).filter(pk=correction.pk).exists()
        assert services.provenance_verify(piece).ok


def test_a_piece_made_after_a_correction_carries_the_lots_whole_history(artisan):
    lot = factories.recycled_silver_lot(
        artisan, grams="100", purchased_at=timezone.now() - timedelta(days=9)
    )
    origin = TraceEvent.objects.get(items__lot=lot, kind="origin")
    services.event_correct(
        actor=artisan.user,
        event=origin,
        note="Refined in Hoboken.",
        occurred_at=timezone.now() - timedelta(days=8),
    )
    listing = _listing(artisan)
    _fabricate(artisan, listing, [(lot, D("8.900"))])
    kinds = list(
        TraceEvent.objects.for_chain(listing)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["origin", "transfer", "correction", "transformation", "claims"]
    assert services.provenance_verify(listing).ok


def test_a_tiny_unrecycled_input_never_shows_as_100_percent(artisan):
    recycled = factories.recycled_silver_lot(artisan, grams="50", reference="R")
    mined = factories.recycled_silver_lot(
        artisan, grams="50", origin_type="mined", reference="M"
    )
    listing = _listing(artisan, ("silver", 925, "20.000"))
    _fabricate(
        artisan, listing, [(recycled, D("19.950")), (mined, D("0.050"))], loss="0"
    )
    silver = recycled_shares(listing, chain_events(listing))["silver"]
    assert silver.recycled_percent == 99 and not silver.fully_recycled


def test_appending_to_a_long_chain_costs_what_it_costs_on_a_short_one(artisan):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lot = factories.recycled_silver_lot(artisan, grams="100")
    listing = _listing(artisan)
    _fabricate(artisan, listing, [(lot, D("8.900"))])
    start = timezone.now() - timedelta(days=4)

    def repair(n):
        with CaptureQueriesContext(connection) as captured:
            services.piece_repair(
                actor=artisan.user,
                listing=listing,
                occurred_at=start + timedelta(hours=n),
                note=f"Repair {n}",
            )
        return len(captured)

    first = repair(0)
    for n in range(1, 20):
        repair(n)
    assert repair(20) == first
    # And the chain still holds everything upstream: the lot's origin and transfer too.
    chain = set(
        ChainMembership.objects.filter(listing=listing).values_list("event", flat=True)
    )
    assert chain == set(TraceEvent.objects.values_list("pk", flat=True))
