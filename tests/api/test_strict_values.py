"""Where the schema says string, only a JSON string; where it says date, only YYYY-MM-DD.

DRF on its own stores the number 5 sent as a review's reason as the text "5", and reads
19840309, 1984-W10-5 or 1984-3-9 as a date of birth. Every input of the API is taken as sent
or refused with the field named: a clinical record must not hold a guess.
"""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from clinic.models import ApiKey, StaffRole
from referrals.models import ReferralHistory
from tests.api.helpers import EVALUATE, INTAKES, post_json
from tests.conftest import intake_body, staff_client
from tests.reviews.helpers import URGENT_GP, create_intake, review
from triage.models import Patient, Review

MARKER = "ZZ-SECRET-VALUE-123"
TOKENS = "/api/v1/auth/tokens/"
KEYS = "/api/v1/api-keys/"
STAFF = "/api/v1/staff-roles/"


def codes_by_field(response) -> dict[str, str]:
    return {error["field"]: error["code"] for error in response.json()["errors"]}


def with_birth_date(value: Any) -> dict:
    body = intake_body()
    body["patient"]["date_of_birth"] = value
    return body


@pytest.fixture
def clinic_admin(db) -> APIClient:
    return staff_client("admin.north", "north", "clinic_admin")


# Dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "19840309",  # ISO 8601 basic format
        "1984-W10-5",  # a week date
        "1984-3-9",  # one-digit month and day
        "1984-03-9",
        "\uff11\uff19\uff18\uff14-03-09",  # fullwidth digits
        "1984-03-09\n",
    ],
    ids=["basic", "week", "short", "short-day", "fullwidth", "newline"],
)
@pytest.mark.parametrize("url", [INTAKES, EVALUATE])
def test_a_date_of_birth_not_written_yyyy_mm_dd_is_refused(api, url, value):
    response = post_json(api, url, with_birth_date(value))

    assert response.status_code == 400, response.content
    assert codes_by_field(response) == {"patient.date_of_birth": "invalid"}
    assert Patient.objects.count() == 0


# Strings ------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", [5, 5.5])
def test_a_review_reason_that_is_not_a_string_is_refused(api, clinician, reason):
    intake = create_intake(api, "MRN-V1", **URGENT_GP)

    response = review(clinician, intake["id"], "home_care", "routine", "self_care", reason=reason)

    assert response.status_code == 400, response.content
    assert codes_by_field(response) == {"reason": "invalid"}
    assert Review.objects.count() == 0


def test_a_review_reason_that_is_a_string_is_kept_as_sent(api, clinician):
    intake = create_intake(api, "MRN-V1", **URGENT_GP)

    response = review(clinician, intake["id"], "home_care", "routine", "self_care", reason="5")

    assert response.status_code == 201, response.content
    assert Review.objects.get().reason == "5"


def test_a_transition_note_that_is_not_a_string_is_refused(api):
    intake = create_intake(api, "MRN-V1", **URGENT_GP)
    url = f"/api/v1/referrals/{intake['referral']['id']}/transitions/"

    response = post_json(api, url, {"to": "sent", "note": 5})

    assert response.status_code == 400, response.content
    assert codes_by_field(response) == {"note": "invalid"}
    assert ReferralHistory.objects.filter(to_status="sent").count() == 0


def test_a_token_request_with_numbers_for_its_strings_is_refused(db):
    get_user_model().objects.create_user("12345", password="975310864", is_staff=True)

    response = post_json(APIClient(), TOKENS, {"username": 12345, "password": 975310864})

    assert response.status_code == 400, response.content
    assert codes_by_field(response) == {"username": "invalid", "password": "invalid"}


def test_a_key_named_with_a_number_is_refused(clinic_admin):
    response = post_json(clinic_admin, KEYS, {"name": 5})

    assert response.status_code == 400, response.content
    assert codes_by_field(response) == {"name": "invalid"}
    assert ApiKey.objects.count() == 0


def test_a_branch_named_with_a_number_is_refused(db):
    admin = staff_client("admin.2026", "2026", "clinic_admin")  # a branch whose slug is digits

    keys = post_json(admin, KEYS, {"name": "desk", "branch": 2026})
    roles = post_json(admin, STAFF, {"username": "new.person", "role": "reception",
                                     "branch": 2026})  # fmt: skip

    assert codes_by_field(keys) == {"branch": "invalid"}
    assert codes_by_field(roles) == {"branch": "invalid"}
    assert ApiKey.objects.count() == 0
    assert StaffRole.objects.count() == 1  # the admin's own


@pytest.mark.parametrize(
    "expiry_date",
    ["20990101T000000Z", "2099-01-01", "2099-W01-1T00:00:00Z", "2099-1-1T00:00Z"],
    ids=["basic", "date-only", "week", "short"],
)
def test_a_key_expiry_not_written_as_a_date_time_is_refused(clinic_admin, expiry_date):
    response = post_json(clinic_admin, KEYS, {"name": "desk", "expiry_date": expiry_date})

    assert response.status_code == 400, response.content
    assert codes_by_field(response) == {"expiry_date": "invalid"}


@pytest.mark.parametrize(
    "expiry_date", ["2099-01-01T09:00:00Z", "2099-01-01T09:00+01:00", "2099-01-01T09:00:00.5Z"]
)
def test_a_key_expiry_written_as_a_date_time_is_taken(clinic_admin, expiry_date):
    response = post_json(clinic_admin, KEYS, {"name": "desk", "expiry_date": expiry_date})

    assert response.status_code == 201, response.content


def test_a_staff_role_that_is_not_one_of_the_roles_is_refused_without_repeating_it(
    clinic_admin,
):
    response = post_json(clinic_admin, STAFF, {"username": "new.person", "role": MARKER})

    assert response.status_code == 400, response.content
    assert codes_by_field(response) == {"role": "invalid_choice"}
    assert MARKER not in response.content.decode()
