"""The final decision on an intake: the latest clinician review, or else the assessment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from triage.engine import Advice, advice_for
from triage.engine.outcome import Outcome
from triage.engine.vocabulary import URGENCY_RANK
from triage.models import Intake, Review

# Where the patient goes, in words for the patient.
SERVICE_WORDS = {
    "self_care": "looking after it yourself",
    "physiotherapy": "a physiotherapist",
    "physiotherapy_psychologically_informed": (
        "a physiotherapist who also helps with the worries and feelings that can come with "
        "back pain"
    ),
    "gp": "your GP",
    "spinal_specialist": "a spinal specialist",
    "rheumatology": "a rheumatologist (a specialist in inflammatory joint conditions)",
    "pain_service": "the pain service",
    "urgent_imaging": "the imaging service for a scan",
    "clinician_callback": "a clinician, who will phone you today",
    "emergency_department": "an emergency department",
}


@dataclass(frozen=True)
class FinalDecision:
    outcome: Outcome
    decided_by: str  # "assessment" or "review"


def latest_review(intake: Intake) -> Review | None:
    reviews = getattr(intake, "review_list", None)
    if reviews is None:
        return intake.reviews.order_by("-created_at", "-id").first()
    return reviews[0] if reviews else None


def latest_referral(intake: Intake) -> Model | None:
    """The latest referral the intake opened, in whatever status it is now."""
    referrals = getattr(intake, "referral_list", None)
    if referrals is None:
        return intake.referrals.order_by("-created_at").first()
    return referrals[0] if referrals else None


def final_decision(intake: Intake) -> FinalDecision:
    review = latest_review(intake)
    if review is None:
        return FinalDecision(intake.assessment.outcome, "assessment")
    return FinalDecision(review.outcome, "review")


def care_plan_advice(intake: Intake) -> tuple[Advice, ...]:
    """The patient's advice under the final decision (a review may change the disposition),
    in the words of the ruleset version the intake was decided under."""
    assessment = intake.assessment
    outcome = final_decision(intake).outcome
    return advice_for(
        intake.answers, assessment.age, outcome.disposition, ruleset=assessment.ruleset_version
    )


def care_plan_watch_for(intake: Intake) -> list[dict[str, Any]] | None:
    """What should bring the patient back at once (SPEC-2026.2 C4), from the stored decision;
    None for a version that has no watch_for (2026.1).

    Under a review that raised the urgency, an entry that is no longer higher than it is left
    out (an emergency has none). A review that lowered it keeps every entry: each is still a
    finding that would have raised the decision. (Working the list out again against the
    review's urgency would not help: the engine's own urgency, which the review overrode, would
    make every changed answer look like a rise.)"""
    stored = intake.assessment.decision.get("watch_for")
    if stored is None:
        return None
    urgency = URGENCY_RANK[final_decision(intake).outcome.urgency]
    return [entry for entry in stored if URGENCY_RANK[entry["urgency"]] > urgency]
