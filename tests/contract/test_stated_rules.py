"""The rules the schema cannot express as types are stated in its descriptions, and hold."""

from datetime import timedelta

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from tests.api.helpers import INTAKES, error_fields, post_json
from tests.conftest import intake_body, staff_client
from tests.reviews.helpers import create_intake, review


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_review_operation_states_the_review_rules(schema):
    description = schema["paths"]["/api/v1/intakes/{id}/review/"]["post"]["description"]
    assert "physiotherapy is never urgent" in description
    assert "`physiotherapy`: `physiotherapy`, `physiotherapy_psychologically_informed`" in (
        description
    )
    assert "Only a `medical_referral` recommends imaging" in description


def test_a_decision_states_them_on_its_fields(schema):
    decision = schema["components"]["schemas"]["Decision"]["properties"]
    assert "never urgent" in decision["urgency"]["description"]
    assert "must suit the disposition" in decision["service"]["description"]


def test_the_date_of_birth_says_not_in_the_future(schema):
    field = schema["components"]["schemas"]["PatientInputRequest"]["properties"]["date_of_birth"]
    assert "Not in the future" in field["description"]


def test_physiotherapy_is_never_urgent_in_a_review(api, db):
    intake = create_intake(api)
    clinician = staff_client("clin", "north", "clinician")

    response = review(clinician, intake["id"], "physiotherapy", "urgent", "physiotherapy")

    assert response.status_code == 400
    assert error_fields(response) == {"urgency"}


def test_a_service_that_does_not_suit_the_disposition_is_refused(api, db):
    intake = create_intake(api)
    clinician = staff_client("clin", "north", "clinician")

    response = review(clinician, intake["id"], "home_care", "routine", "gp")

    assert response.status_code == 400
    assert error_fields(response) == {"service"}


def test_a_date_of_birth_in_the_future_is_refused(api):
    body = intake_body()
    body["patient"]["date_of_birth"] = (timezone.localdate() + timedelta(days=1)).isoformat()

    response = post_json(api, INTAKES, body)

    assert response.status_code == 400
    assert error_fields(response) == {"patient.date_of_birth"}
