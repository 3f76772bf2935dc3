"""Reads of triage data, always scoped to the caller's branches."""

from django.db.models import Prefetch, QuerySet

from clinic.callers import Caller
from clinic.models import Event
from clinic.scoping import for_caller
from referrals.models import Referral
from triage.models import Intake, Patient, Review


def intake_list(*, caller: Caller) -> QuerySet[Intake]:
    """The caller's intakes with everything a list page shows, in a fixed number of queries.
    Reception never sees the answers (minimum necessary), so for it they are not even read."""
    intakes = Intake.objects.all()
    if not any(caller.sees_answers_in(branch_id) for branch_id in caller.branch_ids):
        intakes = intakes.defer("answers")
    return (
        for_caller(intakes, caller)
        .select_related("patient", "assessment")
        .prefetch_related(
            Prefetch(
                "referrals", Referral.objects.order_by("-created_at"), to_attr="referral_list"
            ),
            Prefetch(
                "reviews",
                Review.objects.select_related("reviewer").order_by("-created_at"),
                to_attr="review_list",
            ),
        )
    )


def patient_list(*, caller: Caller) -> QuerySet[Patient]:
    return for_caller(Patient.objects.all(), caller)


def patient_history(*, patient: Patient) -> QuerySet[Event]:
    """Everything that happened to one patient's records, oldest first."""
    return Event.objects.filter(branch_id=patient.branch_id, patient_id=patient.id).order_by("id")


def events_after(*, caller: Caller, after: int, limit: int) -> list[Event]:
    return list(for_caller(Event.objects.all(), caller).filter(id__gt=after).order_by("id")[:limit])
