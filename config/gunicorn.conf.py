"""gunicorn settings for Touchstone: ``gunicorn -c config/gunicorn.conf.py``.

Each worker builds the catalogue's facet index before it takes its first request, so
no buyer waits for it (a few seconds at 100,000 listings). More than one worker needs
the shared Redis cache (``REDIS_URL``): limits must count across workers.

``WEB_CONCURRENCY`` sets the number of workers (2 with ``REDIS_URL``, else 1),
``GUNICORN_MAX_REQUESTS`` how many requests a worker serves before it is replaced, and
``TOUCHSTONE_BIND`` the address (127.0.0.1:8000); command-line options override both.
The access log (``TOUCHSTONE_ACCESS_LOG=1``) names each request's id (the ``X-Request-ID`` the response carries).
"""

import logging
import os

wsgi_app = "config.wsgi:application"
bind = [os.environ.get("TOUCHSTONE_BIND", "127.0.0.1:8000")]
workers = int(
    os.environ.get("WEB_CONCURRENCY", "2" if os.environ.get("REDIS_URL") else "1")
)
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# No control socket: its default path is shared by every gunicorn of the user, and
# several servers (web × N on one machine, the tests) would fight over it.
control_socket_disable = True
# Recycle workers now and then, so a slow leak never grows without bound; rarely, as a
# new worker first builds its facet index (5 s at 100,000 listings, 40 s at 1,000,000)
# while the others serve (GUNICORN_MAX_REQUESTS; 0 never recycles).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
# An access line per request with TOUCHSTONE_ACCESS_LOG=1 (make serve); behind a proxy
# that logs requests, leave it off.
accesslog = "-" if os.environ.get("TOUCHSTONE_ACCESS_LOG") == "1" else None
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'
# gunicorn's own lines as JSON too, like the application's (DJANGO_LOG_FORMAT).
if os.environ.get("DJANGO_LOG_FORMAT", "json") == "json":
    _json = {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        "rename_fields": {"asctime": "time", "levelname": "level"},
    }
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": _json},
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
        },
        "loggers": {
            "gunicorn.error": {
                "level": "INFO",
                "handlers": ["stderr"],
                "propagate": False,
                "qualname": "gunicorn.error",
            },
            "gunicorn.access": {
                # Access lines are INFO: dropped unless asked for.
                "level": "INFO" if accesslog else "WARNING",
                "handlers": ["stdout"],
                "propagate": False,
                "qualname": "gunicorn.access",
            },
        },
    }


def on_starting(server):
    """Refuse several workers that would each keep their own cache: every throttle,
    lock-out and rate limit would count per process, multiplying each limit."""
    shared = os.environ.get("REDIS_URL") or os.environ.get("TOUCHSTONE_BENCH")
    if server.cfg.workers > 1 and not shared:
        raise RuntimeError(
            "Several gunicorn workers need a shared cache: set REDIS_URL "
            "(or run one worker)."
        )


def post_worker_init(worker):
    from django.db import connections

    try:
        from marketplace.catalogue import facet_index

        facet_index.current()
    except Exception:  # a missing table or database is reported by the requests
        logging.getLogger("gunicorn.error").exception("facet index not warmed")
    finally:
        connections.close_all()
