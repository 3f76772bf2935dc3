"""Queries that repeat, planned once per database connection (PostgreSQL's PREPARE).

A list page's query is long (its count, the latest referral and the review flag are subqueries
in it) and the same on every request for the same caller, page and filters, yet PostgreSQL
parsed and planned it anew each time: replayed with pgbench, 1.1-1.3 ms per page sent as text,
0.8 ms prepared. Inside `prepared()`, a query whose exact
text (values bound in, as Django sends it) this connection has already sent once is prepared
under a name and executed by that name from then on. The text is the key: a different caller,
filter or page is a different statement, and a text seen only once is sent as it is.

Prepared statements belong to the database session, so this needs each Django connection to
keep its own server session, as a direct connection does; behind a pooler that hands each
transaction to any server session (PgBouncer's transaction mode) set DB_PREPARED_STATEMENTS=0.
A statement prepared in a transaction that rolls back stays prepared (PREPARE is not
transactional); PostgreSQL plans it again by itself when a table it reads changes.
"""

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

# Per connection, at most this many statements stay prepared (the least recently used is
# deallocated) and this many texts seen once are remembered.
MAX_PREPARED = 32
MAX_SEEN = 64


class _Statements:
    """What one server session has prepared, and the texts it has seen once."""

    def __init__(self, session: Any) -> None:
        self.session = session  # the psycopg connection these belong to
        self.names: OrderedDict[str, str] = OrderedDict()
        self.seen: OrderedDict[str, None] = OrderedDict()
        self.made = 0


@contextmanager
def prepared() -> Iterator[None]:
    """Run the queries inside as prepared statements once their text repeats (PostgreSQL;
    elsewhere, or with DB_PREPARED_STATEMENTS off, they are sent as they are)."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql" or not settings.DB_PREPARED_STATEMENTS:
        yield
        return
    with connection.execute_wrapper(_by_name):
        yield


def _by_name(execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    cursor = context["cursor"].cursor  # psycopg's client-side binding cursor
    if many:
        return execute(sql, params, many, context)
    text = sql if params is None else cursor.mogrify(sql, params)
    statements = _statements(context["connection"], cursor.connection)
    name = statements.names.get(text)
    if name is None:
        if text not in statements.seen:
            statements.seen[text] = None
            if len(statements.seen) > MAX_SEEN:
                statements.seen.popitem(last=False)
            return execute(sql, params, many, context)
        if len(statements.names) >= MAX_PREPARED:
            _, oldest = statements.names.popitem(last=False)
            execute(f"DEALLOCATE {oldest}", None, False, context)
        statements.made += 1
        name = f"clinic_prepared_{statements.made}"
        execute(f"PREPARE {name} AS {text}", None, False, context)
        del statements.seen[text]
        statements.names[text] = name
    else:
        statements.names.move_to_end(text)
    return execute(f"EXECUTE {name}", None, many, context)


def _statements(connection: Any, session: Any) -> _Statements:
    # Kept on Django's connection (one per thread), for the server session it has now: a
    # connection opened again is a new session, with nothing prepared.
    statements = getattr(connection, "_clinic_prepared", None)
    if statements is None or statements.session is not session:
        statements = _Statements(session)
        connection._clinic_prepared = statements
    return statements
