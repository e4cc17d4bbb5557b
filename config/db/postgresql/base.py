"""Django's PostgreSQL backend, with two savings on the reads every page makes.

**The health check, spent only where it can help.** With ``CONN_HEALTH_CHECKS`` Django
sends ``SELECT 1`` before the first query of every request that reuses a persistent
connection: a whole round trip to the server, about a tenth of what a catalogue page
costs under load. The check is there for a connection that died while it sat idle (the
server restarted, a proxy or firewall dropped it). Here it is made only when the
connection's last answer is older than ``settings.DATABASE_HEALTHY_FOR`` seconds (1 by
default; 0 checks before every request's first query, as Django does). The trade: a
connection that dies within that window (a restart or failover under traffic) fails
the query that next uses it, once per thread, as it would with no health check at all;
Django closes it at the end of that request (``errors_occurred``) and the next request
opens a new one.

**Prepared statements for baked queries.** Django binds parameters on the client, so
the server parses and plans every statement afresh; for the piece page's read, planning
took three times as long as running it. ``prepared_cursor()`` binds on the server and
prepares each statement on its first run on a connection, so the server plans it no
more (``config.baked`` runs its queries on it). Only these statements are prepared:
the connection's own ``prepare_threshold`` stays ``None`` (Django's default), so
Django's cursors neither prepare nor count their statements. Integer parameters are
sent as ``bigint`` whatever their size, so that one statement is one prepared statement
and not one per mix of small and large ids. Prepared statements live in the server
session, and psycopg deallocates them all (``DEALLOCATE ALL``) after a rollback: behind
a pooler in transaction mode, the pooler must support both (PgBouncer 1.22+ with
``max_prepared_statements``), or ``settings.DATABASE_PREPARED_STATEMENTS`` must be off
(``DJANGO_DB_PREPARED_STATEMENTS=0``), which makes ``prepared_cursor()`` Django's own
cursor.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from django.conf import settings
from django.db.backends.postgresql import base, operations
from django.db.backends.postgresql.psycopg_any import errors, register_tzloader
from django.utils.asyncio import async_unsafe
from psycopg.pq import Format
from psycopg.types.numeric import Int8


def _bigint(value):
    return Int8(value) if type(value) is int else value


class PreparedCursor(base.ServerBindingCursor):
    """A cursor binding its parameters on the server, integers as ``bigint``, each
    statement prepared on its first run on the connection."""

    def execute(self, query, params=None, **kwargs):
        if isinstance(params, Mapping):
            params = {name: _bigint(value) for name, value in params.items()}
        elif params:
            params = [_bigint(value) for value in params]
        # The connection belongs to this thread; its threshold is restored at once,
        # so that no other statement is counted or prepared.
        connection = self.connection
        kept = connection.prepare_threshold
        connection.prepare_threshold = 0
        try:
            return super().execute(query, params, prepare=True, **kwargs)
        finally:
            connection.prepare_threshold = kept


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        """The statement with its values, for the query log and the tests' captured
        queries: psycopg keeps no text for a prepared statement's run, so it is
        composed as Django does for cursors that bind on the server."""
        if isinstance(cursor, PreparedCursor):
            try:
                return self.compose_sql(sql, params)
            except errors.DataError:
                return None
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.answered_at: float | None = None
        self.execute_wrappers.append(self._note_answer)

    @property
    def healthy_for(self) -> float:
        """Seconds after a query's answer during which the connection counts as
        healthy and is not checked."""
        return float(getattr(settings, "DATABASE_HEALTHY_FOR", 1.0))

    def _note_answer(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        self.answered_at = time.monotonic()
        return result

    def is_usable(self) -> bool:
        usable = super().is_usable()
        if usable:
            self.answered_at = time.monotonic()
        return usable

    def connect(self) -> None:
        super().connect()
        self.answered_at = None

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and self.answered_at is not None
            and time.monotonic() - self.answered_at < self.healthy_for
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    @async_unsafe
    def prepared_cursor(self):
        """``cursor()``, binding on the server so that its statements are prepared:
        logged, counted and wrapped like any other cursor. Django's own cursor when
        ``settings.DATABASE_PREPARED_STATEMENTS`` is off."""
        if not getattr(settings, "DATABASE_PREPARED_STATEMENTS", True):
            return self.cursor()
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = PreparedCursor(self.connection)
            # As ``create_cursor`` does for Django's own cursors.
            timestamptz = self.connection.adapters.types["timestamptz"].oid
            loader = self.connection.adapters.get_loader(timestamptz, Format.TEXT)
            if self.timezone != loader.timezone:
                register_tzloader(self.timezone, cursor)
            return self._prepare_cursor(cursor)
