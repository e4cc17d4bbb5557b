"""The transparency log's costs: queries per append, and verifying a 1,000-event chain.

    .venv/bin/python bench/transparency.py [--database-url URL] [--large 100000]
                                           [--events 1000] [--repeat 9]

Starts from an empty database (``bench/bench-log.sqlite3`` by default; a PostgreSQL
database must be named ``ts_bench_*``: it is dropped and recreated), migrates it, and:

1. **Appending.** Records repair events on one piece through ``piece_repair``, outside
   any transaction, as a request does: the service's transaction commits and the log
   integrates its leaf right after. Counts every query of that (recording and log),
   and the log's own, with the tree at a few leaves and again after the tree was
   filled to ``--large`` leaves (filler leaves inserted in bulk and integrated in
   batches), so a count that grows with the tree would show.
2. **Verifying a chain with its proofs.** Grows the piece's chain to ``--events``
   events through the same service, publishes a checkpoint, builds the certificate's
   signed export (the load: chain, proofs and checkpoint from the database), then times
   the offline check of that export (``verify_export``): the export's signature, every
   event's hash, every leaf hash and inclusion proof, the checkpoint's signature. The
   parts are timed separately, against a floor: SHA-256 over the same event bytes.
3. **Racing writers.** Threads append leaves at once, each transaction's leaf
   integrated after its commit; exits non-zero if an index is given twice, skipped,
   or the stored tree is not the tree of the leaves (or if the append's query count
   grew with the tree).

Prints a Markdown summary and writes the figures to ``bench/results/<time>-log-<db>.json``.
The filler leaves name records that do not exist, so ``verify_log`` on this database
reports them; nothing else is meant to read it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

from bench.dataset import _reset_database, _setup_django  # noqa: E402


def _median_ms(function, repeat: int) -> dict:
    """Median (and best) wall-clock and CPU milliseconds of ``repeat`` calls: on a
    shared machine the CPU time is the steadier of the two."""
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return {
        "wall": statistics.median(wall),
        "cpu": statistics.median(cpu),
        "best_wall": min(wall),
    }


def _world():
    """A verified artisan's published piece made from a recycled silver lot."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from artisans.models import Artisan
    from marketplace.catalogue.models import Listing, MetalComponent
    from provenance.models import Party
    from provenance.services.chain import lot_purchase, party_create
    from provenance.services.events import piece_fabricate

    user = User.objects.create_user("log-bench-maker")
    artisan = Artisan.objects.create(
        user=user,
        public_name="Log Bench Maker",
        slug="log-bench-maker",
        story="-",
        workshop_name="Log Bench Workshop",
        city="Leeds",
        country="GB",
        years_of_practice=3,
    )
    listing = Listing.objects.create(
        artisan=artisan,
        title="Bangle for the log benchmark",
        slug="log-bench-bangle",
        description="A bangle repaired again and again.",
        category="bracelet",
        price=Decimal("240.00"),
        status="published",
        published_at=timezone.now() - timedelta(days=400),
    )
    MetalComponent.objects.create(
        listing=listing, metal="silver", fineness=925, weight_grams=Decimal("20.000")
    )
    supplier = party_create(
        actor=user, kind=Party.Kind.SUPPLIER, name="Bench Bullion", country="GB"
    )
    start = timezone.now() - timedelta(days=300)
    lot = lot_purchase(
        actor=user,
        supplier=supplier,
        reference="LOG-BENCH-1",
        material="metal",
        metal="silver",
        fineness=925,
        mass_grams=Decimal("30.000"),
        origin_type="recycled_post_consumer",
        origin_country="GB",
        purchased_at=start,
    )
    piece_fabricate(
        actor=user,
        listing=listing,
        inputs=[(lot, Decimal("21.000"))],
        loss_grams=Decimal("1.000"),
        occurred_at=start + timedelta(days=5),
    )
    return user, listing


def _repair(user, listing, n: int) -> None:
    from provenance.services.chain import piece_repair

    piece_repair(actor=user, listing=listing, note=f"Repair {n}: clasp re-soldered.")


def _append_cost(user, listing, samples: int = 5) -> dict:
    """Queries and time of recording one event, with its integration after commit."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from provenance.selectors.transparency import log_size

    size = log_size()
    totals, logs, times = [], [], []
    for n in range(samples):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            _repair(user, listing, n)
            times.append((time.perf_counter() - started) * 1000)
        totals.append(len(captured))
        logs.append(sum("provenance_log" in q["sql"] for q in captured))
    return {
        "tree_size": size,
        "queries": sorted(set(totals)),
        "log_queries": sorted(set(logs)),
        "ms_median": statistics.median(times),
    }


def _fill(count: int) -> float:
    """Add ``count`` filler leaves in bulk and integrate them; returns seconds."""
    from django.utils import timezone

    from provenance.models import LogLeaf
    from provenance.services.transparency import log_integrate
    from provenance.transparency import leaves, merkle

    started = time.perf_counter()
    now = timezone.now()
    batch = []
    for k in range(count):
        fields = {
            "kind": leaves.DECISION,
            "object_type": "review_event",
            "object_id": 10**12 + k,
            "hash": hashlib.sha256(f"filler {k}".encode()).hexdigest(),
            "recorded_at": now,
        }
        batch.append(
            LogLeaf(
                kind=fields["kind"],
                object_type=fields["object_type"],
                object_id=fields["object_id"],
                object_hash=fields["hash"],
                recorded_at=now,
                content={},
                leaf_hash=merkle.leaf_hash(leaves.leaf_bytes(**fields)).hex(),
            )
        )
        if len(batch) == 5000:
            LogLeaf.objects.bulk_create(batch, batch_size=1000)
            batch = []
    LogLeaf.objects.bulk_create(batch, batch_size=1000)
    log_integrate(batch_size=5000)
    return time.perf_counter() - started


def _verify_chain(user, listing, events: int, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from provenance import signing
    from provenance.hashing import canonical_json, content_hash
    from provenance.models import Certificate, TraceEvent
    from provenance.services.exports import (
        certificate_signed,
        certificate_view,
        verify_export,
    )
    from provenance.services.transparency import checkpoint_publish, log_origin
    from provenance.transparency import merkle
    from provenance.transparency.checkpoint import open_checkpoint

    started = time.perf_counter()
    have = TraceEvent.objects.for_chain(listing).count()
    for n in range(have, events):
        _repair(user, listing, 1000 + n)
    recorded_s = time.perf_counter() - started
    checkpoint_publish()
    certificate = Certificate.objects.get(listing=listing)

    def export():
        return certificate_signed(certificate_view(certificate))

    with CaptureQueriesContext(connection) as captured:
        document = export()
    key = signing.private_key().public_key()
    check = verify_export(document, key)
    if not check.ok:
        raise SystemExit(f"the export does not verify: {check.problems}")
    payload = document["payload"]
    entries = payload["events"]
    checkpoint = open_checkpoint(
        payload["log"]["checkpoint"], name=log_origin(), public_key=key
    )
    contents = [canonical_json(e["content"]) for e in entries]

    def chain_hashes():
        for entry in entries:
            content_hash(entry["content"], version=entry["hash_version"])

    def inclusion_proofs():
        # As verify_export does: every leaf hash, then the proofs against one root.
        merkle.verify_inclusions(
            checkpoint.tree_size,
            checkpoint.root_hash,
            [
                (
                    e["log"]["leaf_index"],
                    merkle.leaf_hash(e["log"]["leaf"].encode()),
                    [bytes.fromhex(p) for p in e["log"]["inclusion_proof"]],
                )
                for e in entries
            ],
        )

    def inclusion_proofs_one_by_one():
        for entry in entries:
            log = entry["log"]
            merkle.verify_inclusion(
                log["leaf_index"],
                checkpoint.tree_size,
                merkle.leaf_hash(log["leaf"].encode()),
                [bytes.fromhex(p) for p in log["inclusion_proof"]],
                checkpoint.root_hash,
            )

    def chain_and_proofs():
        chain_hashes()
        inclusion_proofs()

    def signatures():
        signing.verify_signature(document, key)
        open_checkpoint(payload["log"]["checkpoint"], name=log_origin(), public_key=key)

    def floor():
        for content in contents:
            hashlib.sha256(content).hexdigest()

    return {
        "events": len(entries),
        "recorded_through_services_s": recorded_s,
        "tree_size": checkpoint.tree_size,
        "proof_hashes": sum(len(e["log"]["inclusion_proof"]) for e in entries),
        "export_queries": len(captured),
        "export_bytes": len(json.dumps(document)),
        "load_ms": _median_ms(export, repeat),
        "verify_ms": _median_ms(lambda: verify_export(document, key), repeat),
        "chain_and_proofs_ms": _median_ms(chain_and_proofs, repeat),
        "chain_hashes_ms": _median_ms(chain_hashes, repeat),
        "inclusion_proofs_ms": _median_ms(inclusion_proofs, repeat),
        "inclusion_proofs_one_by_one_ms": _median_ms(
            inclusion_proofs_one_by_one, repeat
        ),
        "signatures_ms": _median_ms(signatures, repeat),
        "floor_ms": _median_ms(floor, repeat * 3),
        "event_bytes": sum(len(c) for c in contents),
    }


def _ms(figure: dict) -> str:
    return f"{figure['wall']:.1f} | {figure['cpu']:.1f}"


def _race(writers: int, each: int) -> dict:
    """Writers append and integrate at once from threads, each on its own connection:
    every leaf must get one index, without a gap, and the stored tree must be the tree
    of the leaves."""
    import threading

    from django.db import connection, transaction

    from provenance.models import LogHead, LogLeaf
    from provenance.services.transparency import log_append, log_integrate
    from provenance.transparency import leaves, merkle

    before = LogLeaf.objects.count()
    barrier = threading.Barrier(writers)
    errors = []

    def write(n):
        try:
            barrier.wait()
            for k in range(each):
                with transaction.atomic():
                    log_append(
                        kind=leaves.DECISION,
                        object_type="review_event",
                        object_id=2 * 10**12 + n * each + k,
                        object_hash=hashlib.sha256(
                            f"race {n} {k}".encode()
                        ).hexdigest(),
                        content={},
                    )
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    left_waiting = LogLeaf.objects.waiting().count()
    log_integrate()
    indexes = list(LogLeaf.objects.order_by("index").values_list("index", flat=True))
    tree = merkle.Tree(
        bytes.fromhex(h)
        for h in LogLeaf.objects.order_by("index").values_list("leaf_hash", flat=True)
    )
    head = LogHead.objects.get()
    ok = (
        not errors
        and indexes == list(range(before + writers * each))
        and head.size == len(indexes)
        and head.root_hash == tree.root().hex()
    )
    return {
        "writers": writers,
        "appends": writers * each,
        "seconds": seconds,
        "left_waiting": left_waiting,
        "errors": errors[:3],
        "ok": ok,
    }


def _report(results: dict) -> str:
    small, large = results["append"]["small"], results["append"]["large"]
    verify, race = results["verify"], results["race"]
    flat = small["queries"] == large["queries"]
    target = verify["chain_and_proofs_ms"]
    lines = [
        f"Transparency log on {results['database']} ({results['when']}), load "
        f"average {results['load']}.",
        "",
        "| tree size | queries per recorded event (all) | of which the log's | "
        "ms per event (median of 5) |",
        "|---:|---:|---:|---:|",
    ]
    for row in (small, large):
        lines.append(
            f"| {row['tree_size']:,} | {', '.join(map(str, row['queries']))} | "
            f"{', '.join(map(str, row['log_queries']))} | {row['ms_median']:.1f} |"
        )
    lines += [
        "",
        f"Queries flat with the tree size: {'yes' if flat else 'NO'} (filling "
        f"{results['append']['filled']:,} leaves took {results['append']['fill_s']:.1f} s).",
        "",
        f"A {verify['events']:,}-event chain (recorded through the services in "
        f"{verify['recorded_through_services_s']:.1f} s) in a tree of "
        f"{verify['tree_size']:,} leaves; its export: {verify['export_queries']} "
        f"queries, {verify['export_bytes']:,} bytes, built (the load) in "
        f"{verify['load_ms']['wall']:.0f} ms.",
        "",
        "| offline check of the export | ms wall | ms CPU |",
        "|---|---:|---:|",
        f"| **event hashes + inclusion proofs** | {_ms(target)} |",
        f"| of which event hashes (canonical JSON + SHA-256) | "
        f"{_ms(verify['chain_hashes_ms'])} |",
        f"| of which leaf hashes + inclusion proofs ({verify['proof_hashes']:,} "
        f"proof hashes, shared paths verified once) | "
        f"{_ms(verify['inclusion_proofs_ms'])} |",
        f"| (the same proofs one by one) | "
        f"{_ms(verify['inclusion_proofs_one_by_one_ms'])} |",
        f"| export signature (canonical JSON of the whole payload) + checkpoint "
        f"signature | {_ms(verify['signatures_ms'])} |",
        f"| whole `verify_export` | {_ms(verify['verify_ms'])} |",
        f"| floor: SHA-256 over the {verify['event_bytes']:,} event bytes | "
        f"{_ms(verify['floor_ms'])} |",
        "",
        "Target: hashing to verify the chain with its proofs < 50 ms beyond the load: "
        f"{'met' if target['wall'] < 50 else 'missed'} on the median wall time "
        f"({target['wall']:.1f} ms; best {target['best_wall']:.1f} ms; CPU "
        f"{target['cpu']:.1f} ms; {target['cpu'] / verify['floor_ms']['cpu']:.0f}x the "
        "floor).",
        "",
        f"Racing writers: {race['writers']} threads appended {race['appends']} leaves "
        f"in {race['seconds']:.1f} s, each integrated after its own commit "
        f"({race['left_waiting']} still waiting once the last one committed); "
        "indexes unique and without a gap, stored tree = tree of the leaves: "
        f"{'yes' if race['ok'] else 'NO ' + str(race['errors'])}.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=f"sqlite:///{BENCH_DIR / 'bench-log.sqlite3'}"
    )
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    import os
    import tempfile

    # The run's checkpoints go to a file of its own, never to .local/.
    os.environ["TOUCHSTONE_CHECKPOINT_FILE"] = str(
        Path(tempfile.mkdtemp(prefix="ts-log-bench-")) / "checkpoints.log"
    )
    from bench.probe import _signing_key

    os.environ["TOUCHSTONE_SIGNING_KEY"] = _signing_key()
    _reset_database(args.database_url)
    _setup_django(args.database_url)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    user, listing = _world()
    _repair(user, listing, -1)  # the first repair differs from the next ones
    small = _append_cost(user, listing)
    fill_s = _fill(args.large)
    large = _append_cost(user, listing)
    verify = _verify_chain(user, listing, args.events, args.repeat)
    race = _race(writers=6, each=40)
    results = {
        "database": connection.vendor,
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "append": {
            "small": small,
            "large": large,
            "filled": args.large,
            "fill_s": fill_s,
        },
        "verify": verify,
        "race": race,
    }
    out = BENCH_DIR / "results"
    out.mkdir(exist_ok=True)
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-log-{connection.vendor}.json"
    (out / name).write_text(json.dumps(results, indent=2))
    print(_report(results))
    if not race["ok"] or small["queries"] != large["queries"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
