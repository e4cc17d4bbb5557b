"""``make serve``: Touchstone as production runs it, on one machine, in one command.

    python -m ops.serve [--port 8000] [--workers N] [--no-seed]

Starts gunicorn (``config/gunicorn.conf.py``, two workers or more), the task worker
and the scheduler, with debug off, after migrating, collecting the static files
(served by WhiteNoise) and seeding the demo. PostgreSQL and Redis are used where
available: ``DATABASE_URL`` and ``REDIS_URL`` when set, else the local servers at
``SERVE_DATABASE_URL`` / ``SERVE_REDIS_URL`` if they answer, else SQLite and a
local-memory cache (one web worker then: limits must count in one place), and it says
which. The secret key and the signing key are generated once into the git-ignored
``.local/`` folder. Ctrl-C stops every process.
"""

import argparse
import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = BASE_DIR / ".local"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/touchstone_serve"
DEFAULT_REDIS = "redis://127.0.0.1:6379/1"
STOP_GRACE = 15  # seconds a process has to stop before it is killed


def say(message: str) -> None:
    print(f"[serve] {message}", flush=True)


def kept_secret(name: str, make) -> str:
    """A secret generated once into .local/ (mode 600) and read back afterwards."""
    LOCAL_DIR.mkdir(exist_ok=True)
    path = LOCAL_DIR / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text()


def signing_key_pem() -> str:
    from provenance.signing import generate_private_key_pem

    return generate_private_key_pem()


def postgres_url(explicit: str | None, candidate: str) -> str | None:
    """The PostgreSQL URL to use: the explicit one, or the candidate if its server
    answers (its database created if missing)."""
    if explicit:
        return explicit
    try:
        import psycopg
        from psycopg import sql

        name = urlsplit(candidate).path.lstrip("/")
        admin = candidate.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True, connect_timeout=2) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [name]
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except Exception as error:
        say(f"PostgreSQL at {candidate} unavailable ({error.__class__.__name__}).")
        return None
    return candidate


def redis_url(explicit: str | None, candidate: str) -> str | None:
    if explicit:
        return explicit
    try:
        import redis

        redis.Redis.from_url(candidate, socket_connect_timeout=1).ping()
    except Exception as error:
        say(f"Redis at {candidate} unavailable ({error.__class__.__name__}).")
        return None
    return candidate


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def production_env(args) -> dict[str, str]:
    env = dict(os.environ)
    database = postgres_url(
        env.get("DATABASE_URL"), env.get("SERVE_DATABASE_URL", DEFAULT_PG)
    )
    if database:
        say(f"database: PostgreSQL ({database})")
    else:
        database = f"sqlite:///{LOCAL_DIR / 'serve.sqlite3'}"
        say(f"database: falling back to SQLite ({database})")
    cache = redis_url(env.get("REDIS_URL"), env.get("SERVE_REDIS_URL", DEFAULT_REDIS))
    if cache:
        say(f"cache: Redis ({cache})")
    else:
        say(
            "cache: falling back to the local-memory cache, with one web worker "
            "(throttles and page caches cannot be shared between processes)"
        )
    env.update(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": env.get("DJANGO_SECRET_KEY")
            or kept_secret("serve_secret_key", lambda: secrets.token_urlsafe(50)),
            "TOUCHSTONE_SIGNING_KEY": env.get("TOUCHSTONE_SIGNING_KEY")
            or kept_secret("serve_signing_key.pem", signing_key_pem),
            "DJANGO_ALLOWED_HOSTS": env.get(
                "DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]"
            ),
            # Plain HTTP on this machine; behind a TLS proxy leave the redirect on.
            "DJANGO_SECURE_SSL_REDIRECT": env.get("DJANGO_SECURE_SSL_REDIRECT", "0"),
            "TOUCHSTONE_SITE_URL": env.get(
                "TOUCHSTONE_SITE_URL", f"http://localhost:{args.port}"
            ),
            # Public uploads: served by the web process here (a front server or the
            # object storage's own address in a real deployment).
            "TOUCHSTONE_SERVE_MEDIA": env.get("TOUCHSTONE_SERVE_MEDIA", "1"),
            "TOUCHSTONE_TASKS": "database",
            "TOUCHSTONE_ACCESS_LOG": env.get("TOUCHSTONE_ACCESS_LOG", "1"),
            "DATABASE_URL": database,
            "PYTHONUNBUFFERED": "1",
        }
    )
    # The transparency log's external checkpoint file belongs to one database: a
    # second database's log would not extend the checkpoints in it.
    digest = hashlib.sha256(database.encode()).hexdigest()[:12]
    env.setdefault(
        "TOUCHSTONE_CHECKPOINT_FILE", str(LOCAL_DIR / f"serve-checkpoints-{digest}.log")
    )
    if cache:
        env["REDIS_URL"] = cache
    else:
        env.pop("REDIS_URL", None)
    workers = args.workers or (int(env.get("WEB_CONCURRENCY", "2")) if cache else 1)
    env["WEB_CONCURRENCY"] = str(workers)
    env["TOUCHSTONE_BIND"] = f"127.0.0.1:{args.port}"
    return env


def manage(env, *command: str) -> None:
    subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", *command], cwd=BASE_DIR, env=env, check=True
    )


def stop(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    for name, process in processes.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{name} did not stop in {STOP_GRACE} s: killing it")
            process.kill()
            process.wait()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers")
    parser.add_argument("--no-seed", action="store_true", help="skip the demo data")
    args = parser.parse_args(argv)
    if not port_free(args.port):
        say(f"port {args.port} is taken: stop what uses it, or pass --port")
        return 1
    env = production_env(args)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    if not args.no_seed:
        manage(env, "seed_demo", "--force")
    commands = {
        "web": [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "config/gunicorn.conf.py",
        ],
        "worker": [sys.executable, "manage.py", "run_worker"],
        "scheduler": [sys.executable, "manage.py", "run_schedule"],
    }
    processes: dict[str, subprocess.Popen] = {}
    stopping = []

    def on_signal(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        for name, command in commands.items():
            processes[name] = subprocess.Popen(command, cwd=BASE_DIR, env=env)  # noqa: S603
            say(f"started {name} (pid {processes[name].pid})")
        say(
            f"serving http://localhost:{args.port}/ with {env['WEB_CONCURRENCY']} web "
            f"worker(s), debug off; /readyz reports each dependency. Ctrl-C stops."
        )
        while not stopping:
            ended = [name for name, p in processes.items() if p.poll() is not None]
            if ended:
                say(f"{', '.join(ended)} stopped: stopping the others")
                return 1
            time.sleep(0.5)
        return 0
    finally:
        stop(processes)


if __name__ == "__main__":
    sys.exit(main())
