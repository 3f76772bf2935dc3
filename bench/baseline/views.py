"""Bare Django views: no DRF, no authentication, no audit. The ceiling the API is measured
against on the same server, database and machine.

- `insert` (POST): one single-row INSERT of the request body into `bench_baseline_row`
  (created by bench/http_load.py), autocommit, so one statement and one commit.
- `list` (GET ?branch=<id>): one page of a branch's intakes, newest first, with `.values()`:
  one SELECT, no COUNT, no serializer.

They run behind the app's own middleware and database settings, so they also pay what every
request pays there: the middleware stack and Django's connection health check (CONN_HEALTH_CHECKS:
a `SELECT 1` at the first query of each request).
"""

import json

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from clinic.api.pagination import PageNumberPagination
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


@csrf_exempt
@require_POST
def baseline_insert(request: HttpRequest) -> JsonResponse:
    payload = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (payload, created_at) VALUES (%s::jsonb, now()) RETURNING id",  # noqa: S608
            [json.dumps(payload)],
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


@require_GET
def baseline_list(request: HttpRequest) -> JsonResponse:
    rows = list(
        Intake.objects.filter(branch_id=int(request.GET["branch"]))
        .order_by("-submitted_at")
        .values(*LIST_FIELDS)[:PAGE_SIZE]
    )
    return JsonResponse({"results": rows})
