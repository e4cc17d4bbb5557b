"""Hot reads whose SQL is compiled once per process ("baked" queries).

Django compiles a QuerySet to SQL every time it is evaluated, and for a read that the
database answers from an index in a fraction of a millisecond the compiling costs more
than the answer. A :class:`Baked` query is written as an ordinary ``values_list``
QuerySet; it is compiled once per database and shape with stand-ins for its
arguments, and each run executes the kept SQL with the real values in their places and
converts the rows as the ORM would. The queries run through Django's cursor, so they
are logged, counted and wrapped like any other.

A stand-in that the compiled SQL does not carry as a parameter exactly where the
argument was given (an argument folded into the SQL text, or transformed on the way)
is refused when the query is baked, so a query that cannot be baked fails at once,
in its tests, instead of running with the wrong values.

On PostgreSQL the statements are prepared and bind their parameters on the server
(``config.db.postgresql``): each parameter takes its type from where it stands (a
column it is compared with, or a cast), and integers are sent as ``bigint``. A
parameter with no such place (``%s IS NULL``) or given to a function taking ``int``
fails there, and in the PostgreSQL run of the tests.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connections
from django.db.models import QuerySet

# Stand-ins: values no caller passes (negative ids, text starting with a NUL, which the
# project refuses in every input), each unique so that its place can be found.
_FIRST_STAND_IN = -(10**15)
_NOTHING = object()


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    places: dict[str, list[tuple[int, int | None]]]  # argument -> (param, item) places
    compiler: object
    converters: dict


class Baked:
    """``build(**arguments)`` -> a ``values_list`` QuerySet, compiled once per database
    and shape; ``rows(**arguments)`` runs it. An argument is an int, a str or a list
    of ints (whose length is part of the shape)."""

    def __init__(self, build: Callable[..., QuerySet]):
        self.build = build
        self._compiled: dict[Hashable, _Compiled] = {}
        self._lock = threading.Lock()

    def rows(self, *, using: str = "default", shape: Hashable = (), **arguments):
        connection = connections[using]
        key = (
            using,
            connection.vendor,
            connection.settings_dict["NAME"],
            shape,
            tuple(
                (name, len(value) if isinstance(value, list | tuple) else None)
                for name, value in sorted(arguments.items())
            ),
        )
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compile(using, arguments)
            with self._lock:
                self._compiled[key] = compiled
        if compiled is _NOTHING:
            return []
        params = list(compiled.params)
        for name, places in compiled.places.items():
            value = arguments[name]
            for param, item in places:
                params[param] = value if item is None else value[item]
        # Prepared where the backend offers it (config.db.postgresql): run again and
        # again, a baked query is then planned once per connection.
        cursor_of = getattr(connection, "prepared_cursor", connection.cursor)
        with cursor_of() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        return rows

    def _compile(self, using: str, arguments: dict):
        counter = itertools.count()
        stand_ins: dict[str, object] = {}
        for name, value in arguments.items():
            stand_ins[name] = _stand_in_like(value, counter)
        queryset = self.build(**stand_ins)
        compiler = queryset.query.get_compiler(using=using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # this shape matches nothing (``pk__in=[]``)
            return _NOTHING
        places: dict[str, list[tuple[int, int | None]]] = {}
        for name, stand_in in stand_ins.items():
            items = stand_in if isinstance(stand_in, list) else [stand_in]
            for item, one in enumerate(items):
                found = [n for n, param in enumerate(params) if param == one]
                if not found:
                    raise ImproperlyConfigured(
                        f"A baked query does not carry its argument {name!r} as a "
                        "parameter: it cannot be baked."
                    )
                places.setdefault(name, []).extend(
                    (n, item if isinstance(stand_in, list) else None) for n in found
                )
        taken = {n for found in places.values() for n, _ in found}
        if any(_is_stand_in(p) for n, p in enumerate(params) if n not in taken):
            raise ImproperlyConfigured(
                "A baked query carries a stand-in it cannot place."
            )
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(fields)
        return _Compiled(sql, tuple(params), places, compiler, converters)


def _stand_in_like(value, counter) -> object:
    if isinstance(value, bool):
        raise TypeError("A baked query's arguments are ints, strs or lists of ints.")
    if isinstance(value, int):
        return _FIRST_STAND_IN - next(counter)
    if isinstance(value, str):
        return f"\x00baked:{next(counter)}"
    if isinstance(value, Sequence):
        return [_stand_in_like(int(item), counter) for item in value]
    raise TypeError("A baked query's arguments are ints, strs or lists of ints.")


def _is_stand_in(param) -> bool:
    if isinstance(param, int) and not isinstance(param, bool):
        return param <= _FIRST_STAND_IN
    return isinstance(param, str) and param.startswith("\x00baked:")
