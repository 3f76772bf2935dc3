"""Bare Django views: no DRF, no authentication, no audit. The ceiling the API is measured
against on the same server, database and machine.

- `insert` (POST): one single-row INSERT of the request body into `bench_baseline_row`
  (created by bench/http_load.py), autocommit, so one statement and one commit.
- `list` (GET ?branch=<id>): one page of a branch's intakes, newest first, with `.values()`:
  one SELECT, no COUNT, no serializer.

They run behind the app's own middleware and database settings, so they also pay what every
request pays there: the middleware stack and Django's connection health check (CONN_HEALTH_CHECKS:
a `SELECT 1` at the first query of each request).

Beside them, for information (the targets are against the bare views), the same two views as
DRF views with what every call of the API must do by the project's rules: the API key checked
(`Authorization: Api-Key`), the caller throttled, and an audit record written with the
outcome and the patients concerned. They show how much of the API's cost those rules alone
take, and so what share of the bare views the API could reach at best.

- `guarded/insert` (POST): the same INSERT, then the audit record;
- `guarded/list` (GET): the same page of the caller's branch, then the audit record naming the
  page's patients.
"""

import json

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api.pagination import PageNumberPagination
from clinic.audit import AuditedMixin
from triage.models import Intake

TABLE = "bench_baseline_row"
CREATE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id bigserial PRIMARY KEY, payload jsonb NOT NULL, created_at timestamptz NOT NULL)"
)
# The intake list's default page size (DRF PAGE_SIZE; the app's paginator only caps it).
PAGE_SIZE = PageNumberPagination().page_size
LIST_FIELDS = (
    "id",
    "submitted_at",
    "questionnaire_version",
    "patient_id",
    "patient__external_id",
    "assessment__disposition",
    "assessment__urgency",
    "assessment__service",
)


def _insert(payload) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (payload, created_at) VALUES (%s::jsonb, now()) RETURNING id",  # noqa: S608
            [json.dumps(payload)],
        )
        (row_id,) = cursor.fetchone()
    return row_id


def _page(branch_ids) -> list[dict]:
    return list(
        Intake.objects.filter(branch_id__in=branch_ids)
        .order_by("-submitted_at")
        .values(*LIST_FIELDS)[:PAGE_SIZE]
    )


@csrf_exempt
@require_POST
def baseline_insert(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"id": _insert(json.loads(request.body))}, status=201)


@require_GET
def baseline_list(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"results": _page([int(request.GET["branch"])])})


class GuardedInsert(AuditedMixin, APIView):
    """The bare INSERT behind the API's authentication, throttling and audit."""

    audit_actions = {"post": "bench.guarded.insert"}

    def post(self, request: Request) -> Response:
        return Response({"id": _insert(request.data)}, status=201)


class GuardedList(AuditedMixin, APIView):
    """The bare page behind the API's authentication, throttling and audit."""

    audit_actions = {"get": "bench.guarded.list"}

    def get(self, request: Request) -> Response:
        return Response({"results": _page(request.user.branch_ids)})
