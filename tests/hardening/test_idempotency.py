"""Idempotency-Key on POSTs that create something."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient

from clinic.models import IdempotencyRecord
from clinic.services import api_key_create
from referrals.models import ReferralHistory
from tests.api.helpers import INTAKES, error_fields, post_json
from tests.conftest import intake_body
from triage.models import Intake, Review


def _post(client, body, key, url=INTAKES):
    return post_json(client, url, body, HTTP_IDEMPOTENCY_KEY=key)


def test_a_retry_with_the_same_key_replays_the_first_response(api):
    body = intake_body(external_id="IDEM-1", trauma="major")

    first = _post(api, body, "key-0001")
    retry = _post(api, body, "key-0001")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Location"] == first["Location"]
    assert retry["Idempotent-Replayed"] == "true"
    assert Intake.objects.count() == 1


def test_the_same_key_with_another_body_is_422(api):
    _post(api, intake_body(external_id="IDEM-1"), "key-0002")

    response = _post(api, intake_body(external_id="IDEM-1", pain_score=9), "key-0002")

    assert response.status_code == 422
    assert error_fields(response) == {"Idempotency-Key"}
    assert Intake.objects.count() == 1


def test_keys_belong_to_one_caller(api, other_api):
    body = intake_body(external_id="IDEM-1")

    assert _post(api, body, "shared-key-1").status_code == 201
    assert _post(other_api, body, "shared-key-1").status_code == 201
    assert Intake.objects.count() == 2


def test_a_retry_while_the_first_is_running_is_409_with_retry_after(api):
    body = intake_body(external_id="IDEM-1")
    _post(api, body, "key-0003")
    IdempotencyRecord.objects.update(done=False, response_body=None)  # as if still running

    response = _post(api, body, "key-0003")

    assert response.status_code == 409
    assert response["Retry-After"] == "1"
    assert error_fields(response) == {"Idempotency-Key"}
    assert Intake.objects.count() == 1


def test_an_attempt_abandoned_by_a_dead_process_may_be_retried(api):
    body = intake_body(external_id="IDEM-1")
    _post(api, body, "key-0004")
    # As if that process had died ten minutes ago before finishing.
    IdempotencyRecord.objects.update(done=False, created_at=timezone.now() - timedelta(minutes=10))

    response = _post(api, body, "key-0004")

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert IdempotencyRecord.objects.get().done


def test_a_refused_request_stores_nothing_and_may_be_retried(api):
    bad = intake_body(external_id="IDEM-1", pain_score=11)

    assert _post(api, bad, "key-0005").status_code == 400
    assert IdempotencyRecord.objects.count() == 0
    assert _post(api, bad, "key-0005").status_code == 400
    assert Intake.objects.count() == 0


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "tab\there"])
def test_an_unusable_key_is_400_naming_the_header(api, key):
    response = _post(api, intake_body(), key)

    assert response.status_code == 400
    assert error_fields(response) == {"Idempotency-Key"}


def test_a_transition_retried_with_its_key_moves_once(api):
    referral_id = post_json(api, INTAKES, intake_body(trauma="major")).json()["referral"]["id"]
    url = f"/api/v1/referrals/{referral_id}/transitions/"

    first = _post(api, {"to": "sent"}, "move-0001", url=url)
    retry = _post(api, {"to": "sent"}, "move-0001", url=url)

    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert ReferralHistory.objects.filter(to_status="sent").count() == 1


def test_a_review_retried_with_its_key_is_recorded_once(api, clinician):
    intake_id = post_json(api, INTAKES, intake_body()).json()["id"]
    body = {"disposition": "home_care", "urgency": "routine", "service": "self_care",
            "reason": "Agree"}  # fmt: skip
    url = f"{INTAKES}{intake_id}/review/"

    first = _post(clinician, body, "review-0001", url=url)
    retry = _post(clinician, body, "review-0001", url=url)

    assert first.status_code == retry.status_code == 201
    assert Review.objects.count() == 1


def test_the_stored_record_keeps_a_hash_of_the_request_not_the_request(api):
    body = intake_body(external_id="IDEM-HASH-ONLY")
    _post(api, body, "key-0006")

    record = IdempotencyRecord.objects.get()
    assert len(record.request_hash) == 64
    assert "IDEM-HASH-ONLY" not in record.request_hash


def test_purging_keeps_keys_for_at_least_a_day(api):
    _post(api, intake_body(external_id="A"), "key-young")
    _post(api, intake_body(external_id="B"), "key-old")
    IdempotencyRecord.objects.filter(key="key-old").update(
        created_at=timezone.now() - timedelta(hours=49)
    )

    call_command("purge_idempotency_keys", "--older-than-hours", "1")

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["key-young"]


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_requests_with_one_key_create_one_intake():
    _, key = api_key_create(branch_slug="north", name="desk")
    body = intake_body(external_id="RACE-1", trauma="major")

    def attempt(_):
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
            return _post(client, body, "race-key-0001").status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(attempt, range(20)))

    assert Intake.objects.count() == 1
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}
