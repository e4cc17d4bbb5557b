"""gunicorn settings for Touchstone: ``gunicorn -c config/gunicorn.conf.py config.wsgi``.

Each worker builds the catalogue's facet index before it takes its first request, so
no buyer waits for it (a few seconds at 100,000 listings).
"""

import logging

wsgi_app = "config.wsgi:application"


def post_worker_init(worker):
    from django.db import connections

    try:
        from marketplace.catalogue import facet_index

        facet_index.current()
    except Exception:  # a missing table or database is reported by the requests
        logging.getLogger("gunicorn.error").exception("facet index not warmed")
    finally:
        connections.close_all()
