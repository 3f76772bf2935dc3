"""Test keys: an integrator builds against production safely. A clinic admin issues a key
marked `test`; its intakes are stored and decided as usual but marked `test`, filterable, and
left out of the dashboard's figures and the worklist."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clinic.models import Branch
from referrals.dashboard import dashboard
from referrals.worklist import Filters, worklist
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body, key_client, staff_client
from tests.reviews.helpers import EMERGENCY
from triage.models import Intake

KEYS = "/api/v1/api-keys/"


@pytest.fixture
def admin(db):
    return staff_client("admin.north", "north", "clinic_admin")


@pytest.fixture
def test_desk(admin, api):  # `api` first: it makes the branch `north`, on ruleset 2026.1
    response = post_json(admin, KEYS, {"name": "Integrator sandbox", "test": True})
    assert response.status_code == 201, response.content
    client = type(api)()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {response.json()['key']}")
    return client


def test_a_clinic_admin_issues_a_test_key(admin):
    response = post_json(admin, KEYS, {"name": "Sandbox", "test": True})

    assert response.status_code == 201
    assert response.json()["test"] is True
    listed = {key["prefix"]: key["test"] for key in admin.get(KEYS).json()["results"]}
    assert listed[response.json()["prefix"]] is True


def test_a_key_is_real_unless_asked(admin):
    response = post_json(admin, KEYS, {"name": "Front desk"})

    assert response.json()["test"] is False


def test_test_must_be_a_boolean(admin):
    response = post_json(admin, KEYS, {"name": "Sandbox", "test": "yes"})

    assert response.status_code == 400
    assert {error["field"] for error in response.json()["errors"]} == {"test"}


def test_a_rotated_test_key_stays_a_test_key(admin):
    prefix = post_json(admin, KEYS, {"name": "Sandbox", "test": True}).json()["prefix"]

    rotated = admin.post(f"{KEYS}{prefix}/rotate/")

    assert rotated.status_code == 201
    assert rotated.json()["test"] is True


def test_a_test_keys_intake_is_decided_as_usual_and_marked_test(api, test_desk):
    real = post_json(api, INTAKES, intake_body(external_id="REAL-1", **EMERGENCY))
    test = post_json(test_desk, INTAKES, intake_body(external_id="TEST-1", **EMERGENCY))

    assert (real.status_code, test.status_code) == (201, 201)
    assert real.json()["test"] is False
    assert test.json()["test"] is True
    assert test.json()["assessment"] == {**real.json()["assessment"]}
    assert test.json()["referral"]["status"] == "open"  # its referral opens as usual
    assert Intake.objects.get(pk=test.json()["id"]).assessment.test is True


def test_the_intake_list_filters_on_test(api, test_desk):
    post_json(api, INTAKES, intake_body(external_id="REAL-1"))
    post_json(test_desk, INTAKES, intake_body(external_id="TEST-1"))
    post_json(test_desk, INTAKES, intake_body(external_id="TEST-2"))

    only_test = api.get(INTAKES, {"test": "true"}).json()
    only_real = api.get(INTAKES, {"test": "false"}).json()
    everything = api.get(INTAKES).json()

    assert {i["patient"]["external_id"] for i in only_test["results"]} == {"TEST-1", "TEST-2"}
    assert only_test["count"] == 2
    assert {i["patient"]["external_id"] for i in only_real["results"]} == {"REAL-1"}
    assert only_real["count"] == 1
    assert everything["count"] == 3


def test_the_test_filter_takes_only_true_or_false(api):
    response = api.get(INTAKES, {"test": "maybe"})

    assert response.status_code == 400


def test_test_intakes_are_left_out_of_the_dashboard(api, test_desk):
    post_json(api, INTAKES, intake_body(external_id="REAL-1", **EMERGENCY))
    post_json(test_desk, INTAKES, intake_body(external_id="TEST-1", **EMERGENCY))
    post_json(test_desk, INTAKES, intake_body(external_id="TEST-2"))
    branch = Branch.objects.get(slug="north")
    today = timezone.localdate()

    figures = dashboard(
        branch_ids=(branch.pk,), since=timezone.now() - timedelta(days=7), today=today
    )

    assert figures.decisions == 1
    assert dict(figures.pipeline)["open"] == 1


def test_test_referrals_are_left_off_the_worklist(api, test_desk):
    post_json(api, INTAKES, intake_body(external_id="REAL-1", **EMERGENCY))
    post_json(test_desk, INTAKES, intake_body(external_id="TEST-1", **EMERGENCY))
    branch = Branch.objects.get(slug="north")

    rows = worklist(branch_ids=(branch.pk,), filters=Filters(), now=timezone.now()).rows

    assert [row.referral.patient.external_id for row in rows] == ["REAL-1"]


def test_a_real_key_of_the_same_branch_sees_test_intakes_too(test_desk, db):
    post_json(test_desk, INTAKES, intake_body(external_id="TEST-1"))

    assert key_client("north").get(INTAKES, {"test": "true"}).json()["count"] == 1
