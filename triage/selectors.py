"""Reads of triage data, always scoped to the caller's branches."""

from django.db.models import QuerySet

from clinic.api.authentication import BranchCaller
from clinic.scoping import for_caller
from triage.models import Intake


def intake_list(*, caller: BranchCaller) -> QuerySet[Intake]:
    """The caller's intakes with everything a list page shows, in one query."""
    return for_caller(Intake.objects.all(), caller).select_related("patient", "assessment")
