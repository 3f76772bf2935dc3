"""The review dashboard at /admin/dashboard/: a worklist and the figures a clinic runs on."""

from datetime import timedelta

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from clinic import audit
from clinic.admin_mixins import staff_caller
from clinic.charts import horizontal_bars, stacked_bars
from clinic.models import Branch
from referrals.dashboard import dashboard

PERIODS = {"7": 7, "30": 30, "90": 90}


def dashboard_view(request: HttpRequest) -> HttpResponse:
    caller = staff_caller(request)
    branches = list(Branch.objects.filter(id__in=caller.branch_ids).order_by("name"))
    chosen = request.GET.get("branch")
    branch_ids = tuple(b.id for b in branches if chosen in (None, "", b.slug))
    period = request.GET.get("period") if request.GET.get("period") in PERIODS else "30"
    today = timezone.localdate()
    since = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
        days=PERIODS[period] - 1
    )
    data = dashboard(branch_ids=branch_ids, since=since, today=today)
    context = {
        **admin.site.each_context(request),
        "title": "Triage dashboard",
        "data": data,
        "branches": branches,
        "chosen_branch": chosen or "",
        "period": period,
        "periods": list(PERIODS),
        "decisions_chart": stacked_bars(
            "Decisions per day by disposition", data.days, data.decisions_by_day
        ),
        "pipeline_chart": horizontal_bars("Referrals by status", data.pipeline),
    }
    shown = [*data.urgent_unmoved, *data.callbacks, *data.overdue]
    audit.record(
        request=request, caller=caller, action="admin.dashboard.view", status_code=200,
        object_type="referral", object_ids=[r.pk for r in shown],
        patient_ids=[r.patient_id for r in shown],
        branch_id=branch_ids[0] if len(branch_ids) == 1 else None,
    )  # fmt: skip
    return TemplateResponse(request, "admin/triage_dashboard.html", context)
