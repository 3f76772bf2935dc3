"""The INSERT Django would send for some rows, as SQL to build a larger statement around: a
data-modifying CTE, or a statement sent with another in one round trip. Hot paths use it
where one statement can do what the ORM does in two or three."""

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery


def insert_sql(
    rows: Sequence[Model], *, ignore_conflicts: bool = False, returning: Sequence[str] = ()
) -> tuple[str, tuple[Any, ...]]:
    """One INSERT of `rows` (all of one model), with Django's own column values and
    defaults. A primary key the database assigns is left to it; `returning` names the fields
    of RETURNING, `ignore_conflicts` adds ON CONFLICT DO NOTHING."""
    model = type(rows[0])
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.db_returning)]
    query = InsertQuery(model, on_conflict=OnConflict.IGNORE if ignore_conflicts else None)
    query.insert_values(fields, list(rows))
    compiler = query.get_compiler(connection=connection)
    if returning:
        compiler.returning_fields = [model._meta.get_field(name) for name in returning]
    [(sql, params)] = compiler.as_sql()
    return sql, tuple(params)
