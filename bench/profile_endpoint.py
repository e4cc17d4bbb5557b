"""Profile one endpoint in-process with cProfile, to see what bounds it.

    .venv/bin/python bench/profile_endpoint.py --database-url URL /pieces/ [--requests 50]

Builds the static manifest that production settings need, then runs the request
through Django's test Client under the benchmark settings with the cache off, after a
warm-up, and prints the functions with the most cumulative time,
the time spent in SQL and the queries per request.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument(
        "--redis", action="store_true", help="profile with the Redis cache on (hits)"
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.probe import bench_environment
    from bench.run import collectstatic

    env = bench_environment(args.database_url)
    env["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    if args.redis:
        env["REDIS_URL"] = "redis://127.0.0.1:6379/9"
        env["DJANGO_CACHE_PREFIX"] = f"bench-profile-{os.getpid()}"
    else:
        env["DJANGO_SETTINGS_MODULE"] = "bench.settings_nocache"
    collectstatic(env)
    os.environ.update(env)
    import django

    django.setup()
    from marketplace.catalogue import facet_index

    facet_index.current()  # built before the first request, as gunicorn's config does
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    for _ in range(3):
        assert client.get(args.path).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        client.get(args.path)
    # Read now: later requests reset the connection's query log that this slices.
    queries = list(captured.captured_queries)
    sql_ms = sum(float(q["time"]) for q in queries) * 1000
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(args.requests):
        client.get(args.path)
    profiler.disable()
    per_request = (time.perf_counter() - started) * 1000 / args.requests
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    print(
        f"{args.path}: {per_request:.1f} ms per request under the profiler; "
        f"{len(queries)} queries taking {sql_ms:.1f} ms (measured once, unprofiled)"
    )
    for query in sorted(queries, key=lambda q: float(q["time"]), reverse=True)[:5]:
        print(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:300]}")


if __name__ == "__main__":
    main()
