"""Batch work (the reminder pass) in statements whose cost does not grow per value.

With a thousand rows or ids per statement, the ORM and the driver spend more on a
placeholder per value than the database spends on the rows. On PostgreSQL these send
them as one parameter instead: rows as JSON unpacked by ``jsonb_to_recordset``, ids as an
array for ``= ANY``. Elsewhere (the SQLite demo) plain ``VALUES`` and ``IN`` lists.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence

from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models.lookups import In
from django.utils import timezone


class AnyOf(In):
    """``field__any_of=ids``: ``__in`` with the ids as one array parameter on PostgreSQL.

    A thousand ids in an ``IN (...)`` list cost the ORM, the driver and the planner about
    four times what ``= ANY(%s)`` with one array costs. For values the database backend
    does not convert, such as integer ids. Registered on every field by the clinic app.
    """

    lookup_name = "any_of"

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return self.as_sql(compiler, connection)
        values = [value for value in dict.fromkeys(self.rhs) if value is not None]
        if not values:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, values)


def rows_insert_new(
    model: type[models.Model], rows: list[dict], *, returning: Sequence[str] = ()
) -> list[tuple]:
    """Insert `rows` (dicts by field attname) with ``ON CONFLICT DO NOTHING``.

    Every row names the same fields, with values JSON can carry (dates and times too).
    Fields left out take their default (``auto_now``/``auto_now_add``: now), as with
    ``Model.objects.create``. Return the database's values of the `returning` fields for
    the rows inserted; rows that conflicted are not returned. One statement on PostgreSQL
    whatever the number of rows.
    """
    if not rows:
        return []
    meta = model._meta
    given = [meta.get_field(name) for name in rows[0]]
    left_out = [
        field
        for field in meta.concrete_fields
        if not field.primary_key and field.attname not in rows[0]
    ]
    defaults = [field.get_db_prep_save(_default(field), connection) for field in left_out]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(field.column) for field in given + left_out)
    suffix = " ON CONFLICT DO NOTHING"
    if returning:
        suffix += " RETURNING " + ", ".join(
            quote(meta.get_field(name).column) for name in returning
        )

    if connection.vendor == "postgresql":
        record = ", ".join(f"{quote(field.attname)} {field.db_type(connection)}" for field in given)
        selected = ", ".join([quote(field.attname) for field in given] + ["%s"] * len(defaults))
        statements = [
            (
                f"INSERT INTO {table} ({columns}) SELECT {selected} "
                f"FROM jsonb_to_recordset(%s::jsonb) AS r({record}){suffix}",
                [*defaults, json.dumps(rows, default=_json_value)],
            )
        ]
    else:
        # As many rows per statement as the database takes parameters (SQLite: 999).
        width = len(given) + len(left_out)
        size = (connection.features.max_query_params or len(rows) * width) // width
        statements = []
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            params = []
            for row in chunk:
                params += [
                    field.get_db_prep_save(row[field.attname], connection) for field in given
                ]
                params += defaults
            values = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(chunk))
            statements.append((f"INSERT INTO {table} ({columns}) VALUES {values}{suffix}", params))
    inserted: list[tuple] = []
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            if returning:
                inserted += [tuple(row) for row in cursor.fetchall()]
    return inserted


def _default(field: models.Field):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now()
    return field.get_default()


def _json_value(value):
    # Dates and times as ISO 8601, which PostgreSQL reads back into date and timestamptz.
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    raise TypeError(f"Cannot send {type(value).__name__} as JSON.")
