"""A list page that repeats on one database connection is planned once (clinic.prepared): the
second time its exact text is sent it is prepared, and from then on executed by name. Prepared
or not, a page shows the data as it is at that moment, and only what the caller may see; the
statements a connection keeps stay bounded; and the setting turns it off."""

import pytest
from django.db import connection

from clinic.prepared import MAX_PREPARED
from tests.api.helpers import INTAKES
from tests.reviews.helpers import EMERGENCY, create_intake

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


def _prepared() -> set[str]:
    """The names of the statements this server session holds prepared by us."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'clinic_%%'")
        return {name for (name,) in cursor.fetchall()}


def _page(client, **query) -> dict:
    response = client.get(INTAKES, query)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_page_sent_twice_is_prepared_once_then_run_by_name(api):
    create_intake(api, "MRN-1")
    before = _prepared()
    first = _page(api)
    assert _prepared() == before  # seen once: sent as it is
    second = _page(api)
    prepared = _prepared() - before
    assert len(prepared) == 1
    third = _page(api)
    assert _prepared() - before == prepared  # run by its name, not prepared again
    assert first == second == third
    assert first["count"] == 1


def test_a_prepared_page_shows_what_changed_since(api, other_api):
    create_intake(api, "MRN-1")
    _page(api)
    _page(api)  # now prepared
    new = create_intake(api, "MRN-2", **EMERGENCY)
    page = _page(api)
    assert page["count"] == 2
    assert page["results"][0]["id"] == new["id"]
    # Another branch's reception system, on the same connection: its own statement, its own
    # intakes only.
    create_intake(other_api, "SOUTH-1")
    for _ in range(3):
        south = _page(other_api)
        assert south["count"] == 1
        assert south["results"][0]["patient"]["external_id"] == "SOUTH-1"


def test_a_connection_keeps_a_bounded_number_of_statements(api):
    create_intake(api, "MRN-1")
    sizes = range(1, MAX_PREPARED + 11)
    for size in sizes:
        for _ in range(2):
            page = _page(api, page_size=size)
            assert page["count"] == 1
    assert 0 < len(_prepared()) <= MAX_PREPARED
    # The earliest were given up for later ones: sent again, they are prepared afresh and
    # still answer right.
    for _ in range(3):
        assert _page(api, page_size=1)["count"] == 1
    assert len(_prepared()) <= MAX_PREPARED


def test_turned_off_nothing_is_prepared(api, settings):
    settings.DB_PREPARED_STATEMENTS = False
    create_intake(api, "MRN-1")
    before = _prepared()
    for _ in range(3):
        assert _page(api, page_size=7)["count"] == 1
    assert _prepared() == before
