"""Query expressions that Django does not ship, for both databases."""

from __future__ import annotations

import json

from django.db import NotSupportedError
from django.db.models import Subquery, TextField


class JSONRows(Subquery):
    """A ``values_list`` subquery's rows as one JSON text in the outer row: an array of
        arrays, each row's columns in the subquery's order (``[]`` when it has none), as JSON gives
    them: numbers and text, not the model fields' Python types.

        The outer query reads a few rows of another table without a statement of its own.
        The subquery's own ordering and slice hold; the rows are aggregated as the ordered,
        limited subquery gives them. ``JSONRows.load`` turns the text back into tuples.
    """

    def __init__(self, queryset, **extra):
        super().__init__(queryset, output_field=TextField(), **extra)

    def as_sql(self, compiler, connection, template=None, **extra_context):
        connection.ops.check_expression_support(self)
        inner = self.query.get_compiler(connection=connection)
        sql, params = inner.as_sql(with_col_aliases=True)
        quote = connection.ops.quote_name
        columns = ", ".join(f"r.{quote(alias)}" for _, _, alias in inner.select)
        if connection.vendor == "postgresql":
            rows = f"COALESCE(json_agg(json_build_array({columns})), '[]')::text"
        elif connection.vendor == "sqlite":
            rows = f"json_group_array(json_array({columns}))"
        else:
            raise NotSupportedError(f"JSONRows on {connection.vendor}")
        return f"(SELECT {rows} FROM ({sql}) r)", params  # noqa: S608 - compiled SQL

    @staticmethod
    def load(text: str | None) -> list[tuple]:
        return [tuple(row) for row in json.loads(text or "[]")]
