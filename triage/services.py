"""Writes of triage data: each service is one transaction, and owns its side effects."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinic.api.authentication import BranchCaller
from clinic.api.errors import Conflict
from triage.ages import age_on
from triage.engine import Decision, evaluate
from triage.models import Assessment, Intake, Patient
from triage.questionnaire import QUESTIONNAIRE_VERSION


def triage_evaluate(*, date_of_birth: date, answers: Mapping[str, Any]) -> Decision:
    """A decision for today, computed and not stored."""
    return evaluate(answers, age_on(date_of_birth, timezone.localdate()))


def _patient_for_intake(*, caller: BranchCaller, patient: Mapping[str, Any]) -> Patient:
    record, created = Patient.objects.get_or_create(
        branch=caller.branch,
        external_id=patient["external_id"],
        defaults={"date_of_birth": patient["date_of_birth"], "sex": patient["sex"]},
    )
    if created:
        return record
    # The same reference with another birth date is most likely two people mixed up.
    mismatched = {
        name: ["Does not match the patient already held under this external_id."]
        for name in ("date_of_birth", "sex")
        if getattr(record, name) != patient[name]
    }
    if mismatched:
        raise Conflict({"patient": mismatched})
    return record


def intake_create(
    *, caller: BranchCaller, patient: Mapping[str, Any], answers: Mapping[str, Any]
) -> Intake:
    """Store an intake and the engine's decision on it together, or neither."""
    submitted_at = timezone.now()
    with transaction.atomic():
        record = _patient_for_intake(caller=caller, patient=patient)
        age = age_on(record.date_of_birth, timezone.localdate(submitted_at))
        decision = evaluate(answers, age)
        intake = Intake.objects.create(
            branch=caller.branch,
            patient=record,
            answers=dict(answers),
            questionnaire_version=QUESTIONNAIRE_VERSION,
            submitted_at=submitted_at,
            api_key=caller.api_key,
        )
        intake.assessment = Assessment.objects.create(
            intake=intake,
            disposition=decision.disposition,
            urgency=decision.urgency,
            service=decision.service,
            imaging=decision.imaging,
            startback_risk=decision.startback.risk,
            has_red_flags=bool(decision.red_flags),
            age=age,
            ruleset_version=decision.ruleset_version,
            decision=decision.as_dict(),
        )
    return intake
