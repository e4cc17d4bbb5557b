"""Race buyers for the same pieces through the real API under gunicorn.

    .venv/bin/python bench/race.py [--database-url URL] [--workers 3]
    make race           (SQLite)    make race-postgres   (PostgreSQL, ts_bench_race)

Starts from an empty database, serves the site with gunicorn (several worker
processes, threads in each, debug off) and, from threads in this process:
1. 50 buyers race to check out 20 one-of-a-kind pieces (each piece wanted by two or
   three buyers at once); the artisan then confirms every order's payment;
2. 30 other buyers race for a limited edition of 5;
3. the unpaid holds of the edition are expired by two `process_orders` runs at once.
It prints what each phase produced and exits non-zero if a piece was sold twice, an
edition oversold, a hold released twice, or any request answered 5xx.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

from bench.dataset import _reset_database  # noqa: E402
from bench.probe import bench_environment  # noqa: E402
from bench.run import PYTHON, Server  # noqa: E402

PASSWORD = "race-password-0123"  # noqa: S105 (a throwaway database)


def _call(base, method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def _setup(env, buyers: int) -> dict:
    """Accounts, tokens, addresses and pieces, made in a child process with Django."""
    script = f"""
import json, django
from decimal import Decimal
django.setup()
from django.utils import timezone
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from artisans.models import Artisan
from marketplace.catalogue.models import Listing
from marketplace.catalogue.services.favourites import favourite_add  # noqa: F401
from marketplace.orders.services import address_save
maker = User.objects.create_user("maker", password="{PASSWORD}")
artisan = Artisan.objects.create(user=maker, public_name="Race Maker", slug="race-maker",
    story="-", workshop_name="-", city="Leeds", country="GB", years_of_practice=3)
now = timezone.now()
def piece(n, **kw):
    return Listing.objects.create(artisan=artisan, title=f"Piece {{n}}", slug=f"piece-{{n}}",
        description="-", category="ring", price=Decimal("100.00"), status="published",
        published_at=now, **kw)
uniques = [piece(i).slug for i in range(20)]
edition = piece(99, kind="limited_edition", edition_size=5, quantity_available=5).slug
buyers = []
for i in range({buyers}):
    user = User.objects.create_user(f"buyer{{i}}", password="{PASSWORD}")
    address = address_save(user=user, name="B", line1="1 St", city="Leeds",
        postcode="LS1 1AA", country="GB")
    buyers.append({{"token": Token.objects.create(user=user).key, "address": address.pk}})
print(json.dumps({{"maker": Token.objects.create(user=maker).key, "uniques": uniques,
    "edition": edition, "buyers": buyers}}))
"""
    out = subprocess.run(
        [PYTHON, "-c", script],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _race(base, buyers, slugs) -> list[int]:
    """Each buyer puts their piece in the basket, then all check out at once."""
    codes: list[int] = []
    for buyer, slug in zip(buyers, slugs, strict=True):
        status, _ = _call(
            base, "POST", "/api/basket/lines/", buyer["token"], {"listing": slug}
        )
        codes.append(status)
    barrier = threading.Barrier(len(buyers))
    results: list[int] = []

    def checkout(buyer):
        barrier.wait()
        status, _ = _call(
            base,
            "POST",
            "/api/basket/checkout/",
            buyer["token"],
            {"address": buyer["address"]},
        )
        results.append(status)

    threads = [threading.Thread(target=checkout, args=(b,)) for b in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes + results


def _orders(base, token, status=None) -> list[dict]:
    path = "/api/orders/?role=artisan&page_size=100"
    if status:
        path += f"&status={status}"
    _code, body = _call(base, "GET", path, token)
    return body["results"] if isinstance(body, dict) else body


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=f"sqlite:///{BENCH_DIR / 'race.sqlite3'}"
    )
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args(argv)
    env = bench_environment(args.database_url)
    env["DJANGO_SECRET_KEY"] = env["DJANGO_SECRET_KEY"]
    _reset_database(args.database_url)
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )
    data = _setup(env, buyers=80)
    import bench.run as run

    run.WORKERS = args.workers
    report: dict = {
        "database": args.database_url.split(":")[0],
        "workers": args.workers,
    }
    problems = []
    (BENCH_DIR / "results").mkdir(exist_ok=True)
    with Server(env, BENCH_DIR / "results" / "race-gunicorn.log") as server:
        base = server.base
        # 1. 50 buyers, 20 one-of-a-kind pieces.
        slugs = [data["uniques"][i % 20] for i in range(50)]
        codes = _race(base, data["buyers"][:50], slugs)
        placed = _orders(base, data["maker"], "pending_payment")
        confirm = [
            _call(
                base,
                "POST",
                f"/api/orders/{o['number']}/confirm-payment/",
                data["maker"],
            )[0]
            for o in placed
        ]
        paid = _orders(base, data["maker"], "paid")
        pieces = [line["listing"] for o in paid for line in o["lines"]]
        report["unique pieces"] = {
            "checkouts": {str(c): codes[50:].count(c) for c in sorted(set(codes[50:]))},
            "paid orders": len(paid),
            "distinct pieces paid": len(set(pieces)),
            "confirm codes": sorted(set(confirm)),
        }
        if len(paid) != 20 or len(set(pieces)) != 20:
            problems.append("one-of-a-kind pieces were not sold exactly once each")
        all_codes = codes + confirm
        # 2. 30 other buyers, an edition of 5.
        codes = _race(base, data["buyers"][50:80], [data["edition"]] * 30)
        held = [
            o
            for o in _orders(base, data["maker"], "pending_payment")
            if any(line["listing"] == data["edition"] for line in o["lines"])
        ]
        report["edition of 5"] = {
            "checkouts": {str(c): codes[30:].count(c) for c in sorted(set(codes[30:]))},
            "orders holding it": len(held),
        }
        if len(held) != 5:
            problems.append(f"the edition of 5 was held by {len(held)} orders")
        all_codes += codes
    # 3. Expire the edition's holds twice at once: released exactly once.
    expire = """
import django; django.setup()
from django.utils import timezone
from marketplace.orders.models import Order
Order.objects.filter(status="pending_payment").update(hold_expires_at=timezone.now())
"""
    subprocess.run(
        [PYTHON, "-c", expire], cwd=ROOT, env={**os.environ, **env}, check=True
    )
    runs = [
        subprocess.Popen(
            [PYTHON, "manage.py", "process_orders"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run_.communicate()[0].strip() for run_ in runs]
    check = f"""
import django; django.setup()
from marketplace.catalogue.models import Listing
e = Listing.objects.get(slug="{data["edition"]}")
print(e.quantity_available, e.quantity_held, e.status)
"""
    left = subprocess.run(
        [PYTHON, "-c", check],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    report["expiry"] = {"runs": outputs, "edition afterwards": " ".join(left)}
    if left != ["5", "0", "published"]:
        problems.append("expired holds did not put the edition back exactly once")
    server_errors = [c for c in all_codes if c >= 500]
    report["5xx"] = len(server_errors)
    if server_errors:
        problems.append(f"{len(server_errors)} responses were 5xx")
    report["problems"] = problems
    print(json.dumps(report, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
