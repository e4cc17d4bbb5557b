"""Load-test Touchstone under gunicorn with wrk and report every figure against the floor.

    .venv/bin/python bench/run.py --size S [--database-url URL] [--duration 10]

For one dataset and database:
1. counts queries per request in-process (bench/probe.py, cache off, two page sizes);
2. serves the site with gunicorn on 127.0.0.1 (debug off, production settings, the
   benchmark floor mounted at /bench/floor/) and loads each endpoint with wrk from a
   second process: first with the cache off, then with the Redis cache on;
3. prints a Markdown table and writes the raw figures as JSON into bench/results/.

Requests/s are reported as a ratio to the floor (a constant-JSON Django view) measured
in the same run, and latencies as a multiple of the floor's, so that the speed of a
shared machine cancels out.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

from bench.dataset import default_database_url  # noqa: E402
from bench.probe import bench_environment  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
WORKERS, THREADS = 2, 2
REDIS_URL = "redis://127.0.0.1:6379/9"
# Pages that an anonymous visitor browses; these are loaded again with the cache on.
CACHED_GROUPS = {"api", "html"}

WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "status_errors": %d, '
    .. '"socket_errors": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
    .. '"mean_us": %.1f, "max_us": %d}\\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving config.wsgi on loopback, with the given environment."""

    def __init__(
        self, env: dict[str, str], log_path: Path, *, connections: int | None = None
    ):
        self.env, self.log_path = env, log_path
        # Under load, each worker takes at most its share of wrk's keep-alive
        # connections: left to themselves, one worker sometimes accepts them all while
        # the other idles, and the same endpoint then measures half as fast (the
        # floor alternated between about 1,200 and 3,100 req/s from run to run).
        self.limit = (
            []
            if connections is None
            else [f"--worker-connections={max(1, connections // WORKERS)}"]
        )
        self.port = free_port()
        self.process = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                GUNICORN,
                "--config=config/gunicorn.conf.py",
                "config.wsgi:application",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={WORKERS}",
                "--worker-class=gthread",
                f"--threads={THREADS}",
                "--keep-alive=5",
                *self.limit,
                "--log-level=warning",
                "--timeout=60",
            ],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/bench/floor/", timeout=10):
                    return self
            except OSError:  # refused while booting, or a slow first response
                if self.process.poll() is not None:
                    break
                time.sleep(0.3)
        self.__exit__()
        raise SystemExit(f"gunicorn did not start; see {self.log_path}")

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each gunicorn worker (the master's children), now."""
        sizes = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) != self.process.pid:
                    continue
                status = (stat.parent / "status").read_text()
            except (OSError, IndexError, ValueError):
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(round(int(line.split()[1]) / 1024, 1))
        return sorted(sizes)

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()

    def timed_status(
        self, path: str, headers: dict[str, str] | None = None
    ) -> tuple[int, float]:
        """Status and seconds of one GET; redirects not followed (a 302 is no 200)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            response.read()
            return response.status, time.perf_counter() - started
        finally:
            connection.close()


def wrk(
    url: str, *, duration: int, connections: int, script: str, headers=None
) -> dict:
    header_args = [arg for h in (headers or {}).items() for arg in ("-H", ": ".join(h))]
    completed = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout=10s",
            *header_args,
            "-s",
            script,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    line = completed.stdout.strip().splitlines()[-1]
    data = json.loads(line)
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["p50_ms"] = data["p50_us"] / 1000
    data["p99_ms"] = data["p99_us"] / 1000
    return data


def _print(name: str, figures: dict) -> None:
    print(
        f"  {name:<22} {figures['rps']:8.1f} req/s  "
        f"p50 {figures['p50_ms']:7.2f} ms  p99 {figures['p99_ms']:7.2f} ms"
        + (
            f"  ({figures['status_errors']} non-2xx)"
            if figures["status_errors"]
            else ""
        ),
        flush=True,
    )


def load(server: Server, items: list[dict], args, script: str) -> dict:
    """Each endpoint between two floor measurements, and its ratios to their mean.

    On a shared machine the floor drifts with other work; bracketing every endpoint
    with the floor measured just before and just after keeps each ratio local in time.
    """
    floor_item, endpoints = items[0], items[1:]
    floor_url = server.base + floor_item["path"]

    def run(url: str, duration: int, headers=None) -> dict:
        return wrk(
            url,
            duration=duration,
            connections=args.connections,
            script=script,
            headers=headers,
        )

    def floor_run() -> dict:
        figures = run(floor_url, args.floor_duration)
        if figures["requests"] < 50:  # a stalled run (machine busy): measure again
            figures = run(floor_url, args.floor_duration * 2)
        return figures

    def drain() -> None:
        """Wait until the server answers the floor promptly again.

        Requests still queued when wrk stops (a slow endpoint's) keep the workers busy;
        measuring the next floor before they finish would understate it.
        """
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            _status, elapsed = server.timed_status(floor_item["path"])
            if elapsed < 0.05:
                return
            time.sleep(0.5)

    run(floor_url, args.warmup)
    floors = [floor_run()]
    _print("floor", floors[-1])
    results: dict[str, dict] = {}
    for endpoint in endpoints:
        headers = {}
        if endpoint.get("auth"):
            # A signed-in buyer: the session the probe created for the bench buyer.
            headers["Cookie"] = f"sessionid={args.session}"
        status, elapsed = server.timed_status(endpoint["path"], headers)
        if status != 200:
            results[endpoint["name"]] = {"status": status, "skipped": True}
            print(f"  {endpoint['name']:<22} HTTP {status}: not loaded", flush=True)
            continue
        if elapsed > args.slow:
            # The first request may just have filled the cache; time a second one.
            elapsed = server.timed_status(endpoint["path"], headers)[1]
        if elapsed > args.slow:
            # Too slow to load: wrk would only pile up requests that the workers go on
            # serving after it stops. One request's latency bounds the throughput.
            single = elapsed
            bound = (os.cpu_count() or 1) / single
            figures = {
                "status": status,
                "slow": True,
                "single_ms": single * 1000,
                "rps_bound": bound,
                "rps_ratio_bound": bound / floors[-1]["rps"],
                "floor_rps": floors[-1]["rps"],
            }
            results[endpoint["name"]] = figures
            print(
                f"  {endpoint['name']:<22} one request {single * 1000:.0f} ms: "
                f"not loaded (at most {bound:.2f} req/s on {os.cpu_count()} cores)",
                flush=True,
            )
            drain()
            continue
        url = server.base + endpoint["path"]
        run(url, args.warmup, headers)
        figures = run(url, args.duration, headers)
        figures["status"] = status
        _print(endpoint["name"], figures)
        drain()
        before = floors[-1]
        floors.append(floor_run())
        _print("floor", floors[-1])
        after = floors[-1]
        reference = {
            key: (before[key] + after[key]) / 2 for key in ("rps", "p50_ms", "p99_ms")
        }
        figures["floor_rps"] = reference["rps"]
        figures["rps_ratio"] = figures["rps"] / reference["rps"]
        figures["p50_ratio"] = figures["p50_ms"] / max(reference["p50_ms"], 1e-3)
        figures["p99_ratio"] = figures["p99_ms"] / max(reference["p99_ms"], 1e-3)
        results[endpoint["name"]] = figures
    rps = [f["rps"] for f in floors]
    floor = {
        "status": 200,
        "measurements": floors,
        "rps": statistics.mean(rps),
        "rps_min": min(rps),
        "rps_max": max(rps),
        "p50_ms": statistics.mean(f["p50_ms"] for f in floors),
        "p99_ms": statistics.mean(f["p99_ms"] for f in floors),
        "rps_ratio": 1.0,
        "p50_ratio": 1.0,
        "p99_ratio": 1.0,
        "status_errors": sum(f["status_errors"] for f in floors),
    }
    return {"floor": floor, **results}


def _json_from(script: str, env: dict[str, str], database_url: str, what: str) -> dict:
    """Run one of the bench's scripts in its own process; its last line is JSON."""
    completed = subprocess.run(
        [PYTHON, str(BENCH_DIR / script), "--database-url", database_url],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    if completed.returncode:
        sys.stderr.write(completed.stderr)
        raise SystemExit(f"{what} failed")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def probe(env: dict[str, str], database_url: str) -> dict:
    return _json_from("probe.py", env, database_url, "the in-process query probe")


def index_cost(env: dict[str, str], database_url: str) -> dict:
    """The facet index's build time and memory, and the cost of one edit
    (``bench/index_cost.py``, in its own process)."""
    return _json_from("index_cost.py", env, database_url, "the facet index measurement")


def index_markdown(index: dict, workers: dict) -> str:
    rss = "; ".join(
        f"cache {mode}: " + ", ".join(f"{size:.0f} MB" for size in sizes)
        for mode, sizes in workers.items()
    )
    return (
        f"Facet index ({index['listings']:,} published listings): built in "
        f"{index['build_s']:.1f} s, first counts and four orders "
        f"{index['first_use_ms']:.0f} ms; its arrays {index['arrays_mb']:.0f} MB; the "
        f"measuring process {index['rss_before_mb']:.0f} MB before the build, "
        f"{index['rss_after_mb']:.0f} MB after, {index['peak_rss_mb']:.0f} MB at its "
        f"peak. One listing edit costs each process {index['edit_ms_median']:.1f} ms "
        f"(median of {index['edits']}; at most {index['edit_ms_max']:.1f} ms) on its "
        f"next request; one order of the whole catalogue after an edit "
        f"{index['order_after_edit_ms_median']:.2f} ms; a fresh check "
        f"{index['fresh_check_ms']:.2f} ms. Worker memory after the load: {rss}."
    )


def collectstatic(env: dict[str, str]) -> None:
    """Production settings serve hashed static files; build the manifest once."""
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )


# The targets at M and (second) at L, cache off: API lists, /pieces/, a common and a
# selective search word, the piece page; anonymous catalogue lists cached: 0.5.
TARGETS = {
    "api": (0.2, 0.15),
    "html": (0.15, 0.1),
    "common": (0.05, 0.03),
    "selective": (0.15, 0.1),
    "piece": (0.15, 0.15),
}


def target_for(endpoint: dict, cached: bool, size: str = "M") -> float | None:
    """The target of an endpoint, as a multiple of the floor (``TARGETS``)."""
    if cached:
        return 0.5 if endpoint.get("list") else None
    if endpoint.get("detail"):
        return None
    if endpoint.get("name") == "piece page":
        kind = "piece"
    elif endpoint.get("search"):
        kind = endpoint["search"]
    elif endpoint.get("list"):
        kind = endpoint.get("group", "")
    else:
        return None
    pair = TARGETS.get(kind)
    return None if pair is None else pair[1 if size == "L" else 0]


def _rate(rps: float) -> str:
    return f"{rps:.0f}" if rps >= 100 else f"{rps:.1f}"


def markdown(report: dict) -> str:
    lines = [
        f"### Dataset {report['size']} on {report['database']} "
        f"({report['started'][:16].replace('T', ' ')} UTC)",
        "",
        f"gunicorn {WORKERS} gthread workers × {THREADS} threads; wrk -t1 "
        f"-c{report['connections']} -d{report['duration']}s per endpoint after a "
        f"{report['warmup']} s warm-up, each between two {report['floor_duration']} s "
        "floor runs (ratios against their mean); load average "
        f"{report['load_before']} before, "
        f"{report['load_after']} after. Floor: "
        + ", ".join(
            f"cache {mode} {run['floor']['rps']:.0f} req/s on average "
            f"({run['floor']['rps_min']:.0f}–{run['floor']['rps_max']:.0f} over "
            f"{len(run['floor']['measurements'])} measurements), "
            f"p50 {run['floor']['p50_ms']:.2f} ms"
            for mode, run in report["runs"].items()
            if "floor" in run and not run["floor"].get("skipped")
        )
        + ".",
        "",
        "| endpoint | cache | requests | req/s | × floor | target | p50 ms (× floor) "
        "| p99 ms (× floor) | in-process ms | queries | queries at 12 / 48 per page |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    probe_results = report["probe"]["endpoints"]
    for mode, run in report["runs"].items():
        for name, figures in run.items():
            counted = dict(probe_results.get(name, {}))
            if mode == "on":  # in-process figures are cache misses: shown once
                counted.update(in_process_ms="", queries="", queries_by_page_size=None)
            by_size = counted.get("queries_by_page_size")
            sizes = (
                " / ".join(str(v) for v in by_size.values())
                + (" (grows)" if counted.get("grows_with_page_size") else " (flat)")
                if by_size
                else ""
            )
            if figures.get("skipped"):
                lines.append(
                    f"| {name} | {mode} | HTTP {figures['status']} | not measured "
                    "| | | | | | | |"
                )
                continue
            if figures.get("slow"):
                target = target_for(counted, mode == "on", report["size"])
                lines.append(
                    f"| {name} | {mode} | 1 | ≤ {figures['rps_bound']:.2f} "
                    f"| ≤ {figures['rps_ratio_bound']:.4f} "
                    f"| {'≥ ' + str(target) + ' ✗' if target else ''} "
                    f"| {figures['single_ms']:.0f} (one request, not loaded) | "
                    f"| {counted.get('in_process_ms', '')} "
                    f"| {counted.get('queries', '')} | {sizes} |"
                )
                continue
            requests = figures.get("requests") or sum(
                f["requests"] for f in figures.get("measurements", [])
            )
            if not requests:
                lines.append(
                    f"| {name} | {mode} | 0 | no response within "
                    f"{report['duration']} s | | | | | {counted.get('in_process_ms', '')} "
                    f"| {counted.get('queries', '')} | {sizes} |"
                )
                continue
            target = target_for(counted, mode == "on", report["size"])
            verdict = ""
            if target is not None and name != "floor":
                verdict = f"≥ {target} " + (
                    "✓" if figures["rps_ratio"] >= target else "✗"
                )
            lines.append(
                f"| {name} | {mode} | {requests} | {_rate(figures['rps'])} "
                f"| {figures['rps_ratio']:.3f} "
                f"| {verdict} | {figures['p50_ms']:.1f} ({figures['p50_ratio']:.1f}) "
                f"| {figures['p99_ms']:.1f} ({figures['p99_ratio']:.1f}) "
                f"| {counted.get('in_process_ms', '')} "
                f"| {counted.get('queries', '')} | {sizes} |"
            )
    verify = report["probe"].get("verify")
    if verify:
        lines += ["", verify_markdown(verify)]
    if report.get("index"):
        lines += ["", index_markdown(report["index"], report.get("worker_rss_mb", {}))]
    return "\n".join(lines)


def verify_markdown(verify: dict) -> str:
    ratio = verify["verify_ms"] / verify["floor_ms"]
    return (
        f"provenance_verify on a {verify['events']:,}-event chain "
        f"({'verifies' if verify['ok'] else 'DOES NOT VERIFY'}): "
        f"{verify['verify_ms']:.1f} ms per verification (median of {verify['repeat']}), "
        f"{verify['queries']} queries; of which loading the chain "
        f"{verify['load_ms']:.1f} ms and rebuilding + hashing the canonical JSON "
        f"{verify['recompute_ms']:.1f} ms. Floor (SHA-256 over the same "
        f"{verify['bytes']:,} bytes, one digest per event): {verify['floor_ms']:.2f} ms, "
        f"so a verification costs {ratio:.0f}× the floor."
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="S")
    parser.add_argument("--database-url")
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--floor-duration", type=int, default=4)
    parser.add_argument(
        "--slow",
        type=float,
        default=2.0,
        help="seconds: an endpoint whose single request takes longer is not loaded",
    )
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--cache", default="off,on", help="comma-separated: off, on (Redis)"
    )
    parser.add_argument(
        "--only", help="comma-separated endpoint names to load (default: all)"
    )
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    database_url = args.database_url or default_database_url(args.size)
    database = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    env = bench_environment(database_url)
    started = datetime.now(UTC)
    report = {
        "size": args.size,
        "database": database,
        "database_url": database_url,
        "started": started.isoformat(),
        "duration": args.duration,
        "warmup": args.warmup,
        "floor_duration": args.floor_duration,
        "connections": args.connections,
        "workers": WORKERS,
        "threads": THREADS,
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "git": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip(),
        "runs": {},
    }
    collectstatic(env)
    print(f"probing queries per request on {database} {args.size} ...", flush=True)
    report["probe"] = probe(env, database_url)
    print("measuring the facet index ...", flush=True)
    report["index"] = index_cost(env, database_url)
    report["worker_rss_mb"] = {}
    args.session = report["probe"]["targets"].get("session", "")
    wanted = set(args.only.split(",")) if args.only else None
    items = [
        item
        for item in report["probe"]["endpoints"].values()
        if item["available"]
        and (wanted is None or item["name"] in wanted or item["group"] == "floor")
    ]
    missing = [
        f"{item['name']} ({item['path']}: HTTP {item['status']})"
        for item in report["probe"]["endpoints"].values()
        if not item["available"]
    ]
    report["not_available"] = missing
    results_dir = BENCH_DIR / "results"
    results_dir.mkdir(exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%S")
    with tempfile.TemporaryDirectory() as tmp:
        script = str(Path(tmp) / "report.lua")
        Path(script).write_text(WRK_REPORT)
        for mode in args.cache.split(","):
            # Workers are never replaced during a run: the floor alone sends each
            # some 90,000 requests, and a replacement builds its index (5 s at M,
            # 35 s at L) while the endpoint being measured waits on it.
            server_env = {**env, "GUNICORN_MAX_REQUESTS": "0"}
            chosen = items
            if mode == "off":
                server_env["DJANGO_SETTINGS_MODULE"] = "bench.settings_nocache"
            if mode == "on":
                server_env["REDIS_URL"] = REDIS_URL
                server_env["DJANGO_CACHE_PREFIX"] = f"bench-{stamp}-{args.size}"
                chosen = [
                    item
                    for item in items
                    if item["group"] in CACHED_GROUPS or item["group"] == "floor"
                ]
            print(f"cache {mode}:", flush=True)
            log = results_dir / f"gunicorn-{stamp}-{mode}.log"
            with Server(server_env, log, connections=args.connections) as server:
                report["runs"][mode] = load(server, chosen, args, script)
                report["worker_rss_mb"][mode] = server.worker_rss_mb()
    report["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    report["seconds"] = round((datetime.now(UTC) - started).total_seconds(), 1)
    slug = f"{args.size}-{database.lower()}"
    out = results_dir / f"{stamp}-{slug}.json"
    out.write_text(json.dumps(report, indent=2))
    print()
    print(markdown(report))
    if missing:
        print("\nNot available on this build: " + "; ".join(missing))
    print(f"\nraw figures: {out.relative_to(ROOT)} ({report['seconds']} s)")


if __name__ == "__main__":
    main()
