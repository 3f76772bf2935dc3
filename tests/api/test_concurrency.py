"""Concurrent reception desks writing at once, over real separate database connections.

Runs on SQLite (WAL, IMMEDIATE transactions, busy timeout) and on PostgreSQL alike.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from rest_framework.test import APIClient

from clinic.models import ApiKey
from clinic.services import api_key_create
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body
from triage.models import Assessment, Intake, Patient

WRITERS = 6


def _post_in_own_connection(key: str, body: dict) -> int:
    try:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        return post_json(client, INTAKES, body).status_code
    finally:
        connections.close_all()  # this thread's connection, so the test database can be dropped


@pytest.mark.django_db(transaction=True)
def test_concurrent_intakes_for_one_new_patient_make_one_patient():
    _, key = api_key_create(branch_slug="north", name="desk")
    bodies = [intake_body(external_id="SAME-1", pain_score=i) for i in range(WRITERS)]

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        statuses = list(pool.map(lambda body: _post_in_own_connection(key, body), bodies))

    assert statuses == [201] * WRITERS
    assert Patient.objects.count() == 1
    assert Intake.objects.count() == Assessment.objects.count() == WRITERS


@pytest.mark.django_db(transaction=True)
def test_concurrent_intakes_from_many_desks_lose_nothing():
    keys = [api_key_create(branch_slug="north", name=f"desk {i}")[1] for i in range(WRITERS)]
    per_desk = 5

    def desk(index: int) -> list[int]:
        return [
            _post_in_own_connection(keys[index], intake_body(external_id=f"D{index}-{n}"))
            for n in range(per_desk)
        ]

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        statuses = [code for codes in pool.map(desk, range(WRITERS)) for code in codes]

    assert statuses == [201] * (WRITERS * per_desk)
    assert Intake.objects.count() == Assessment.objects.count() == WRITERS * per_desk
    assert ApiKey.objects.count() == WRITERS


def _in_own_connection(call):
    try:
        return call()
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_a_review_and_a_transition_at_once_both_finish_consistently():
    from django.contrib.auth import get_user_model

    from clinic.models import Branch, StaffRole
    from referrals.models import Referral

    _, key = api_key_create(branch_slug="north", name="desk")
    user = get_user_model().objects.create_user("dr.race", password="x", is_staff=True)
    StaffRole.objects.create(user=user, branch=Branch.objects.get(slug="north"), role="clinician")
    desk = APIClient()
    desk.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    intake = post_json(desk, INTAKES, intake_body(pain_duration_days=60)).json()
    referral_id = intake["referral"]["id"]
    barrier = threading.Barrier(2)

    def review():
        clinician = APIClient()
        clinician.force_login(user)
        barrier.wait()
        body = {"disposition": "home_care", "urgency": "routine", "service": "self_care",
                "reason": "Settling well on the phone."}  # fmt: skip
        return post_json(clinician, f"{INTAKES}{intake['id']}/review/", body).status_code

    def transition():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        barrier.wait()
        url = f"/api/v1/referrals/{referral_id}/transitions/"
        return post_json(client, url, {"to": "sent"}).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        review_status, transition_status = pool.map(_in_own_connection, [review, transition])

    assert review_status == 201
    assert transition_status in (200, 409)
    referral = Referral.objects.get(pk=referral_id)
    assert referral.status == "cancelled"
    moves = [(h.from_status, h.to_status) for h in referral.history.all()]
    expected_tail = [("sent", "cancelled")] if transition_status == 200 else [("open", "cancelled")]
    assert moves[-1:] == expected_tail
