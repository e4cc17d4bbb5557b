"""Real processes for the tests in this folder: gunicorn servers, task workers and a
fake mail server, sharing the test database (committed: transactional tests), the
media folders and, where needed, Redis (database 5, a key prefix per test).

Everything here waits for a process to reach a state (a server answering, a task
finished) with a generous deadline; no test asserts on how long anything took.
"""

import os
import secrets
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)
REDIS = ("127.0.0.1", 6379)
REDIS_DB = 5
DEADLINE = 60  # seconds to wait for a process to reach a state before giving up


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/processes/" in str(item.fspath):
            item.add_marker(pytest.mark.processes)


def wait_for(predicate: Callable[[], object], what: str, deadline: float = DEADLINE):
    """Poll until ``predicate()`` is truthy; its value. Fails naming ``what``."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"gave up waiting for {what}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    user = params["USER"] + (f":{params['PASSWORD']}" if params["PASSWORD"] else "")
    return (
        f"postgres://{user}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/"
        f"{params['NAME']}"
    )


class Process:
    """A child process whose output goes to a log file."""

    def __init__(self, name: str, command: list[str], env: dict, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self.log = self.log_path.open("w")
        self.popen = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def kill(self) -> None:
        """SIGKILL: nothing runs after it, as when a machine is lost."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


class Http:
    """A plain HTTP client against one server: a new connection per request."""

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 only)
            self.base + path, data=body, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.headers

    def get(self, path: str, **headers):
        return self.request("GET", path, headers=headers)


def production_base_env() -> dict[str, str]:
    """This environment without test or project configuration: children run as
    production does, configured only by what the fixtures set."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "DJANGO_", "TOUCHSTONE_"))
        and key not in ("DATABASE_URL", "REDIS_URL", "EMAIL_HOST")
    }


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """The static files, collected once per session (debug is off in the servers)."""
    root = tmp_path_factory.mktemp("static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env={
            **production_base_env(),
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_STATIC_ROOT": str(root),
        },
        check=True,
    )
    return root


@pytest.fixture
def redis_url():
    """Redis database 5, or a clean skip when Redis is not running."""
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        message = "Redis is not reachable on 127.0.0.1:6379."
        if os.environ.get("TOUCHSTONE_REQUIRE_REDIS"):
            pytest.fail(message + " The multi-process tests are required here.")
        pytest.skip(message)
    return f"redis://{REDIS[0]}:{REDIS[1]}/{REDIS_DB}"


@pytest.fixture
def process_env(transactional_db, settings, static_root, tmp_path):
    """The environment of production processes on this test's database and folders."""
    env = production_base_env()
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "TOUCHSTONE_SIGNING_KEY": settings.TOUCHSTONE_SIGNING_KEY,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_STATIC_ROOT": str(static_root),
            "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "DJANGO_PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
            "TOUCHSTONE_CHECKPOINT_FILE": str(settings.TOUCHSTONE_CHECKPOINT_FILE),
            "DATABASE_URL": database_url(),
            "DJANGO_CACHE_PREFIX": f"touchstone-test-{secrets.token_hex(6)}",
            "TOUCHSTONE_TASKS": "database",
            "DJANGO_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    # This process enqueues into the same queue the workers read.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    return env


@pytest.fixture
def processes(tmp_path):
    """Start processes; every one is stopped at the end of the test."""
    started: list[Process] = []

    def start(name: str, command: list[str], env: dict) -> Process:
        process = Process(name, command, env, tmp_path)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def web(processes):
    """Start a gunicorn server with the project's config; wait until it answers."""

    def start(name: str, env: dict, workers: int = 1) -> Http:
        port = free_port()
        server = processes(
            name,
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "config/gunicorn.conf.py",
                f"--bind=127.0.0.1:{port}",
                f"--workers={workers}",
            ],
            env,
        )
        http = Http(port)

        def answers():
            if server.popen.poll() is not None:
                pytest.fail(f"{name} exited:\n{server.output()}")
            try:
                return http.get("/healthz")[0] == 200
            except OSError:
                return False

        wait_for(answers, f"{name} to answer /healthz")
        return http

    return start


@pytest.fixture
def worker(processes):
    """Start a task worker (``manage.py run_worker`` unless a module is given)."""

    def start(name: str, env: dict, module: str | None = None) -> Process:
        command = (
            [sys.executable, "-m", module]
            if module
            else [
                sys.executable,
                "manage.py",
                "run_worker",
                "--no-startup-delay",
                "--interval",
                "0.2",
            ]
        )
        return processes(name, command, env)

    return start


class FakeSmtpServer(socketserver.ThreadingTCPServer):
    """An SMTP server that hangs on its first connection (a worker talking to it can
    be killed mid-send) and accepts every message on the later ones."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), SmtpHandler)
        self.connections = 0
        self.first_connected = threading.Event()
        self.release = threading.Event()
        self.messages: list[bytes] = []
        self.lock = threading.Lock()


class SmtpHandler(socketserver.StreamRequestHandler):
    def handle(self):
        server = self.server
        with server.lock:
            number = server.connections
            server.connections += 1
        if number == 0:
            server.first_connected.set()
            server.release.wait()
            return
        self.wfile.write(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            command = line.strip().upper()
            if command.startswith(b"DATA"):
                self.wfile.write(b"354 go ahead\r\n")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data)
                with server.lock:
                    server.messages.append(b"".join(lines))
                self.wfile.write(b"250 queued\r\n")
            elif command.startswith(b"QUIT"):
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # EHLO, HELO, MAIL, RCPT, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server():
    server = FakeSmtpServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
