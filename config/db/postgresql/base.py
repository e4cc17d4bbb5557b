"""Django's PostgreSQL backend, with two savings on the reads every page makes.

**The health check, spent only where it can help.** With ``CONN_HEALTH_CHECKS`` Django
sends ``SELECT 1`` before the first query of every request that reuses a persistent
connection: a whole round trip to the server, about a tenth of what a catalogue page
costs under load. The check is there for a connection that died while it sat idle (the
server restarted, a proxy or firewall dropped it). A connection that answered a query
moments ago is not such a connection, so here it is checked only when its last answer
is older than ``HEALTHY_FOR`` seconds. A connection that failed during a request is
checked at the end of it as before (Django's ``errors_occurred``), whatever its age.

**Prepared statements for baked queries.** Django binds parameters on the client, so
the server parses and plans every statement afresh; for the piece page's read, planning
took three times as long as running it. ``prepared_cursor()`` binds on the server, so
psycopg prepares a statement on its fifth run on a connection and the server plans it
no more (``config.baked`` runs its queries on it). Integer parameters are sent as
``bigint`` whatever their size, so that one statement is one prepared statement and not
one per mix of small and large ids. Prepared statements live in the server session:
behind a pooler in transaction mode (PgBouncer) that pooler must support them (1.21+,
``max_prepared_statements``), or ``OPTIONS["prepare_threshold"]`` must be ``None``
(Django's default, and this project's with ``DJANGO_DB_PREPARED_STATEMENTS=0``), which
turns preparing off and leaves server-side binding alone.
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.utils.asyncio import async_unsafe
from psycopg.pq import Format
from psycopg.types.numeric import Int8


class PreparedCursor(base.ServerBindingCursor):
    """A cursor binding its parameters on the server, integers as ``bigint``."""

    def execute(self, query, params=None, **kwargs):
        if params:
            params = [Int8(p) if type(p) is int else p for p in params]
        return super().execute(query, params, **kwargs)


class DatabaseWrapper(base.DatabaseWrapper):
    #: Seconds after a query's answer during which the connection counts as healthy.
    HEALTHY_FOR = 1.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.answered_at: float | None = None
        self.execute_wrappers.append(self._note_answer)

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
            and time.monotonic() - self.answered_at < self.HEALTHY_FOR
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    @async_unsafe
    def prepared_cursor(self):
        """``cursor()``, binding on the server so that repeated statements are
        prepared: logged, counted and wrapped like any other cursor."""
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
