"""What the referral letter says: drawn from the stored decision, the answers behind it and the
clinician's review, in the words a receiving service reads.

"Why we are referring" lists only the rules that reach the outcome the letter carries (the
final decision: the review's, or else the assessment's); every other rule that held is "also
noted". An emergency letter so never gives a physiotherapy reason as the reason for the
referral, while the receiving clinician still sees it.
"""

from typing import Any

from django.utils import timezone

from referrals.models import Referral
from triage.decisions import care_plan_advice, final_decision, latest_review
from triage.engine.rulesets import ruleset
from triage.questionnaire import questionnaire

# A red flag's code is the answer it comes from, except where the flag reads a value of it.
_FLAG_ANSWER = {"progressive_leg_weakness": "leg_weakness"}
_YES_NO = {True: "yes", False: "no"}


def _answer_labels() -> dict[tuple[str, str], str]:
    return {
        (item["field"], choice["value"]): choice["label"]
        for item in questionnaire()["answers"]
        for choice in item.get("choices", ())
    }


def _words(field: str, value: Any, labels: dict[tuple[str, str], str]) -> str:
    if isinstance(value, bool):
        return _YES_NO[value]
    return labels.get((field, str(value)), str(value)).lower()


def split_reasons(decision: dict, disposition: str, urgency: str) -> tuple[list, list]:
    """(why we are referring, also noted): the reasons whose rule reaches this outcome, and
    the rest, each in the ruleset's order."""
    rules = ruleset(decision["ruleset_version"])
    why, also = [], []
    for reason in decision["reasons"]:
        rule = rules.rule(reason["rule_id"])
        reaches = (rule.disposition, rule.urgency) == (disposition, urgency)
        (why if reaches else also).append(reason)
    return why, also


def letter_context(referral: Referral) -> dict[str, Any]:
    intake = referral.intake
    decision = intake.assessment.decision
    answers = intake.answers
    outcome = final_decision(intake).outcome
    why, also = split_reasons(decision, outcome.disposition, outcome.urgency)
    labels = _answer_labels()
    leg = [
        ("Pain below the knee", _words("radiation_below_knee", answers["radiation_below_knee"],
                                       labels)),
        ("Symptoms in both legs", _words("bilateral_leg_symptoms",
                                         answers["bilateral_leg_symptoms"], labels)),
        ("Numbness or pins and needles in a leg", _words("leg_numbness", answers["leg_numbness"],
                                                         labels)),
        ("Leg weakness", _words("leg_weakness", answers["leg_weakness"], labels)),
    ]  # fmt: skip
    red_flags = []
    for flag in decision["red_flags"]:
        item = _FLAG_ANSWER.get(flag["code"], flag["code"])
        answer = answers.get(item)
        red_flags.append(
            {**flag, "answer": None if answer is None else _words(item, answer, labels)}
        )
    return {
        "referral": referral,
        "patient": referral.patient,
        "branch": referral.branch,
        "decision": decision,
        "history": {
            "duration_days": answers["pain_duration_days"],
            "worst_pain": answers["pain_score"],
            "leg": leg,
        },
        "red_flags": red_flags,
        "why": why,
        "also_noted": also,
        "review": latest_review(intake),
        "safety_net": [a for a in care_plan_advice(intake) if a.code.startswith("safety_net")],
        "printed_at": timezone.now(),
    }
