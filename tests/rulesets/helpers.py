"""The ruleset tests' world: branches on a version, safety officers, and replays as the replay
worker leaves them when it is done."""

from collections import Counter
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from clinic.models import Branch
from tests.api.helpers import post_json
from tests.conftest import staff_client
from triage.engine.vocabulary import DISPOSITION_RANK, URGENCY_RANK
from triage.models import Intake, Replay

RULESETS = "/api/v1/rulesets/"
ACTIVATIONS = "/api/v1/rulesets/activations/"
RULES = "/api/v1/rules/"


def activate_url(version: str) -> str:
    return f"{RULESETS}{version}/activations/"


def officer(username: str, branch_slug: str = "north", **kwargs: Any) -> APIClient:
    """A safety officer of `branch_slug`, signed in."""
    return staff_client(username, branch_slug, "safety_officer", **kwargs)


def user(username: str):
    return get_user_model().objects.get(username=username)


def _rank(pair: str) -> tuple[int, int]:
    disposition, urgency = pair.split("/")
    return DISPOSITION_RANK[disposition], URGENCY_RANK[urgency]


def finished_replay(
    branch_slug: str = "north",
    *,
    version: str = "2026.2",
    started_by: str | None = "dr.replayer",
    matrix: list[tuple[str, str, int]] = (),
    status: str = "done",
    created_at: datetime | None = None,
    finished_at: datetime | None = None,
    submitted_after: datetime | None = None,
    submitted_before: datetime | None = None,
    intakes: int | None = None,
) -> Replay:
    """A Replay row as the replay worker leaves a finished one (the replay itself is tested in
    tests/replays/; these tests need only its record): `matrix` is its from → to counts.

    By default it started and finished just now, over the branch's whole history, and counted
    every intake the branch holds (`intakes` says otherwise). `started_by` is the
    user name of who started it (a clinician of the branch, made if new); None: the command
    line, no person."""
    now = timezone.now()
    created_at = created_at or now
    finished_at = finished_at or (None if status == "running" else now)
    branch = Branch.objects.get(slug=branch_slug)
    starter = None
    if started_by is not None:
        model = get_user_model()
        starter = model.objects.filter(username=started_by).first()
        if starter is None:
            staff_client(started_by, branch_slug, "clinician")
            starter = model.objects.get(username=started_by)
    if intakes is None:
        window = Intake.objects.filter(branch=branch, submitted_at__lt=created_at)
        if submitted_after is not None:
            window = window.filter(submitted_at__gte=submitted_after)
        intakes = window.count()
    counts: Counter = Counter()
    for before, after, number in matrix:
        if before != after:
            counts["changed"] += number
            kind = "under_triaged" if _rank(after) < _rank(before) else "over_triaged"
            counts[kind] += number
    summary = None
    if status == "done":
        summary = {
            "intakes": intakes,
            "changed": counts["changed"],
            "under_triaged": counts["under_triaged"],
            "over_triaged": counts["over_triaged"],
            "service_only": 0,
            "rules_only": 0,
            "matrix": [{"from": b, "to": a, "count": n} for b, a, n in matrix],
        }
    return Replay.objects.create(
        branch=branch,
        version=version,
        submitted_after=submitted_after,
        submitted_before=submitted_before,
        started_by=starter,
        actor=f"user:{started_by}" if started_by else "command-line",
        status=status,
        created_at=created_at,
        finished_at=finished_at,
        heartbeat_at=finished_at or created_at,
        total=intakes,
        processed=intakes if status == "done" else 0,
        summary=summary,
    )


UNDER = ("medical_referral/urgent", "physiotherapy/routine")
OVER = ("home_care/routine", "medical_referral/urgent")
SAME = ("physiotherapy/routine", "physiotherapy/routine")


def acknowledged(*pairs: tuple[str, str], rationale: str = "Reviewed with the clinical lead."):
    return [{"from": before, "to": after, "rationale": rationale} for before, after in pairs]


def activate(client: APIClient, version: str, replay: Replay, **body: Any):
    """POST an activation of `version` backed by `replay`; keyword arguments add to the body."""
    return post_json(client, activate_url(version), {"replay": str(replay.id), **body})


def errors_by_field(response) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for error in response.json()["errors"]:
        found.setdefault(error["field"], set()).add(error["code"])
    return found
