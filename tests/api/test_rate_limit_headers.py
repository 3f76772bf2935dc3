"""Every response to a caller with credentials says where their allowance stands
(`RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`), not only the 429."""

import pytest

from tests.api.helpers import INTAKES

NAMES = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


@pytest.fixture
def low_rates(settings):
    settings.THROTTLE_RATES = {"caller": "3/min", "anonymous": "2/min"}


def _allowance(response) -> tuple[int, int, int]:
    limit, remaining, reset = (int(response[name]) for name in NAMES)
    return limit, remaining, reset


def test_each_answer_to_a_key_counts_down_its_allowance(api, low_rates):
    seen = [_allowance(api.get(INTAKES))[:2] for _ in range(3)]

    assert seen == [(3, 2), (3, 1), (3, 0)]


def test_the_reset_is_within_the_window(api, low_rates):
    _, _, reset = _allowance(api.get(INTAKES))

    assert 0 < reset <= 60


def test_a_429_says_none_remain(api, low_rates):
    for _ in range(3):
        api.get(INTAKES)

    response = api.get(INTAKES)

    assert response.status_code == 429
    assert _allowance(response)[:2] == (3, 0)
    assert 0 < _allowance(response)[2] <= 60


def test_an_error_after_authentication_carries_them_too(api, low_rates):
    response = api.get(INTAKES, {"no_such_filter": "1"})

    assert response.status_code == 400
    assert _allowance(response)[:2] == (3, 2)


def test_a_refusal_before_counting_tells_the_allowance_without_using_it(receptionist, low_rates):
    receptionist.get(INTAKES)

    response = receptionist.get("/api/v1/audit-events/")  # clinic admins only

    assert response.status_code == 403
    assert _allowance(response)[:2] == (3, 2)  # the 403 was not counted


def test_a_signed_in_person_gets_them(clinician):
    response = clinician.get(INTAKES)

    assert response.status_code == 200
    assert int(response["RateLimit-Limit"]) > 0


def test_no_credentials_no_allowance_headers(anonymous, db):
    response = anonymous.get(INTAKES)

    assert response.status_code == 401
    assert not any(response.has_header(name) for name in NAMES)
