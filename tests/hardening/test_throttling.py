"""Too many requests from one caller get 429 with Retry-After; other callers are unaffected."""

import pytest

from tests.api.helpers import INTAKES
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
