"""Origin chains in benchmark datasets, and the chain-verification micro-benchmark.

Chains for a share of pieces are recorded through the provenance services (a purchase,
a fabrication, a hallmarking), exactly as an artisan would record them. The 1,000-event
chain for ``provenance_verify`` starts the same way and is then extended with repair
events written in bulk, each hashed with ``provenance.hashing``'s ``event_content`` and
``content_hash`` and appended to the transparency log; the generator checks that the
finished chain verifies.

Every function returns None when the provenance models are not in this build.
"""

from __future__ import annotations

import hashlib
import random
import statistics
import time
import uuid
from datetime import timedelta
from decimal import Decimal

CHAIN_SHARE = 0.05  # of published pieces made of solid precious metal
CHAIN_CAP = 200  # recorded through the services, so bounded
LONG_CHAIN_SLUG = "bench-chain-1000"
GRAM = Decimal("0.001")


def available() -> bool:
    try:
        from provenance.services.chain import provenance_verify  # noqa: F401
    except ImportError:
        return False
    return True


def _verifier():
    """The dataset's verifier, who accepts the parties its chains name."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from marketplace.accounts.roles import VERIFIERS_GROUP

    user, _created = get_user_model().objects.get_or_create(
        username="bench-verifier", defaults={"email": "verifier@bench.test"}
    )
    user.groups.add(Group.objects.get_or_create(name=VERIFIERS_GROUP)[0])
    return user


def _parties(actor):
    """Parties proposed by ``actor`` and verified, so every artisan may name them."""
    from provenance.models import Party
    from provenance.models.verification import AWAITING_REVIEW
    from provenance.services.chain import party_create
    from provenance.services.verification import claim_transition

    specs = {
        "refiner": ("refiner", "Bench Refining Co.", "CH"),
        "recycler": ("recycler", "Bench Recyclers Ltd", "GB"),
        "mine": ("artisanal_mine", "Bench Artisanal Mine Cooperative", "PE"),
        "supplier": ("supplier", "Bench Bullion Supplies", "GB"),
        "assay": ("assay_office", "Bench Assay Office", "GB"),
    }
    verifier = _verifier()
    parties = {}
    for key, (kind, name, country) in specs.items():
        party = Party.objects.filter(name=name).first() or party_create(
            actor=actor, kind=kind, name=name, country=country
        )
        if party.verification_status in AWAITING_REVIEW:
            claim_transition(record=party, actor=verifier, action="verify")
            party.refresh_from_db()
        parties[key] = party
    return parties


def _record_piece(listing, parties, rng, *, now):
    """Purchase a lot per metal component, fabricate the piece, hallmark it if marked."""
    from provenance.services.chain import lot_purchase, piece_hallmark
    from provenance.services.events import piece_fabricate

    actor = listing.artisan.user
    # Within the backdating window (PROVENANCE_BACKDATE_DAYS): events recorded today.
    start = now - timedelta(days=rng.randint(40, 330))
    inputs, loss = [], Decimal("0")
    for component in listing.metals.all():
        recycled = rng.random() < 0.6
        lot_loss = (component.weight_grams * Decimal("0.04")).quantize(GRAM)
        grams = component.weight_grams + lot_loss
        lot = lot_purchase(
            actor=actor,
            supplier=parties["supplier"],
            reference=f"BENCH-{listing.pk}-{component.pk}",
            material="metal",
            mass_grams=(grams * Decimal("1.5")).quantize(GRAM),
            origin_type="recycled_post_consumer" if recycled else "artisanal_mined",
            origin_party=parties["recycler" if recycled else "mine"],
            metal=component.metal,
            fineness=component.fineness,
            origin_country="GB" if recycled else "PE",
            purchased_at=start,
        )
        inputs.append((lot, grams))
        loss += lot_loss
    piece_fabricate(
        actor=actor,
        listing=listing,
        inputs=inputs,
        loss_grams=loss,
        occurred_at=start + timedelta(days=10),
        process="casting",
    )
    hallmark = next(iter(listing.hallmarks.all()), None)
    if hallmark is not None:
        piece_hallmark(
            actor=actor,
            listing=listing,
            assay_office=parties["assay"],
            hallmark=hallmark,
            occurred_at=start + timedelta(days=14),
        )


def build_for_dataset(generator) -> dict | None:
    """Chains for a share of published solid-metal pieces, and the 1,000-event chain."""
    if not available():
        return None
    from django.db import transaction
    from django.db.models import Q
    from django.utils import timezone

    from marketplace.catalogue.models import Listing
    from provenance.models import TraceEvent

    if Listing.objects.filter(slug=LONG_CHAIN_SLUG).exists():
        generator.log("  chains already recorded")
        return None
    started = time.monotonic()
    rng = random.Random(f"chains-{generator.size.name}")
    now = timezone.now()
    candidates = (
        Listing.objects.published()
        .exclude(
            Q(metals__fineness__isnull=True)
            | ~Q(metals__construction__in=["solid", "hollow"])
        )
        .order_by("id")
    )
    total = candidates.count()
    wanted = min(CHAIN_CAP, max(1, int(total * CHAIN_SHARE)))
    step = max(1, total // wanted)
    ids = list(candidates.values_list("id", flat=True)[::step][:wanted])
    pieces = (
        Listing.objects.filter(id__in=ids)
        .select_related("artisan__user")
        .prefetch_related("metals", "hallmarks")
    )
    first = pieces[0].artisan.user if ids else generator.artisans[0].user
    parties = _parties(first)
    for listing in pieces:
        with transaction.atomic():
            _record_piece(listing, parties, rng, now=now)
    chained = len(ids)
    long_listing = build_long_chain(generator, parties)
    generator.log(
        f"  chains for {chained} pieces + a {generator.size.long_chain_events}-event "
        "chain "
        f"({time.monotonic() - started:.1f} s)"
    )
    return {
        "pieces_with_chains": chained,
        "trace_events": TraceEvent.objects.count(),
        "long_chain_events": TraceEvent.objects.for_chain(long_listing).count(),
    }


def build_long_chain(generator, parties):
    """A published silver piece whose chain holds ``long_chain_events`` events."""
    from django.db import transaction
    from django.utils import timezone

    from marketplace.catalogue.models import Listing, ListingPhoto, MetalComponent
    from provenance.hashing import content_hash, event_content
    from provenance.models import ChainMembership, EventItem, EventLink, TraceEvent
    from provenance.services.chain import chain_anchor_refresh, provenance_verify
    from provenance.services.transparency import log_event

    artisan = generator.artisans[0]
    now = timezone.now()
    with transaction.atomic():
        listing = Listing.objects.create(
            artisan=artisan,
            title="Thousand-repair sterling bangle",
            slug=LONG_CHAIN_SLUG,
            description="A bangle repaired at the bench, again and again.",
            category="bracelet",
            price=Decimal("240.00"),
            status="published",
            published_at=now - timedelta(days=800),
        )
        MetalComponent.objects.create(
            listing=listing,
            metal="silver",
            fineness=925,
            weight_grams=Decimal("20.000"),
        )
        ListingPhoto.objects.create(
            listing=listing,
            **generator.photo_files[0],
            alt_text="Sterling bangle, main view",
            role="main",
        )
        listing = Listing.objects.select_related("artisan__user").get(pk=listing.pk)
        # Purchase (2 events), fabrication and hallmarking through the services ...
        rng = random.Random("long-chain")
        _record_piece(listing, parties, rng, now=now)
        head = TraceEvent.objects.for_chain(listing).order_by("-id").first()
        existing = TraceEvent.objects.for_chain(listing).count()
        # ... then repairs, one a day, appended in bulk with the services' hashing.
        count = generator.size.long_chain_events - existing
        first_day = head.occurred_at + timedelta(hours=1)
        events = [
            TraceEvent(
                artisan=artisan,
                recorded_by=artisan.user,
                kind="repair",
                biz_step="repairing",
                occurred_at=first_day + timedelta(minutes=30 * i),
                note=f"Repair {i + 1}: clasp re-soldered and the bangle re-polished.",
                hash=f"pending-{uuid.uuid4().hex}",
            )
            for i in range(count)
        ]
        TraceEvent.objects.bulk_create(events, batch_size=500)
        items = [
            EventItem(event=event, role="subject", listing=listing) for event in events
        ]
        EventItem.objects.bulk_create(items, batch_size=500)
        links, contents, previous = [], [], head
        for event, item in zip(events, items, strict=True):
            links.append(EventLink(event=event, parent=previous))
            contents.append(event_content(event, [item], [previous.hash]))
            event.hash = content_hash(contents[-1], version=event.hash_version)
            previous = event
        EventLink.objects.bulk_create(links, batch_size=500)
        ChainMembership.objects.bulk_create(
            [ChainMembership(listing=listing, event=event) for event in events],
            batch_size=500,
        )
        TraceEvent.objects.bulk_update(events, ["hash"], batch_size=500)
        # Bulk inserts bypass the services, so anchor the chain's new head and log
        # each event in the transparency log as they do.
        chain_anchor_refresh(listing_ids=[listing.pk])
        for event, content in zip(events, contents, strict=True):
            log_event(event=event, content=content)
    result = provenance_verify(listing)
    if not result.ok:
        raise RuntimeError(f"the long benchmark chain does not verify: {result.reason}")
    return listing


def certificate_targets() -> dict:
    """Certificate pages to load: a typical chain and the 1,000-event chain."""
    if not available():
        return {}
    from provenance.models import Certificate

    targets = {}
    typical = (
        Certificate.objects.exclude(listing__slug=LONG_CHAIN_SLUG)
        .filter(listing__status="published")
        .order_by("id")
        .first()
    )
    long = Certificate.objects.filter(listing__slug=LONG_CHAIN_SLUG).first()
    if typical:
        targets["certificate"] = f"/certificates/{typical.code}/"
        targets["certificate_api"] = f"/api/certificates/{typical.code}/"
    if long:
        targets["certificate_long"] = f"/certificates/{long.code}/"
    return targets


def _median_ms(function, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def verify_benchmark(repeat: int = 7) -> dict | None:
    """Time ``provenance_verify`` on the 1,000-event chain against a hashing floor.

    The floor is SHA-256 over the very bytes the verification hashes (each event's
    canonical JSON), one digest per event: the least any verification must do.
    """
    if not available():
        return None
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from marketplace.catalogue.models import Listing
    from provenance.hashing import canonical_json, event_content
    from provenance.services.chain import chain_events, provenance_verify

    listing = Listing.objects.filter(slug=LONG_CHAIN_SLUG).first()
    if listing is None:
        return None
    assert provenance_verify(listing).ok
    with CaptureQueriesContext(connection) as captured:
        result = provenance_verify(listing)
    events = chain_events(listing)

    def contents():
        return [
            event_content(e, e.loaded_items, [h for _pid, h in e.loaded_parents])
            for e in events
        ]

    payloads = [canonical_json(content) for content in contents()]

    def floor():
        for payload in payloads:
            hashlib.sha256(payload).hexdigest()

    def recompute():
        for content in contents():
            hashlib.sha256(canonical_json(content)).hexdigest()

    return {
        "events": result.checked,
        "ok": result.ok,
        "queries": len(captured),
        "bytes": sum(len(p) for p in payloads),
        "repeat": repeat,
        "verify_ms": _median_ms(lambda: provenance_verify(listing), repeat),
        "load_ms": _median_ms(lambda: chain_events(listing), repeat),
        "recompute_ms": _median_ms(recompute, repeat),
        "floor_ms": _median_ms(floor, repeat * 3),
    }
