"""What one process remembers of the API keys it has read (clinic/access_epoch.py): only on
Redis, never past a change, a flushed or failing Redis, or the maximum age. (Across two
server processes: tests/multiprocess/test_key_changes_across_servers.py.)"""

import logging
import time
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIClient

from clinic import access_epoch
from clinic.models import ApiKey
from clinic.services import api_key_create
from tests.conftest import branch_on

QUESTIONNAIRE = "/api/v1/questionnaire/"  # a key's cheapest request


@pytest.fixture
def desk(db) -> tuple[ApiKey, APIClient]:
    branch_on("north")
    api_key, key = api_key_create(branch_slug="north", name="north desk")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return api_key, client


@pytest.fixture
def on_redis():
    if not isinstance(caches["default"], RedisCache):
        pytest.skip("needs REDIS_URL (the default cache on Redis)")


def key_reads(client: APIClient, path: str = QUESTIONNAIRE) -> tuple[int, int]:
    """One request's status, and how many times it read an API key from the database."""
    with CaptureQueriesContext(connection) as queries:
        status = client.get(path).status_code
    return status, sum('FROM "clinic_apikey"' in q["sql"] for q in queries.captured_queries)


def test_without_redis_every_request_reads_its_key(desk, settings):
    # The development cache is one process's memory: it could not tell another process that
    # a key was revoked, so nothing is remembered.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    _, client = desk

    assert [key_reads(client) for _ in range(3)] == [(200, 1)] * 3


def test_on_redis_a_key_is_read_once_then_remembered(desk, on_redis):
    _, client = desk

    assert [key_reads(client) for _ in range(3)] == [(200, 1), (200, 0), (200, 0)]


def test_a_remembered_key_still_needs_its_secret(desk, on_redis):
    api_key, client = desk
    assert key_reads(client) == (200, 1)
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key.prefix}.{'x' * 32}")

    assert key_reads(wrong) == (401, 0)  # remembered, and refused: the hash is checked


def test_a_remembered_key_is_refused_once_it_expires(desk, on_redis):
    api_key, client = desk
    api_key.expiry_date = timezone.now() + timedelta(milliseconds=500)
    api_key.save()
    assert key_reads(client) == (200, 1)
    assert key_reads(client) == (200, 0)

    time.sleep(0.6)

    assert key_reads(client) == (401, 0)  # nothing was written: the expiry is checked


def test_a_change_made_in_this_process_is_seen_before_it_commits(desk, on_redis):
    # (The test's transaction never commits; this process forgets at the save itself.)
    api_key, client = desk
    assert key_reads(client) == (200, 1)

    api_key.revoked = True
    api_key.save()

    assert key_reads(client) == (401, 1)


def test_a_committed_change_moves_the_epoch_every_process_reads(
    desk, on_redis, django_capture_on_commit_callbacks
):
    api_key, _ = desk
    before = access_epoch._client().get(access_epoch._key())

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        api_key.name = "renamed desk"
        api_key.save()

    assert len(callbacks) == 1
    assert access_epoch._client().get(access_epoch._key()) not in (before, None)


def test_after_redis_is_flushed_the_next_request_reads_the_database(desk, on_redis):
    api_key, client = desk
    assert key_reads(client) == (200, 1)
    ApiKey.objects.filter(pk=api_key.pk).update(revoked=True)  # no signal: no new epoch

    caches["default"].clear()  # FLUSHDB: the epoch is gone

    assert key_reads(client) == (401, 1)


class _FailingRedis:
    def get(self, *args, **kwargs):
        raise RedisConnectionError("Redis is down (as the test has it)")

    set = get


def test_while_the_epoch_cannot_be_read_every_request_reads_its_key(
    desk, on_redis, monkeypatch, caplog
):
    api_key, client = desk
    assert key_reads(client) == (200, 1)
    assert key_reads(client) == (200, 0)
    monkeypatch.setattr(access_epoch, "_client", _FailingRedis)

    with caplog.at_level(logging.WARNING, logger="clinic.access_epoch"):
        assert key_reads(client) == (200, 1)
        ApiKey.objects.filter(pk=api_key.pk).update(revoked=True)  # (unannounced)
        assert key_reads(client) == (401, 1)

    assert "access epoch unreadable" in caplog.text


def test_a_change_commits_even_if_the_epoch_cannot_be_moved(
    desk, on_redis, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    api_key, _ = desk
    monkeypatch.setattr(access_epoch, "_client", _FailingRedis)

    with (
        caplog.at_level(logging.ERROR, logger="clinic.access_epoch"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        api_key.name = "renamed desk"
        api_key.save()

    assert ApiKey.objects.get(pk=api_key.pk).name == "renamed desk"
    assert "access epoch not moved" in caplog.text


def test_a_write_that_bypasses_the_signals_is_seen_after_the_maximum_age(desk, on_redis, settings):
    settings.API_KEY_CACHE_MAX_AGE = 0.3
    api_key, client = desk
    assert key_reads(client) == (200, 1)
    ApiKey.objects.filter(pk=api_key.pk).update(revoked=True)  # no signal: no new epoch

    time.sleep(0.4)

    assert key_reads(client) == (401, 1)


def test_a_maximum_age_of_zero_remembers_nothing(desk, on_redis, settings):
    settings.API_KEY_CACHE_MAX_AGE = 0
    _, client = desk

    assert [key_reads(client) for _ in range(2)] == [(200, 1)] * 2
