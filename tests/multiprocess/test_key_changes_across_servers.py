"""What each server remembers of API keys (clinic/access_epoch.py) never outlives a change:
two gunicorn servers on one PostgreSQL and one Redis have both answered a key (and so keep
it) before it is rotated, given an expiry, deleted or changed behind the ORM's back, and the
very next request to either sees the change (behind the ORM's back: after the maximum age)."""

import time
import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from clinic import access_epoch
from clinic.models import ApiKey, Branch
from clinic.services import api_key_create, api_key_rotate
from tests.multiprocess.servers import app_server, call, server_env

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

INTAKES = "/api/v1/intakes/"
QUESTIONNAIRE = "/api/v1/questionnaire/"  # answered to a key without an audit record
MAX_AGE = 4.0  # seconds (API_KEY_CACHE_MAX_AGE): short, for the write that bypasses signals


@pytest.fixture
def servers(tmp_path):
    """Two gunicorn servers on the test database, each with its own cache key prefix (what
    they remember must agree through the database's access epoch, not through the prefix)."""
    settings = connection.settings_dict
    database_url = (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    log = tmp_path / "servers.log"

    def env(name: str) -> dict[str, str]:
        return server_env(
            DATABASE_URL=database_url,
            CACHE_KEY_PREFIX=f"mp-{name}-{uuid.uuid4().hex}",
            API_KEY_CACHE_MAX_AGE=str(MAX_AGE),
            CLINIC_VAR_DIR=str(tmp_path),
        )

    with app_server(env("a"), log=log) as first, app_server(env("b"), log=log) as second:
        yield first, second
    assert "Traceback" not in log.read_text()


def epoch_in_redis() -> bytes | None:
    return access_epoch._client().get(access_epoch._key())


def statuses(servers, key: str, path: str = INTAKES, times: int = 1) -> list[int]:
    return [call(base, "GET", path, key).status for base in servers * times]


def test_a_rotated_key_stops_and_its_successor_works_on_both_servers(servers):
    api_key, old = api_key_create(branch_slug="north", name="rotating desk")
    assert statuses(servers, old, times=2) == [200] * 4

    _, new = api_key_rotate(api_key=api_key)

    assert statuses(servers, old) == [401, 401]
    assert statuses(servers, new) == [200, 200]


def test_an_expiry_set_in_the_past_stops_the_key_on_both_servers(servers):
    api_key, desk = api_key_create(branch_slug="north", name="expiring desk")
    api_key.expiry_date = timezone.now() + timedelta(days=1)
    api_key.save()
    assert statuses(servers, desk, times=2) == [200] * 4

    api_key.expiry_date = timezone.now() - timedelta(seconds=1)
    api_key.save(update_fields=["expiry_date"])

    assert statuses(servers, desk) == [401, 401]


def test_a_key_expiring_while_remembered_stops_when_it_expires(servers):
    # Nothing is written when a key reaches its expiry: it is checked on every request.
    api_key, desk = api_key_create(branch_slug="north", name="short-lived desk")
    api_key.expiry_date = timezone.now() + timedelta(seconds=2)
    api_key.save()
    assert statuses(servers, desk, QUESTIONNAIRE, times=2) == [200] * 4

    time.sleep(max(0.0, (api_key.expiry_date - timezone.now()).total_seconds()) + 0.1)

    assert statuses(servers, desk, QUESTIONNAIRE) == [401, 401]


def test_a_deleted_key_stops_on_both_servers(servers):
    # A key that sent anything audited is kept for its records (PROTECT): this one only read
    # the questionnaire.
    api_key, desk = api_key_create(branch_slug="north", name="deleted desk")
    assert statuses(servers, desk, QUESTIONNAIRE, times=2) == [200] * 4

    ApiKey.objects.filter(pk=api_key.pk).delete()  # (the signals are sent for each row)

    assert statuses(servers, desk, QUESTIONNAIRE) == [401, 401]


def test_a_branch_edit_moves_the_epoch_both_servers_read(servers):
    _, desk = api_key_create(branch_slug="north", name="renamed branch desk")
    assert statuses(servers, desk, times=2) == [200] * 4
    before = epoch_in_redis()

    branch = Branch.objects.get(slug="north")
    branch.name = "North (renamed)"
    branch.save()

    assert epoch_in_redis() not in (before, None)
    assert statuses(servers, desk) == [200, 200]


def test_after_redis_is_flushed_the_next_request_reads_the_database(servers):
    api_key, desk = api_key_create(branch_slug="north", name="flushed desk")
    assert statuses(servers, desk, times=2) == [200] * 4
    # Revoked behind the ORM's back (no signal, no new epoch), then Redis loses everything.
    ApiKey.objects.filter(pk=api_key.pk).update(revoked=True)
    cache.clear()  # FLUSHDB: the access epoch is gone

    assert statuses(servers, desk) == [401, 401]


def test_a_write_that_bypasses_the_signals_is_seen_after_the_maximum_age(servers):
    api_key, desk = api_key_create(branch_slug="north", name="updated desk")
    started = time.monotonic()
    assert statuses(servers, desk, times=2) == [200] * 4
    remembered_by = time.monotonic()  # each server read the key between the two

    ApiKey.objects.filter(pk=api_key.pk).update(revoked=True)  # no signal: no new epoch

    # What each server remembers is used until it is MAX_AGE old (docs/operators.md says so),
    seen = statuses(servers, desk)
    if time.monotonic() - started < MAX_AGE - 1:  # (a machine that stalled proves nothing)
        assert seen == [200, 200]
    time.sleep(max(0.0, remembered_by + MAX_AGE + 0.5 - time.monotonic()))
    # and no longer.
    assert statuses(servers, desk) == [401, 401]
