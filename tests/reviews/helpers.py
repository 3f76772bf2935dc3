"""Shared helpers for the review, care-plan, history and feed tests."""

from typing import Any

from rest_framework.test import APIClient

from clinic.models import Event
from referrals.models import Referral, ReferralHistory
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body
from triage.models import Review

REFERRALS = "/api/v1/referrals/"
EVENTS = "/api/v1/events/"

# Answer overrides giving a known decision (checked in the tests that rely on them).
HOME_CARE: dict[str, Any] = {}  # home_care / routine / self_care / none
PHYSIOTHERAPY = {"pain_duration_days": 60}  # physiotherapy / routine / physiotherapy / none
URGENT_GP = {"fever": "yes"}  # medical_referral / urgent / gp / none
EMERGENCY = {"saddle_numbness": "yes"}  # medical_referral / emergency / ED / mri_lumbar


def review_url(intake_id: str) -> str:
    return f"{INTAKES}{intake_id}/review/"


def care_plan_url(intake_id: str) -> str:
    return f"{INTAKES}{intake_id}/care-plan/"


def history_url(patient_id: str) -> str:
    return f"/api/v1/patients/{patient_id}/history/"


def create_intake(client: APIClient, external_id: str = "MRN-0001", **answers: Any) -> dict:
    response = post_json(client, INTAKES, intake_body(external_id=external_id, **answers))
    assert response.status_code == 201, response.content
    return response.json()


def review(
    client: APIClient,
    intake_id: str,
    disposition: str,
    urgency: str,
    service: str,
    reason: str = "Seen in clinic.",
    **extra: Any,
):
    body = {
        "disposition": disposition,
        "urgency": urgency,
        "service": service,
        "reason": reason,
        **extra,
    }
    return post_json(client, review_url(intake_id), body)


def get_intake(client: APIClient, intake_id: str) -> dict:
    response = client.get(f"{INTAKES}{intake_id}/")
    assert response.status_code == 200, response.content
    return response.json()


def get_referral(client: APIClient, referral_id: str) -> dict:
    response = client.get(f"{REFERRALS}{referral_id}/")
    assert response.status_code == 200, response.content
    return response.json()


def transition(client: APIClient, referral_id: str, to: str, note: str = "") -> dict:
    response = post_json(client, f"{REFERRALS}{referral_id}/transitions/", {"to": to, "note": note})
    assert response.status_code == 200, response.content
    return response.json()


def stored_state() -> tuple:
    """Everything a review can write: reviews, referrals (with their versions), history and
    events."""
    return (
        Review.objects.count(),
        sorted(Referral.objects.values_list("id", "status", "service", "urgency", "version")),
        ReferralHistory.objects.count(),
        Event.objects.count(),
    )
