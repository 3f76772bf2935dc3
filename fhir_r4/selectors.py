"""The reads of the FHIR views, each limited to the caller's branches (clinic.scoping)."""

from django.db.models import Prefetch, QuerySet

from clinic.callers import Caller
from clinic.scoping import for_caller
from referrals.models import Referral
from triage.models import Intake, Patient, Review


def intakes(*, caller: Caller, answers: bool = True) -> QuerySet[Intake]:
    """The caller's intakes with their assessments; without their answers if `answers` is
    False or the caller may see answers in none of its branches (minimum necessary)."""
    queryset = Intake.objects.select_related("assessment")
    if not answers or not any(caller.sees_answers_in(branch) for branch in caller.branch_ids):
        queryset = queryset.defer("answers")
    return for_caller(queryset, caller)


def referrals(*, caller: Caller) -> QuerySet[Referral]:
    return for_caller(Referral.objects.order_by("-created_at", "-id"), caller)


def patients(*, caller: Caller) -> QuerySet[Patient]:
    return for_caller(Patient.objects.all(), caller)


def intakes_with_decisions(*, caller: Caller) -> QuerySet[Intake]:
    """The caller's intakes with what their final decision and care plan need: the answers,
    the assessment, the reviews and the referrals (as triage.decisions reads them)."""
    return for_caller(Intake.objects.select_related("assessment"), caller).prefetch_related(
        Prefetch("reviews", Review.objects.order_by("-created_at", "-id"), to_attr="review_list"),
        Prefetch(
            "referrals", Referral.objects.order_by("-created_at", "-id"), to_attr="referral_list"
        ),
    )
