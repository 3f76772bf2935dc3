"""The SQL statements a measured request may make, committed in `query_counts.json`.

The file maps a stable name per measured request to its count on each database (PostgreSQL
takes the change feed's advisory lock, one more statement than SQLite). A test measures with
`counted_queries(name)` and compares with `expected_queries(name)`, so a request that gains or
loses a query fails until the file is regenerated, which is one command:

    make query-counts                                   # SQLite
    DATABASE_URL=postgres://... REDIS_URL=redis://... make query-counts   # PostgreSQL

PostgreSQL's counts are with Redis, as .ci/run runs it: there a process reads an API key once
and remembers it (clinic/access_epoch.py), so a request with a key already used reads no key.

With QUERY_COUNTS=record (what the target sets) each measurement writes the count it saw into
the file for the database in use, and `expected_queries` returns what was recorded.
"""

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext

PATH = Path(__file__).with_name("query_counts.json")
RECORDING = os.environ.get("QUERY_COUNTS") == "record"


def _load() -> dict[str, dict[str, int]]:
    return json.loads(PATH.read_text())


def expected_queries(name: str) -> int:
    """The committed count of the request `name` on the database in use."""
    try:
        return _load()[name][connection.vendor]
    except KeyError:
        raise KeyError(
            f"{PATH.name} has no count for {name!r} on {connection.vendor}: "
            "run `make query-counts` to record it"
        ) from None


@contextmanager
def counted_queries(name: str) -> Iterator[CaptureQueriesContext]:
    """Capture the statements run inside; when recording, store their count under `name`.
    What Django asks a connection once in its life is asked before: on SQLite whether it
    can write JSON (a statement, the first time a query builds a JSON object), which would
    otherwise be counted against whichever request came first."""
    _ = connection.features.supports_json_field
    with CaptureQueriesContext(connection) as captured:
        yield captured
    if RECORDING:
        counts = _load() if PATH.exists() else {}
        counts.setdefault(name, {})[connection.vendor] = len(captured)
        PATH.write_text(json.dumps(counts, indent=2, sort_keys=True) + "\n")
