"""Logs: a request id on every line, and a line for every slow query.

The request id lives in a context variable: ``RequestIdMiddleware`` sets it for each
request (from ``X-Request-ID`` or a fresh one), the worker sets it to ``task-<id>``
for each task it runs, and ``RequestIdFilter`` copies it onto every log record.
"""

import contextvars
import logging
import re
import time
import uuid

from django.conf import settings
from django.db.backends.signals import connection_created

request_id_var = contextvars.ContextVar("touchstone_request_id", default="-")

# What a caller may send as X-Request-ID; anything else is replaced by a fresh id.
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

slow_query_logger = logging.getLogger("touchstone.slow_query")


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted_request_id(value: str | None) -> str:
    """The caller's id when it is a plain token, else a fresh one."""
    if value and REQUEST_ID_PATTERN.match(value):
        return value
    return new_request_id()


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record that passes through a handler."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get()
        return True


def _slow_query_wrapper(execute, sql, params, many, context):
    threshold = settings.SLOW_QUERY_MS
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        elapsed_ms = (time.perf_counter() - started) * 1000
        if elapsed_ms >= threshold:
            slow_query_logger.warning(
                "slow query",
                extra={
                    "duration_ms": round(elapsed_ms, 2),
                    "threshold_ms": threshold,
                    "sql": sql[:2000],
                    "database": context["connection"].alias,
                },
            )


def _on_connection_created(sender, connection, **kwargs):
    if _slow_query_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(_slow_query_wrapper)


def install_slow_query_log() -> None:
    """Time every query of every connection; log those over ``SLOW_QUERY_MS``."""
    connection_created.connect(_on_connection_created, dispatch_uid="ops-slow-query")
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        _on_connection_created(None, connection)
