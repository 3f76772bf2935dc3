"""Referrals as ServiceRequests, and a patient's referrals as a search Bundle.

Our workflow has more statuses than FHIR's request status; each maps to the one that says
whether the request is still in force, and the exact one travels in the `referral-status`
extension (a coding of our referral-status code system).
"""

from collections.abc import Iterable
from typing import Any

from fhir_r4.resources_base import reference, validated
from fhir_r4.resources_terminology import CANONICAL_BASE, IMAGING, REFERRAL_STATUS, SERVICE
from referrals.models import Referral

REFERRAL_STATUS_EXTENSION = f"{CANONICAL_BASE}/StructureDefinition/referral-status"

# FHIR's RequestStatus: active while the referral is still to be carried out (rebooking after a
# missed appointment included), completed once done, revoked when declined or cancelled.
REQUEST_STATUS = {
    "open": "active",
    "sent": "active",
    "accepted": "active",
    "booked": "active",
    "attended": "active",
    "not_attended": "active",
    "completed": "completed",
    "declined": "revoked",
    "cancelled": "revoked",
}
# FHIR's RequestPriority: an emergency is `stat`.
PRIORITY = {"routine": "routine", "urgent": "urgent", "emergency": "stat"}


def service_request_resource(referral: Referral) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(referral.id),
        "extension": [
            {
                "url": REFERRAL_STATUS_EXTENSION,
                "valueCoding": REFERRAL_STATUS.coding(referral.status),
            }
        ],
        "basedOn": [reference("CarePlan", referral.intake_id)],
        "status": REQUEST_STATUS[referral.status],
        "intent": "order",
        "priority": PRIORITY[referral.urgency],
        "code": SERVICE.concept(referral.service),
    }
    if referral.imaging != "none":
        resource["orderDetail"] = [IMAGING.concept(referral.imaging)]
    resource.update(
        {
            "subject": reference("Patient", referral.patient_id),
            "occurrencePeriod": {"start": referral.created_at, "end": referral.due_by},
            "authoredOn": referral.created_at,
            "reasonReference": [reference("RiskAssessment", referral.intake_id)],
            "supportingInfo": [reference("QuestionnaireResponse", referral.intake_id)],
        }
    )
    if referral.reasons_summary:
        resource["note"] = [{"text": referral.reasons_summary}]
    return validated(resource)


def searchset(resources: Iterable[dict[str, Any]], *, self_url: str, base_url: str) -> dict:
    """A search's matches as a Bundle: every match on one page, newest first."""
    entries = [
        {
            "fullUrl": f"{base_url}/{resource['resourceType']}/{resource['id']}",
            "resource": resource,
            "search": {"mode": "match"},
        }
        for resource in resources
    ]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(entries),
        "link": [{"relation": "self", "url": self_url}],
    }
    if entries:
        bundle["entry"] = entries
    return validated(bundle)
