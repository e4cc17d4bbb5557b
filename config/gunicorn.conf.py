"""gunicorn settings for Touchstone: ``gunicorn -c config/gunicorn.conf.py config.wsgi``.

Each worker builds the catalogue's facet index before it takes its first request, so
no buyer waits for it (a few seconds at 100,000 listings). More than one worker needs
the shared Redis cache (``REDIS_URL``): limits must count across workers.
"""

import logging
import os

wsgi_app = "config.wsgi:application"


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
