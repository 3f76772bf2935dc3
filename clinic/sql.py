"""SQL Django would send, held as text. The INSERT for some rows, to build a larger statement
around: a data-modifying CTE, or a statement sent with another in one round trip (hot paths
use it where one statement can do what the ORM does in two or three); such a statement's
pieces with their values bound in (`bound`). And an expression compiled once, for a query
that repeats it on every request (`precompiled`)."""

from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model
from django.db.models.constants import OnConflict
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery, Query

# The SQL of a one-row INSERT depends only on the model and the options, never on the row's
# values (they are parameters): compiling it was a tenth of an intake POST's CPU, so it is
# compiled once per model and options, and each call works out only the values.
_ONE_ROW: dict[tuple[Any, ...], str] = {}


def insert_sql(
    rows: Sequence[Model], *, ignore_conflicts: bool = False, returning: Sequence[str] = ()
) -> tuple[str, tuple[Any, ...]]:
    """One INSERT of `rows` (all of one model), with Django's own column values and
    defaults. A primary key the database assigns is left to it; `returning` names the fields
    of RETURNING, `ignore_conflicts` adds ON CONFLICT DO NOTHING."""
    # The connection itself: `django.db.connection` is a proxy that looks it up again on
    # every attribute the compiler reads.
    connection = connections[DEFAULT_DB_ALIAS]
    model = type(rows[0])
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.db_returning)]
    query = InsertQuery(model, on_conflict=OnConflict.IGNORE if ignore_conflicts else None)
    query.insert_values(fields, list(rows))
    compiler = query.get_compiler(connection=connection)
    if returning:
        compiler.returning_fields = [model._meta.get_field(name) for name in returning]
    key = (model, ignore_conflicts, tuple(returning), connection.vendor)
    if len(rows) == 1 and not any(hasattr(field, "get_placeholder") for field in fields):
        sql = _ONE_ROW.get(key)
        if sql is None:
            [(sql, _)] = compiler.as_sql()
            _ONE_ROW[key] = sql
        values = _values(compiler, fields, rows[0])
        if not any(hasattr(value, "as_sql") for value in values):  # plain values: "%s" each
            return sql, values
    [(sql, params)] = compiler.as_sql()
    return sql, tuple(params)


def _values(compiler: Any, fields: list[Field], row: Model) -> tuple[Any, ...]:
    """The row's values as SQLInsertCompiler.as_sql sends them (defaults and auto_now
    filled in on the row, as saving it would)."""
    return tuple(compiler.prepare_value(f, compiler.pre_save_val(f, row)) for f in fields)


def bound(cursor: Any, sql: str, params: Sequence[Any]) -> str:
    """`sql` with `params` bound in as literals, exactly as psycopg's client-side binding (the
    one Django uses) would send them: a piece of a larger statement sent with no parameters.
    psycopg remembers how it split a statement at its placeholders only for statements of up
    to 4 KB with up to 50 parameters; a write's held statement (clinic.held_writes) is larger,
    and splitting it anew on every request was among the top frames of an intake POST's
    profile. Its pieces, bound one by one, are each small enough to be remembered."""
    return cursor.cursor.mogrify(sql, params)


def precompiled(model: type[Model], expression: Any) -> RawSQL:
    """`expression` (a correlated subquery, say) as the SQL it compiles to in a query of
    `model`, held as text: compiling a subquery with a JSON object of its columns took a
    fifth of a list page's CPU, on every page, for a text that never changes. Only for a
    query whose base table is `model`'s, not itself nested in another (the text names the
    outer table as Django does there: by its own name)."""
    connection = connections[DEFAULT_DB_ALIAS]
    query = Query(model)
    query.get_initial_alias()
    resolved = expression.resolve_expression(query, allow_joins=False)
    sql, params = query.get_compiler(connection=connection).compile(resolved)
    # The text is what Django compiled; the values stay parameters.
    return RawSQL(sql, tuple(params), output_field=resolved.output_field)  # noqa: S611
