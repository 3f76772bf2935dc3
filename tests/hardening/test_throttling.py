"""Too many requests from one caller get 429 with Retry-After; other callers are unaffected."""

import pytest

from tests.api.helpers import INTAKES, post_json
from tests.conftest import key_client


@pytest.fixture
def low_rates(settings):
    settings.THROTTLE_RATES = {"caller": "3/min", "anonymous": "2/min"}


def test_an_api_key_over_its_rate_gets_429_with_retry_after(api, low_rates):
    statuses = [api.get(INTAKES).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = api.get(INTAKES)
    assert int(response["Retry-After"]) > 0
    assert response.json()["status"] == 429


def test_another_key_keeps_its_own_allowance(api, low_rates, db):
    for _ in range(4):
        api.get(INTAKES)

    assert key_client("north").get(INTAKES).status_code == 200


def test_a_signed_in_person_is_counted_per_person(clinician, receptionist, low_rates):
    statuses = [clinician.get(INTAKES).status_code for _ in range(4)]

    assert statuses[-1] == 429
    assert receptionist.get(INTAKES).status_code == 200


def test_calls_without_credentials_are_counted_per_address(anonymous, low_rates, db):
    statuses = [anonymous.get(INTAKES).status_code for _ in range(3)]

    assert statuses == [401, 401, 429]


TOKENS = "/api/v1/auth/tokens/"


@pytest.fixture
def sign_in_limits_out_of_the_way(settings):
    # These tests are about the request throttle; the sign-in guard must not answer first.
    settings.SIGN_IN_MAX_FAILURES_PER_ACCOUNT = 10_000
    settings.SIGN_IN_MAX_FAILURES_PER_ADDRESS = 10_000


def _guess(anonymous, n: int, **headers):
    body = {"username": "dr.north", "password": f"guess-{n}"}
    return post_json(anonymous, TOKENS, body, **headers)


def test_a_forged_forwarded_for_per_request_does_not_escape_the_count(
    anonymous, low_rates, sign_in_limits_out_of_the_way, db
):
    statuses = [
        _guess(anonymous, n, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(4)
    ]

    assert statuses == [400, 400, 429, 429]


def test_behind_one_trusted_proxy_the_address_it_saw_is_counted(
    anonymous, low_rates, sign_in_limits_out_of_the_way, settings, db
):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client writes whatever it likes on the left; the proxy appends what it saw.
    same_client = [
        _guess(anonymous, n, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 192.0.2.7").status_code
        for n in range(3)
    ]
    another_client = _guess(anonymous, 9, HTTP_X_FORWARDED_FOR="198.51.100.1, 192.0.2.8")

    assert same_client == [400, 400, 429]
    assert another_client.status_code == 400


def test_on_redis_a_caller_is_counted_in_one_list_of_request_times(api, low_rates):
    # The scripted count (clinic.api.throttling): plain numbers in a Redis list, nothing
    # pickled; the development cache (no Redis) counts the DRF way, tested above.
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        pytest.skip("needs Redis (REDIS_URL): the PostgreSQL run of make test has it")
    api.get(INTAKES)
    api.get(INTAKES)

    client = backend._cache.get_client(write=True)
    [key] = client.keys(backend.make_key("throttle_caller_*"))
    times = [float(value) for value in client.lrange(key, 0, -1)]
    assert client.type(key) == b"list"
    assert len(times) == 2 and times[0] >= times[1]
    assert 0 < client.ttl(key) <= 60
