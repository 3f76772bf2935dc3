"""Writes a change makes and never reads back, held to the end of its transaction.

On PostgreSQL every statement is a round trip, and its parsing and the ORM's work around it
cost more CPU than most of these rows' own insert. Inside `clinic.events.feed_batch()` the
writes given here wait, and go out with the change's feed events as one statement (one
data-modifying CTE each) just before the commit; the database checks the foreign keys between
them when that statement ends. Elsewhere (SQLite, or outside a batch) they are written at once,
as the ORM would. Only give this what nothing in the same transaction reads afterwards: a held
row is not in the database until the batch ends.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection
from django.db.models import Model, QuerySet
from django.db.models.sql import UpdateQuery

from clinic.sql import bound, insert_sql


class Held:
    """The statements held so far, each the body of a named CTE with its parameters, in the
    order the CTEs are written."""

    def __init__(self) -> None:
        self.ctes: list[tuple[str, Sequence[Any]]] = []

    def add(self, sql: str, params: Sequence[Any]) -> str:
        """Hold a statement; returns its CTE's name, which a later one may read (RETURNING)."""
        name = f"held{len(self.ctes)}"
        self.ctes.append((f"{name} AS ({sql})", tuple(params)))
        return name

    def statement(self, cursor: Any, final: str) -> str:
        """All of them as one statement ending in `final` (a SELECT, which may read them),
        their values bound in (clinic.sql.bound): to send with no parameters."""
        ctes = ", ".join(bound(cursor, sql, params) for sql, params in self.ctes)
        return f"WITH {ctes} {final}"


_held: ContextVar[Held | None] = ContextVar("held_writes", default=None)


@contextmanager
def holding() -> Iterator[Held | None]:
    """Hold the writes given inside (on PostgreSQL); yields what was held, for the caller to
    send before its transaction commits. Nested blocks join the outer one (and yield None)."""
    if _held.get() is not None or connection.vendor != "postgresql":
        yield None
        return
    held = Held()
    token = _held.set(held)
    try:
        yield held
    finally:
        _held.reset(token)


def current() -> Held | None:
    """The block holding writes now, if any: a caller with a statement of its own to hold
    (several CTEs that read each other) adds it there, and writes it at once otherwise."""
    return _held.get()


def insert(*rows: Model) -> None:
    """Insert these rows (all of one model), held when a block is holding writes. A primary
    key the database assigns stays None on a held row."""
    held = _held.get()
    if held is None:
        for row in rows:
            row.save(force_insert=True)
        return
    held.add(*insert_sql(rows))
    for row in rows:
        row._state.adding, row._state.db = False, connection.alias


def update(queryset: QuerySet, **values: Any) -> None:
    """queryset.update(**values), held when a block is holding writes."""
    held = _held.get()
    if held is None:
        queryset.update(**values)
        return
    query = queryset.query.chain(UpdateQuery)
    assert isinstance(query, UpdateQuery)
    query.add_update_values(values)
    held.add(*query.get_compiler(connection=connection).as_sql())
