"""Examples for the schema: the README's intake, an emergency and a clinician call-back, each
with the decision the engine makes for it (computed here, so that an example never shows a
decision the rules would not make; tests/contract/test_examples.py posts each one)."""

from typing import Any

from drf_spectacular.utils import OpenApiExample

from triage.engine import RULESET_VERSION, evaluate
from triage.questionnaire import QUESTIONNAIRE_VERSION

# The README's intake ("A round trip with curl"): medium STarT Back risk, no red flag.
README_INTAKE: dict[str, Any] = {
    "patient": {"external_id": "MRN-0042", "date_of_birth": "1984-03-09", "sex": "female"},
    "answers": {
        "pain_duration_days": 21, "pain_score": 5, "spasm_present": False,
        "suspected_triggers": [], "first_ever_episode": False, "prior_episodes_12m": 0,
        "self_care_not_helping": False, "completed_physiotherapy": False,
        "radiation_below_knee": False, "bilateral_leg_symptoms": False, "leg_numbness": False,
        "leg_weakness": "none", "bladder_bowel_change": "no", "saddle_numbness": "no",
        "sexual_dysfunction_new": "no", "fever": "no", "cancer_history": "no",
        "unexplained_weight_loss": "no", "trauma": "none", "osteoporosis_or_steroids": "no",
        "immunosuppression_or_iv_drug_use": "no", "night_pain_unremitting": "no",
        "thoracic_pain": "no", "inflammatory_features": [],
        "startback": {
            "leg_pain": True, "shoulder_or_neck_pain": False, "walks_short_distances_only": True,
            "dresses_slowly": True, "activity_unsafe": False, "worrying_thoughts": True,
            "pain_terrible_never_better": False, "no_enjoyment": False,
            "bothersomeness": "moderately",
        },
    },
}  # fmt: skip
AGE = 42  # of the README's patient when these examples were written (born 1984-03-09)


def _intake(external_id: str, **answers: Any) -> dict[str, Any]:
    return {
        "patient": {**README_INTAKE["patient"], "external_id": external_id},
        "answers": {**README_INTAKE["answers"], **answers},
    }


# name: (summary, description, intake body)
INTAKES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "readme": (
        "Physiotherapy (the README's intake)",
        "Medium STarT Back risk and no red flag: routine physiotherapy (rule S2).",
        README_INTAKE,
    ),
    "emergency": (
        "An emergency",
        "Saddle numbness (suspected cauda equina): the emergency department today, with an "
        "MRI (rule E1). A referral opens at once.",
        _intake("MRN-0043", saddle_numbness="yes"),
    ),
    "callback": (
        "A clinician call-back",
        "The patient could not say whether they have had a fever: an unanswered red flag is "
        "never taken as no, so a clinician phones them the same working day (rule U5).",
        _intake("MRN-0044", fever="unknown"),
    ),
}


def decision(name: str) -> dict[str, Any]:
    """The decision the engine makes for the example `name` (at AGE)."""
    return evaluate(INTAKES[name][2]["answers"], AGE, ruleset=RULESET_VERSION).as_dict()


def _stored(name: str, number: int) -> dict[str, Any]:
    """The 201 body of the example intake (reception's view: no `answers`)."""
    assessment = decision(name)
    patient = INTAKES[name][2]["patient"]
    referral = None
    if assessment["disposition"] != "home_care":
        referral = {
            "id": f"7b1c2d3e-0000-4000-8000-00000000000{number}",
            "status": "open",
            "service": assessment["service"],
            "urgency": assessment["urgency"],
            "due_by": "2026-12-02T09:41:00Z",
        }
    return {
        "id": f"3f2a9c1e-0000-4000-8000-00000000000{number}",
        "patient": {"id": f"c0ffee00-0000-4000-8000-00000000000{number}", **patient},
        "submitted_at": "2026-12-01T09:41:00Z",
        "questionnaire_version": QUESTIONNAIRE_VERSION,
        "assessment": assessment,
        "review": None,
        "referral": referral,
    }


def intake_examples(*, response_code: int, stored: bool) -> list[OpenApiExample]:
    """Each example intake as a request, and its answer: the stored intake (`stored`) or the
    decision alone (an evaluation)."""
    examples = []
    for number, (name, (summary, description, body)) in enumerate(INTAKES.items(), start=1):
        examples.append(
            OpenApiExample(
                name, summary=summary, description=description, value=body, request_only=True
            )
        )
        answer = _stored(name, number) if stored else decision(name)
        examples.append(
            OpenApiExample(
                name,
                summary=summary,
                value=answer,
                response_only=True,
                status_codes=[response_code],
            )
        )
    return examples
