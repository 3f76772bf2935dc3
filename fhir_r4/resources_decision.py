"""What the service decided on an intake: the RiskAssessment (the engine's decision, as stored)
and the CarePlan (the advice under the final decision, a clinician's review if there is one).

RiskAssessment, one `prediction` per coded part of the decision, each found by its code system:
the disposition, the urgency, the service, the imaging (when any), the STarT Back risk group
(`qualitativeRisk` in FHIR's risk-probability codes: low, moderate for medium, high) and every
rule that fired (its reason as `rationale`). `method` is the ruleset version; every rule coding
carries it too. `basis` is the QuestionnaireResponse.
"""

from typing import Any

from django.db.models import Model

from fhir_r4.resources_base import reference, validated
from fhir_r4.resources_terminology import (
    ADVICE,
    DISPOSITION,
    IMAGING,
    RULESET,
    SERVICE,
    URGENCY,
    rule_system,
)
from triage.decisions import FinalDecision
from triage.engine import Advice
from triage.models import Intake

RISK_PROBABILITY = "http://terminology.hl7.org/CodeSystem/risk-probability"
# STarT Back's risk groups in FHIR's risk-probability codes, with their displays.
STARTBACK_RISK = {
    "low": ("low", "Low likelihood"),
    "medium": ("moderate", "Moderate likelihood"),
    "high": ("high", "High likelihood"),
}


def _startback(startback: dict[str, Any]) -> dict[str, Any]:
    code, display = STARTBACK_RISK[startback["risk"]]
    return {
        "outcome": {"text": "Persistent disabling back pain (STarT Back risk group)"},
        "qualitativeRisk": {
            "coding": [{"system": RISK_PROBABILITY, "code": code, "display": display}],
            "text": f"STarT Back: {startback['risk']} risk",
        },
        "rationale": f"STarT Back total score {startback['total']} of 9, psychosocial "
        f"subscore {startback['psychosocial']} of 5.",
    }


def risk_assessment_resource(intake: Intake) -> dict[str, Any]:
    assessment = intake.assessment
    decision = assessment.decision
    version = assessment.ruleset_version
    rules = rule_system(version)
    predictions = [
        {"outcome": DISPOSITION.concept(decision["disposition"])},
        {"outcome": URGENCY.concept(decision["urgency"])},
        {"outcome": SERVICE.concept(decision["service"])},
    ]
    if decision["imaging"] != "none":
        predictions.append({"outcome": IMAGING.concept(decision["imaging"])})
    predictions.append(_startback(decision["startback"]))
    predictions += [
        {"outcome": rules.concept(reason["rule_id"]), "rationale": reason["text"]}
        for reason in decision["reasons"]
    ]
    return validated(
        {
            "resourceType": "RiskAssessment",
            "id": str(intake.id),
            "status": "final",
            "method": RULESET.concept(version),
            "code": {"text": "Back pain triage"},
            "subject": reference("Patient", intake.patient_id),
            "occurrenceDateTime": assessment.submitted_at,
            "basis": [reference("QuestionnaireResponse", intake.id)],
            "prediction": predictions,
        }
    )


def _activity(advice: Advice) -> dict[str, Any]:
    return {
        "detail": {
            "code": ADVICE.concept(advice.code),
            "status": "not-started",
            "description": advice.text,
        }
    }


def care_plan_resource(
    intake: Intake, final: FinalDecision, advice: tuple[Advice, ...], referral: Model | None
) -> dict[str, Any]:
    """The advice under the final decision, safety-netting included (codes `safety_net...`),
    and the referral it made, if any. `category` is the final disposition."""
    outcome = final.outcome
    by = "a clinician's review" if final.decided_by == "review" else "the triage decision"
    activities = (
        [] if referral is None else [{"reference": reference("ServiceRequest", referral.pk)}]
    )
    activities += [_activity(item) for item in advice]
    return validated(
        {
            "resourceType": "CarePlan",
            "id": str(intake.id),
            "status": "active",
            "intent": "plan",
            "category": [DISPOSITION.concept(outcome.disposition)],
            "title": "Self-care plan and safety-netting",
            "description": f"Advice under {by}: {DISPOSITION.display(outcome.disposition)}, "
            f"{URGENCY.display(outcome.urgency)}, {SERVICE.display(outcome.service)}.",
            "subject": reference("Patient", intake.patient_id),
            "created": intake.submitted_at,
            "supportingInfo": [
                reference("QuestionnaireResponse", intake.id),
                reference("RiskAssessment", intake.id),
            ],
            "activity": activities,
        }
    )
