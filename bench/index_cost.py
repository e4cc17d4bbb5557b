"""What the facet index costs a process: build time and memory, and one edit.

    .venv/bin/python bench/index_cost.py --database-url URL [--edits 20]

Builds the index as a worker does before its first request, then changes the price of
``--edits`` published listings one at a time (through ``QuerySet.update``, so the
database triggers record them), and after each one times what every process then pays
on its next request: reading the log, reloading the listing and counting the facets
with nothing selected. The prices are put back afterwards. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(edits: int) -> dict:
    from decimal import Decimal

    import numpy as np

    from marketplace.catalogue import facet_index
    from marketplace.catalogue.models import Listing

    orderings = ("newest", "price", "-price", "rating")
    before = _rss_mb()
    started = time.perf_counter()
    snapshot = facet_index.current()
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    snapshot.facet_counts({})
    for ordering in orderings:
        snapshot.ordered_ids(snapshot.alive, ordering)
    first_use_ms = (time.perf_counter() - started) * 1000
    base = snapshot.base
    arrays = [
        base.ids,
        base.alive,
        base.published,
        base.price,
        base.rating,
        base.sorted_ids,
        base.sorted_rows,
        *(a for c in base.columns.values() for a in (c.rows, c.codes)),
        *(a for kept in base._cache.values() if isinstance(kept, tuple) for a in kept),
    ]
    after = _rss_mb()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    step = max(1, snapshot.size // (edits + 1))
    chosen = list(
        Listing.objects.published()
        .order_by("pk")
        .values_list("pk", "price")[step : step * (edits + 1) : step]
    )
    costs, orders = [], []
    try:
        for index, (pk, price) in enumerate(chosen):
            Listing.objects.filter(pk=pk).update(
                price=(price or Decimal("0")) + Decimal("0.01")
            )
            started = time.perf_counter()
            edited = facet_index.current()
            edited.facet_counts({})
            costs.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            edited.ordered_ids(edited.alive, orderings[index % len(orderings)])
            orders.append((time.perf_counter() - started) * 1000)
    finally:
        for pk, price in chosen:
            Listing.objects.filter(pk=pk).update(price=price)
    facet_index.current()  # takes the restored prices
    started = time.perf_counter()
    facet_index.current()
    fresh_ms = (time.perf_counter() - started) * 1000
    return {
        "listings": snapshot.size,
        "build_s": round(build_s, 2),
        "first_use_ms": round(first_use_ms, 1),
        "arrays_mb": round(sum(a.nbytes for a in arrays) / 1e6, 1),
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(after, 1),
        "peak_rss_mb": round(peak, 1),
        "edits": len(costs),
        "edit_ms_median": round(statistics.median(costs), 1) if costs else None,
        "edit_ms_max": round(max(costs), 1) if costs else None,
        "order_after_edit_ms_median": round(float(np.median(orders)), 2)
        if orders
        else None,
        "fresh_check_ms": round(fresh_ms, 2),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_nocache")
    import django

    django.setup()
    print(json.dumps(measure(args.edits)))


if __name__ == "__main__":
    main()
