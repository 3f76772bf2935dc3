"""Small helpers for the referral tests: open a referral through an intake, move it, walk it."""

import contextlib
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from unittest import mock

from rest_framework.test import APIClient

from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body

REFERRALS = "/api/v1/referrals/"
EVENTS = "/api/v1/events/"

# Answers whose decision opens a referral (checked by the tests that use them).
PHYSIO_ROUTINE = {"pain_duration_days": 60}  # physiotherapy, routine
EMERGENCY = {"trauma": "major"}  # medical_referral, emergency
URGENT = {"cancer_history": "yes"}  # medical_referral, urgent
HOME_CARE: dict[str, Any] = {}  # the baseline patient: home care, no referral

# A legal path from open to each status, written out from the workflow.
PATH_TO = {
    "open": [],
    "sent": ["sent"],
    "accepted": ["sent", "accepted"],
    "booked": ["sent", "accepted", "booked"],
    "attended": ["sent", "accepted", "booked", "attended"],
    "not_attended": ["sent", "accepted", "booked", "not_attended"],
    "completed": ["sent", "accepted", "booked", "attended", "completed"],
    "declined": ["sent", "declined"],
    "cancelled": ["cancelled"],
}


def new_external_id() -> str:
    return f"REF-{uuid.uuid4().hex[:12]}"


def post_intake(api: APIClient, external_id: str | None = None, **answers: Any):
    """POST an intake for a new patient (unless `external_id` is given); the raw response."""
    body = intake_body(external_id=external_id or new_external_id(), **answers)
    return post_json(api, INTAKES, body)


def open_referral(api: APIClient, external_id: str | None = None, **answers: Any) -> dict:
    """Post an intake whose decision opens a referral; the intake's JSON (with `referral`).

    Without answers, a 60-day episode: physiotherapy, routine.
    """
    response = post_intake(api, external_id, **(answers or PHYSIO_ROUTINE))
    assert response.status_code == 201, response.content
    intake = response.json()
    assert intake["referral"] is not None, "these answers were expected to open a referral"
    return intake


def referral_url(referral_id: Any, suffix: str = "") -> str:
    return f"{REFERRALS}{referral_id}/{suffix}"


def move(api: APIClient, referral_id: Any, to: Any, note: Any = "", **headers: Any):
    """POST a transition; `note=None` leaves the note out. Headers as Django test-client
    extras, e.g. HTTP_IF_MATCH=etag."""
    body: dict[str, Any] = {"to": to}
    if note is not None:
        body["note"] = note
    return post_json(api, referral_url(referral_id, "transitions/"), body, **headers)


def detail(api: APIClient, referral_id: Any) -> dict:
    response = api.get(referral_url(referral_id))
    assert response.status_code == 200, response.content
    return response.json()


def walk_to(api: APIClient, referral_id: Any, status: str) -> dict:
    """Move an open referral along a legal path to `status`; the last detail body."""
    body = detail(api, referral_id)
    assert body["status"] == "open"
    for step in PATH_TO[status]:
        response = move(api, referral_id, step, note=f"walking to {status}")
        assert response.status_code == 200, response.content
        body = response.json()
    assert body["status"] == status
    return body


def listed_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def key_prefix(api: APIClient) -> str:
    """The prefix of the API key an APIClient sends (the part before the dot)."""
    header = api._credentials["HTTP_AUTHORIZATION"]
    return header.removeprefix("Api-Key ").split(".", 1)[0]


@contextlib.contextmanager
def frozen_now(moment: datetime) -> Iterator[None]:
    """Make `django.utils.timezone.now()` answer `moment` (an aware datetime)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield
