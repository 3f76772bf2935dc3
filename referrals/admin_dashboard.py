"""The review dashboard at /admin/dashboard/: a worklist and the figures a clinic runs on.

The worklist refreshes itself (htmx asks for the same address with the `HX-Request` header
and gets the worklist alone); a move from it is admin_worklist.move_view."""

from datetime import timedelta

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from clinic import audit
from clinic.admin_mixins import staff_caller
from clinic.charts import horizontal_bars, stacked_bars
from clinic.models import CLINICAL_ROLES, Branch
from referrals.dashboard import dashboard
from referrals.worklist import (
    SERVICE_CHOICES,
    URGENCY_CHOICES,
    Filters,
    Worklist,
    worklist,
)
from triage.rulesets import branch_rulesets

PERIODS = {"7": 7, "30": 30, "90": 90}
WORKLIST_PARTIAL = "admin/triage_worklist_live.html"


def _audit_shown(request: HttpRequest, caller, rows: Worklist, branch_ids) -> None:
    shown = [row.referral for row in rows.rows]
    audit.record(
        request=request, caller=caller, action="admin.dashboard.view", status_code=200,
        object_type="referral", object_ids=[r.pk for r in shown],
        patient_ids=[r.patient_id for r in shown],
        branch_id=branch_ids[0] if len(branch_ids) == 1 else None,
    )  # fmt: skip


def dashboard_view(request: HttpRequest) -> HttpResponse:
    caller = staff_caller(request)
    branches = list(Branch.objects.filter(id__in=caller.branch_ids).order_by("name"))
    chosen = request.GET.get("branch")
    branch_ids = tuple(b.id for b in branches if chosen in (None, "", b.slug))
    period = request.GET.get("period") if request.GET.get("period") in PERIODS else "30"
    filters = Filters.from_query(request.GET)
    rows = worklist(
        branch_ids=branch_ids,
        filters=filters,
        now=timezone.now(),
        reviewer_in=caller.branch_ids_as(CLINICAL_ROLES),
    )
    worklist_context = {
        "worklist": rows,
        "filters": filters,
        "branches": branches,
        "chosen_branch": chosen or "",
        "period": period,
        "here": request.get_full_path(),
    }
    if getattr(request, "htmx", False):
        _audit_shown(request, caller, rows, branch_ids)
        return TemplateResponse(request, WORKLIST_PARTIAL, worklist_context)
    today = timezone.localdate()
    since = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
        days=PERIODS[period] - 1
    )
    data = dashboard(branch_ids=branch_ids, since=since, today=today)
    rulesets = branch_rulesets(branch_ids=branch_ids)
    context = {
        **admin.site.each_context(request),
        **worklist_context,
        "title": "Triage dashboard",
        "data": data,
        "periods": list(PERIODS),
        "service_choices": SERVICE_CHOICES,
        "urgency_choices": URGENCY_CHOICES,
        "decisions_chart": stacked_bars(
            "Decisions per day by disposition", data.days, data.decisions_by_day
        ),
        "pipeline_chart": horizontal_bars("Referrals by status", data.pipeline),
        # Each branch shown: the ruleset version deciding its intakes, and any waiting.
        "rulesets": [(branch, rulesets[branch.id]) for branch in branches if branch.id in rulesets],
    }
    _audit_shown(request, caller, rows, branch_ids)
    return TemplateResponse(request, "admin/triage_dashboard.html", context)
