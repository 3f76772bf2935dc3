"""A patient's right of access and erasure: export everything held, or redact identifiers.

Redaction removes what identifies the person (their reference, date of birth and sex) and
keeps the clinical and audit records, which then describe an anonymous patient.
"""

import json
import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from clinic.models import AuditEvent, AuditPatient, Event, IdempotencyRecord
from triage.models import Patient


def _audit(action: str, patient: Patient, actor: str) -> None:
    event = AuditEvent.objects.create(
        at=timezone.now(),
        actor=actor,
        branch_id=patient.branch_id,
        role="operator",
        action=action,
        object_type="patient",
        object_ids=[str(patient.id)],
        request_id=uuid.uuid4().hex,
        status_code=200,
        outcome="allowed",
    )
    AuditPatient.objects.create(event=event, patient_id=patient.id)


OUTCOME = ("disposition", "urgency", "service", "imaging")
REFERRAL_FIELDS = ("id", "intake=intake_id", "service", "urgency", "imaging", "status", "due_by",
                   "reasons_summary")  # fmt: skip


def _pick(row: object, *names: str) -> dict[str, Any]:
    """The named attributes of `row`; `"key=attribute"` names the key otherwise."""
    keys_and_attributes = (name.partition("=")[::2] for name in names)
    return {key: getattr(row, attribute or key) for key, attribute in keys_and_attributes}


def patient_export(*, patient_id: uuid.UUID, actor: str) -> dict[str, Any]:
    """Everything held about one patient, as JSON-ready data. The export is itself audited."""
    patient = Patient.objects.select_related("branch").get(pk=patient_id)
    intakes = patient.intakes.select_related("assessment").prefetch_related("reviews")
    referrals = patient.referrals.prefetch_related("history")  # the referrals app's relation
    data = {
        "exported_at": timezone.now(),
        "patient": {
            "id": patient.id,
            "branch": patient.branch.slug,
            "external_id": patient.external_id,
            "date_of_birth": patient.date_of_birth,
            "sex": patient.sex,
            "created_at": patient.created_at,
            "redacted_at": patient.redacted_at,
        },
        "intakes": [
            {
                "id": intake.id,
                "submitted_at": intake.submitted_at,
                "questionnaire_version": intake.questionnaire_version,
                "answers": intake.answers,
                "assessment": intake.assessment.decision,
                "reviews": [
                    _pick(r, *OUTCOME, "reason", "reviewer=reviewer_id", "created_at")
                    for r in intake.reviews.all()
                ],
            }
            for intake in intakes
        ],
        "referrals": [
            {
                **_pick(ref, *REFERRAL_FIELDS),
                "history": [
                    _pick(h, "from=from_status", "to=to_status", "note", "actor", "at")
                    for h in ref.history.all()
                ],
            }
            for ref in referrals
        ],
        "events": list(
            Event.objects.filter(patient_id=patient.id)
            .order_by("id")
            .values("id", "type", "occurred_at", "intake_id", "referral_id", "data")
        ),
        "access_log": list(
            AuditEvent.objects.filter(patients__patient_id=patient.id)
            .order_by("id")
            .values("at", "actor", "role", "action", "outcome")
        ),
    }
    _audit("patient.export", patient, actor)
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def patient_redact(*, patient_id: uuid.UUID, actor: str) -> Patient:
    """Remove the patient's identifiers; keep the anonymised clinical and audit records."""
    with transaction.atomic():
        patient = Patient.objects.select_for_update().get(pk=patient_id)
        patient.external_id = f"redacted-{patient.id.hex[:12]}"
        patient.date_of_birth = None
        patient.sex = "unknown"
        patient.redacted_at = timezone.now()
        patient.save()
        # Stored API responses for retries repeat the identifiers: forget them.
        IdempotencyRecord.objects.filter(response_body__patient__id=str(patient.id)).delete()
        _audit("patient.redact", patient, actor)
    return patient
