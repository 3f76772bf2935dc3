"""Fill a clinic database with a year of realistic triage data, fast.

    .venv/bin/python bench/seed.py --intakes 100000 [--branches 3] [--seed 1] [--reset | --append]

Seeds the database the project's settings name (DATABASE_URL selects PostgreSQL; without it,
the embedded SQLite file): branches, each with a reception API key and a clinician; patients,
some with several intakes; intakes spread over the last year, each with the assessment the real
engine computes for it, stored as `triage.services.intake_create` stores it; a referral for
every decision that sends the patient somewhere, moved along the legal workflow
(`referrals.workflow.LEGAL_NEXT`) with a history row for each move, some of them overdue; a
few clinician reviews, some overriding (the referral follows them as
`referrals.services.referral_follow` would); and the change feed, whose ids follow the events'
times as they would in production. Audit events are not seeded.

Streaming: rows are made a batch of intakes at a time (--batch-size, 5,000) and written, one
transaction per batch, by a writer thread while the next batch is made, so memory stays flat
whatever --intakes is. On PostgreSQL they go in with COPY (see `write_rows` for why not
bulk_create), elsewhere with bulk_create. Every constraint, foreign key and index of the
schema still applies. Without --reset or --append it refuses a database that already holds
intakes; --verify checks every invariant above on the result (for small databases).
Importable: `seed_database(intakes=...)` returns the rows per table.
"""

import argparse
import heapq
import itertools
import json
import os
import queue
import random
import sys
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
os.environ.setdefault("DJANGO_ENV", "development")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from tqdm import tqdm  # noqa: E402

from clinic.models import (  # noqa: E402
    ApiKey,
    AuditEvent,
    AuditPatient,
    Branch,
    Event,
    IdempotencyRecord,
    StaffRole,
)
from referrals import workflow  # noqa: E402
from referrals.models import Referral, ReferralHistory  # noqa: E402
from referrals.selectors import overdue_condition  # noqa: E402
from triage.ages import age_on  # noqa: E402
from triage.api.serializers import IntakeInputSerializer  # noqa: E402
from triage.engine import evaluate  # noqa: E402
from triage.engine import vocabulary as v  # noqa: E402
from triage.models import Assessment, DecisionDay, Intake, Patient, Review  # noqa: E402
from triage.questionnaire import QUESTIONNAIRE_VERSION  # noqa: E402

BRANCH_SLUGS = ("north", "south", "east", "west", "central", "riverside", "harbour", "hillside")
SUPERUSER = "bench.admin"
KEY_NAME = "bench reception"

# Everything the seed writes, children first: what --reset empties.
SEEDED_MODELS = (
    DecisionDay,
    ReferralHistory,
    Referral,
    Review,
    Assessment,
    Intake,
    Patient,
    Event,
    AuditPatient,
    AuditEvent,
    IdempotencyRecord,
    StaffRole,
    ApiKey,
    Branch,
)
COUNTED_MODELS = (
    Branch,
    Patient,
    Intake,
    Assessment,
    Review,
    Referral,
    ReferralHistory,
    Event,
    AuditEvent,
)

RETURNING_SHARE = 0.3  # intakes from a patient already seen in the branch
RECENT_PATIENTS = 20_000  # per branch: who can come back (keeps memory flat)


def clinician_username(slug: str) -> str:
    return f"clinician.{slug}"


# --- answers --------------------------------------------------------------------------------

_STARTBACK_LEVELS = (("low", 0.63, 0.10), ("medium", 0.25, 0.45), ("high", 0.12, 0.80))
_BOTHER_BY_LEVEL = {
    "low": (3, 6, 3, 1, 0.2),
    "medium": (1, 3, 5, 3, 1),
    "high": (0.2, 1, 3, 5, 3),
}
# (yes, unknown) chances for each red-flag item; `no` is the rest.
_RED_FLAG_CHANCES = {
    "bladder_bowel_change": (0.002, 0.004),
    "saddle_numbness": (0.002, 0.004),
    "sexual_dysfunction_new": (0.002, 0.004),
    "fever": (0.010, 0.004),
    "cancer_history": (0.015, 0.004),
    "unexplained_weight_loss": (0.006, 0.004),
    "osteoporosis_or_steroids": (0.025, 0.004),
    "immunosuppression_or_iv_drug_use": (0.020, 0.004),
    "night_pain_unremitting": (0.050, 0.010),
    "thoracic_pain": (0.060, 0.010),
}


def _yes_no_unknown(rng: random.Random, yes: float, unknown: float) -> str:
    roll = rng.random()
    return "yes" if roll < yes else "unknown" if roll < yes + unknown else "no"


def random_answers(rng: random.Random) -> dict:
    """A complete, valid answers dict (SPEC §2) drawn so that the decisions come out in
    roughly a clinic's shares: about half home care, a third physiotherapy, the rest medical
    referrals, with a few urgent, emergency and call-back decisions."""
    episode = rng.random()
    if episode < 0.75:
        duration = min(42, int(rng.expovariate(1 / 12)))
    elif episode < 0.9:
        duration = rng.randint(43, 90)
    else:
        duration = rng.randint(91, 720)
    level, _, agree = rng.choices(_STARTBACK_LEVELS, weights=[w for _, w, _ in _STARTBACK_LEVELS])[
        0
    ]
    startback: dict = {item: rng.random() < agree for item in v.STARTBACK_ITEMS}
    startback["bothersomeness"] = rng.choices(v.BOTHERSOMENESS, _BOTHER_BY_LEVEL[level])[0]
    leg_roll = rng.random()
    answers = {
        "pain_duration_days": duration,
        "pain_score": max(0, min(10, round(rng.gauss(5.5, 2)))),
        "spasm_present": rng.random() < 0.4,
        "suspected_triggers": rng.sample(v.TRIGGERS, rng.choices((0, 1, 2), (3, 5, 2))[0]),
        "first_ever_episode": rng.random() < 0.25,
        "prior_episodes_12m": rng.choices((0, 1, 2, 3, 4, 6), (58, 22, 12, 4, 2, 2))[0],
        "self_care_not_helping": rng.random() < 0.2,
        "completed_physiotherapy": rng.random() < 0.08,
        "radiation_below_knee": rng.random() < 0.2,
        "bilateral_leg_symptoms": rng.random() < 0.008,
        "leg_numbness": rng.random() < 0.1,
        "leg_weakness": "progressive"
        if leg_roll < 0.01
        else "stable"
        if leg_roll < 0.07
        else "none",
        "trauma": rng.choices(v.TRAUMA, (85, 12, 0.4, 0.6))[0],
        "inflammatory_features": rng.sample(
            v.INFLAMMATORY_FEATURES, rng.choices((0, 1, 2, 3, 4), (70, 15, 8, 5, 2))[0]
        ),
        "startback": startback,
    }
    for item, (yes, unknown) in _RED_FLAG_CHANCES.items():
        answers[item] = _yes_no_unknown(rng, yes, unknown)
    return answers


def random_age(rng: random.Random) -> int:
    """Age at a first intake: mostly working-age adults, a few older people and children."""
    if rng.random() < 0.01:
        return rng.randint(11, 15)
    return max(16, min(95, round(rng.gauss(48, 16))))


def _birth_date(rng: random.Random, age: int, on: date) -> date:
    born = on - timedelta(days=round(age * 365.25) + rng.randint(1, 364))
    return born if age_on(born, on) == age else on.replace(year=on.year - age - 1)


# --- when intakes arrive --------------------------------------------------------------------

_HOUR_WEIGHTS = (0.1, 0.05, 0.05, 0.05, 0.1, 0.2, 0.5, 1.5, 4, 6, 6, 5,
                 4, 5, 5, 4.5, 4, 3, 2, 1.5, 1, 0.6, 0.3, 0.2)  # fmt: skip
_WEEKDAY_WEIGHTS = (1.0, 0.95, 0.95, 0.9, 0.85, 0.3, 0.15)


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def intake_times(rng: random.Random, n: int, days: int, now: datetime, tz) -> Iterator[datetime]:
    """`n` submission times over the last `days` days up to `now`, in order: busier on
    weekdays and in clinic hours, growing a little over the year."""
    today = now.astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    local_now = now.astimezone(tz)
    day_list = [first + timedelta(days=i) for i in range(days)]
    weights = [
        _WEEKDAY_WEIGHTS[d.weekday()] * (0.8 + 0.4 * i / days) for i, d in enumerate(day_list)
    ]
    elapsed_today = sum(_HOUR_WEIGHTS[: local_now.hour]) + _HOUR_WEIGHTS[local_now.hour] * (
        local_now.minute / 60
    )
    weights[-1] *= elapsed_today / sum(_HOUR_WEIGHTS)
    for day, count in zip(day_list, _apportion(n, weights), strict=True):
        if not count:
            continue
        last_hour = local_now.hour if day == today else 23
        hours = rng.choices(range(last_hour + 1), _HOUR_WEIGHTS[: last_hour + 1], k=count)
        moments = []
        for hour in hours:
            moment = datetime(day.year, day.month, day.day, hour, tzinfo=tz) + timedelta(
                seconds=rng.random() * 3600
            )
            moments.append(min(moment, now - timedelta(seconds=rng.random() * 60)))
        moments.sort()
        yield from moments


# --- referral workflow ----------------------------------------------------------------------

# For each status, what happens next: (chance, next status or None to stay, hours (low, high),
# whether urgency speeds it up, note). Only LEGAL_NEXT moves; checked at import.
_NO_RESPONSE = "No response from the patient after three attempts."
_FLOW: dict[str, tuple] = {
    "open": (
        (0.934, "sent", (2, 72), True, ""),
        (0.02, "cancelled", (1, 48), True, "Patient chose to wait and see."),
        (0.04, "cancelled", (480, 1440), False, _NO_RESPONSE),
        (0.006, None, None, False, ""),  # forgotten: overdue for ever
    ),
    "sent": (
        (0.896, "accepted", (4, 96), True, ""),
        (0.05, "declined", (24, 120), True, "Declined: does not meet the service's criteria."),
        (0.02, "cancelled", (24, 120), True, "Symptoms resolved before an appointment."),
        (0.03, "cancelled", (480, 1440), False, _NO_RESPONSE),
        (0.004, None, None, False, ""),
    ),
    "accepted": (
        (0.956, "booked", (4, 120), True, ""),
        (0.02, "cancelled", (24, 240), True, "Patient moved away."),
        (0.02, "cancelled", (480, 1440), False, _NO_RESPONSE),
        (0.004, None, None, False, ""),
    ),
    "booked": (
        (0.84, "attended", (48, 504), True, ""),
        (0.11, "not_attended", (48, 504), True, "Did not attend."),
        (0.05, "cancelled", (24, 240), True, "Patient cancelled the appointment."),
    ),
    "not_attended": (
        (0.65, "booked", (24, 168), False, "Rebooked after a missed appointment."),
        (0.35, "cancelled", (24, 336), False, "Did not attend twice; discharged."),
    ),
    "attended": (
        (0.97, "completed", (2, 96), False, ""),
        (0.03, None, None, False, ""),
    ),
}
_SPEED = {"emergency": 0.05, "urgent": 0.3, "routine": 1.0}
# Moves a reception system reports with its key; the others are a clinician's.
_BY_RECEPTION = frozenset({"sent", "booked", "attended", "not_attended", "completed"})

for _status, _options in _FLOW.items():
    for _chance, _to, *_ in _options:
        assert _to is None or workflow.is_legal(_status, _to), (_status, _to)
    assert abs(sum(option[0] for option in _options) - 1) < 1e-9, _status


@dataclass
class Move:
    at: datetime
    from_status: str
    to_status: str
    note: str = ""
    kind: str = "transition"
    by_reception: bool = False


def referral_walk(rng: random.Random, urgency: str, opened: datetime, now: datetime) -> list[Move]:
    """The legal moves a referral opened at `opened` has made by `now`."""
    moves: list[Move] = []
    status, at = "open", opened
    while status not in workflow.FINAL:
        options = _FLOW[status]
        _, to, hours, speeds_up, note = rng.choices(options, [o[0] for o in options])[0]
        if to is None:
            break
        scale = _SPEED[urgency] if speeds_up else 1.0
        at = at + timedelta(hours=rng.uniform(*hours) * scale)
        if at > now:
            break
        moves.append(Move(at, status, to, note, by_reception=to in _BY_RECEPTION))
        status = to
    return moves


def _status_at(moves: list[Move], moment: datetime) -> str:
    status = "open"
    for move in moves:
        if move.at > moment:
            break
        status = move.to_status
    return status


# --- clinician reviews ----------------------------------------------------------------------

OVERRIDE_SHARE = 0.3


@dataclass(frozen=True)
class ReviewPlan:
    disposition: str
    urgency: str
    service: str
    imaging: str
    reason: str


# fmt: off
def review_plan(rng: random.Random, assessment: dict) -> ReviewPlan:
    """A confirmation, or (OVERRIDE_SHARE of the time) an override a clinician would make."""
    disposition, urgency, service, imaging = (
        assessment[k] for k in ("disposition", "urgency", "service", "imaging")
    )
    if rng.random() >= OVERRIDE_SHARE or urgency == "emergency":
        return ReviewPlan(disposition, urgency, service, imaging, "Agree with the decision.")
    if disposition == "home_care":
        return ReviewPlan("physiotherapy", "routine", "physiotherapy", "none",
                          "Spoke to the patient: the pain is stopping them working.")
    if disposition == "physiotherapy":
        if rng.random() < 0.5:
            return ReviewPlan("home_care", "routine", "self_care", "none",
                              "Already improving; self-care with safety-netting.")
        other = next(s for s in v.SERVICES_BY_DISPOSITION["physiotherapy"] if s != service)
        return ReviewPlan("physiotherapy", "routine", other, "none",
                          "Better suited to the other physiotherapy pathway.")
    if service == "clinician_callback":
        return ReviewPlan("medical_referral", "routine", "gp", "none",
                          "Phoned the patient: no warning signs; routine GP review.")
    if urgency == "urgent":
        return ReviewPlan("medical_referral", "routine", service, imaging,
                          "Long-standing and stable; routine is safe.")
    return ReviewPlan("medical_referral", "urgent", service, imaging,
                      "Worse since the form was filled in; expedite.")
# fmt: on


# --- setup, reset, counts -------------------------------------------------------------------


@dataclass
class Site:
    branch: Branch
    key: ApiKey
    clinician: object  # a User
    prefix: str
    next_patient: int
    recent: deque = field(default_factory=lambda: deque(maxlen=RECENT_PATIENTS))


def ensure_people(branches: int) -> tuple[list[Site], object]:
    """Branches, each with a reception key and a clinician, and a superuser: made once,
    reused after."""
    if not 1 <= branches <= len(BRANCH_SLUGS):
        raise SystemExit(f"--branches must be 1 to {len(BRANCH_SLUGS)}")
    users = get_user_model().objects
    superuser = users.filter(username=SUPERUSER).first()
    if superuser is None:
        superuser = users.create_superuser(SUPERUSER, email="", password=None)
    sites = []
    for slug in BRANCH_SLUGS[:branches]:
        branch, _ = Branch.objects.get_or_create(slug=slug, defaults={"name": slug.title()})
        key = ApiKey.objects.filter(branch=branch, name=KEY_NAME, revoked=False).first()
        if key is None:
            key, _ = ApiKey.objects.create_key(branch=branch, name=KEY_NAME)
        clinician = users.filter(username=clinician_username(slug)).first()
        if clinician is None:
            clinician = users.create_user(clinician_username(slug), password=None, is_staff=True)
        StaffRole.objects.update_or_create(
            user=clinician, branch=branch, defaults={"role": "clinician"}
        )
        prefix = slug[:3].upper()
        sites.append(
            Site(branch, key, clinician, prefix, Patient.objects.filter(branch=branch).count())
        )
    return sites, superuser


def reset_data() -> None:
    """Empty every table the seed writes (users are kept). On PostgreSQL, TRUNCATE: the
    audit trail's append-only trigger refuses row deletes, by design."""
    tables = [model._meta.db_table for model in SEEDED_MODELS]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - our own table names


def row_counts() -> dict[str, int]:
    return {model._meta.db_table: model.objects.count() for model in COUNTED_MODELS}


@contextmanager
def given_created_at(*models):
    """Let bulk_create keep the `created_at` we give (auto_now_add would stamp now)."""
    fields = [model._meta.get_field("created_at") for model in models]
    saved = [f.auto_now_add for f in fields]
    for f in fields:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f, value in zip(fields, saved, strict=True):
            f.auto_now_add = value


# --- writing rows ---------------------------------------------------------------------------

# The columns the seed fills, by field attname; the others keep their database default
# (auto ids, NULL).
COLUMNS = {
    Patient: ("id", "branch_id", "external_id", "date_of_birth", "sex", "created_at"),
    Intake: ("id", "branch_id", "patient_id", "answers", "questionnaire_version",
             "submitted_at", "api_key_id", "test"),
    Assessment: ("intake_id", "branch_id", "submitted_at", "disposition", "urgency", "service",
                 "imaging", "startback_risk", "has_red_flags", "age", "ruleset_version",
                 "decision", "created_at", "test"),
    Referral: ("id", "branch_id", "intake_id", "patient_id", "service", "urgency", "imaging",
               "reasons_summary", "status", "due_by", "first_booked_at", "booked_after", "version",
               "created_at", "updated_at", "test"),
    Review: ("id", "intake_id", "branch_id", "reviewer_id", "disposition", "urgency", "service",
             "imaging", "reason", "overridden", "created_at"),
    ReferralHistory: ("referral_id", "kind", "from_status", "to_status", "note", "actor",
                      "user_id", "api_key_id", "at"),
    Event: ("branch_id", "type", "occurred_at", "patient_id", "intake_id", "referral_id",
            "review_id", "data"),
}  # fmt: skip


def write_rows(model, rows: list[dict], batch_size: int) -> None:
    """Insert rows (dicts by attname). PostgreSQL: COPY, the fastest way in; otherwise
    bulk_create.

    Why not bulk_create on PostgreSQL: Django 5.2 inserts there with INSERT ... SELECT * FROM
    UNNEST(one array per column), and psycopg (client-side binding, the project's setting)
    quotes every array element in Python, escaping each quote of every JSON document with a
    regex; forcing INSERT ... VALUES instead is slower still (psycopg splits the huge query with
    a regex). Measured on this 2-core machine: about 350 intakes/s with bulk_create, about
    1,200 with COPY, where most of the remaining time is the database's own work.
    """
    if not rows:
        return
    columns = COLUMNS[model]
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], batch_size=batch_size)
        return
    fields = [model._meta.get_field(name) for name in columns]
    is_json = [f.get_internal_type() == "JSONField" for f in fields]
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(
                [
                    json.dumps(row[name]) if js else row.get(name)
                    for name, js in zip(columns, is_json, strict=True)
                ]
            )


# --- the seeding loop -----------------------------------------------------------------------


@dataclass
class Batch:
    patients: list = field(default_factory=list)
    intakes: list = field(default_factory=list)
    assessments: list = field(default_factory=list)
    referrals: list = field(default_factory=list)
    histories: list = field(default_factory=list)
    reviews: list = field(default_factory=list)


class Seeder:
    """Makes the rows for one intake at a time and everything that follows from it."""

    def __init__(self, *, sites, rng, ids_rng, now, tz, review_rate):
        self.sites = sites
        self.rng = rng
        self.ids_rng = ids_rng
        self.now = now
        self.tz = tz
        self.review_rate = review_rate
        self.events: list[tuple] = []  # a heap of change-feed events not yet written, by time
        self.event_seq = 0
        self.site_weights = [1 / (i + 1) ** 0.5 for i in range(len(sites))]

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.ids_rng.getrandbits(128), version=4)

    def event(self, at: datetime, site: Site, type_: str, ids: dict, data: dict) -> None:
        self.event_seq += 1
        row = {"branch_id": site.branch.pk, "type": type_, "occurred_at": at, **ids, "data": data}
        heapq.heappush(self.events, (at, self.event_seq, row))

    def due_events(self, until: datetime | None) -> list[dict]:
        """Events up to `until` (all when None), oldest first: ids then follow time, as the
        feed's commit-order lock makes them do in production."""
        out = []
        while self.events and (until is None or self.events[0][0] <= until):
            out.append(heapq.heappop(self.events)[2])
        return out

    def add_intake(self, batch: Batch, submitted_at: datetime) -> None:
        rng = self.rng
        site = rng.choices(self.sites, self.site_weights)[0]
        day = submitted_at.astimezone(self.tz).date()
        if len(site.recent) > 50 and rng.random() < RETURNING_SHARE:
            patient_id, birth = site.recent[rng.randrange(len(site.recent))]
        else:
            site.next_patient += 1
            patient_id, birth = self.new_id(), _birth_date(rng, random_age(rng), day)
            batch.patients.append(
                {
                    "id": patient_id,
                    "branch_id": site.branch.pk,
                    "external_id": f"{site.prefix}-{site.next_patient:07d}",
                    "date_of_birth": birth,
                    "sex": rng.choices(v.SEXES, (55, 43, 1, 1))[0],
                    "created_at": submitted_at,
                }
            )
            site.recent.append((patient_id, birth))
        age = age_on(birth, day)
        answers = random_answers(rng)
        # As triage.services.intake_create stores it.
        decision = evaluate(answers, age)
        decided = decision.as_dict()
        intake = {
            "id": self.new_id(),
            "branch_id": site.branch.pk,
            "patient_id": patient_id,
            "answers": answers,
            "questionnaire_version": QUESTIONNAIRE_VERSION,
            "submitted_at": submitted_at,
            "api_key_id": site.key.pk,
            "test": False,  # a live key's intake (a test key's would be marked, issue 14)
        }
        assessment = {
            "intake_id": intake["id"],
            "branch_id": intake["branch_id"],
            "submitted_at": submitted_at,
            "disposition": decision.disposition,
            "urgency": decision.urgency,
            "service": decision.service,
            "imaging": decision.imaging,
            "startback_risk": decision.startback.risk,
            "has_red_flags": bool(decision.red_flags),
            "age": age,
            "ruleset_version": decision.ruleset_version,
            "decision": decided,
            "created_at": submitted_at,
            "test": False,
        }
        batch.intakes.append(intake)
        batch.assessments.append(assessment)
        ids = {"patient_id": patient_id, "intake_id": intake["id"]}
        self.event(submitted_at, site, "intake.created", ids,
                   {"questionnaire_version": QUESTIONNAIRE_VERSION})  # fmt: skip
        self.event(submitted_at, site, "assessment.created", ids,
                   {k: decided[k] for k in ("disposition", "urgency", "service")})  # fmt: skip

        referral = moves = None
        if decision.disposition != "home_care":
            referral, moves = self.open_referral(
                site, intake, assessment, decided["reasons"], submitted_at, by_key=True
            )
        reviewed_at = submitted_at + timedelta(hours=rng.uniform(0.5, 48))
        if rng.random() < self.review_rate and reviewed_at < self.now:
            referral, moves = self.review(
                batch, site, intake, assessment, decided, referral, moves, reviewed_at
            )
        if referral is not None:
            self.close_referral(batch, site, intake, referral, moves)

    def open_referral(self, site, intake, outcome: dict, reasons, at, *, by_key):
        """As referrals.services.referral_open, then the moves it makes by now."""
        referral = {
            "id": self.new_id(),
            "branch_id": site.branch.pk,
            "intake_id": intake["id"],
            "patient_id": intake["patient_id"],
            "service": outcome["service"],
            "urgency": outcome["urgency"],
            "imaging": outcome["imaging"],
            "reasons_summary": "\n".join(f"{r['rule_id']}: {r['text']}" for r in reasons),
            "status": "open",
            "due_by": workflow.due_by(outcome["urgency"], timezone.localtime(at, self.tz)),
            "created_at": at,
            "test": False,
        }
        opened = Move(at, "", "open", by_reception=by_key)
        return referral, [opened, *referral_walk(self.rng, outcome["urgency"], at, self.now)]

    def review(self, batch, site, intake, assessment, decided, referral, moves, at):
        """A clinician's review at `at`, and what it does to the referral
        (referrals.services.referral_follow)."""
        plan = review_plan(self.rng, assessment)
        before = tuple(assessment[k] for k in ("disposition", "urgency", "service", "imaging"))
        after = (plan.disposition, plan.urgency, plan.service, plan.imaging)
        status = _status_at(moves, at) if referral is not None else None
        if after != before and plan.disposition != "home_care" and status in workflow.FINAL:
            # The referral has ended: this override would open a second one. Keep it simple.
            plan, after = ReviewPlan(*before, "Agree with the decision."), before
        review_id = self.new_id()
        batch.reviews.append(
            {
                "id": review_id,
                "intake_id": intake["id"],
                "branch_id": intake["branch_id"],
                "reviewer_id": site.clinician.pk,
                "disposition": plan.disposition,
                "urgency": plan.urgency,
                "service": plan.service,
                "imaging": plan.imaging,
                "reason": plan.reason,
                "overridden": after != before,
                "created_at": at,
            }
        )
        ids = {
            "patient_id": intake["patient_id"],
            "intake_id": intake["id"],
            "review_id": review_id,
        }
        self.event(at, site, "review.created", ids,
                   {"disposition": plan.disposition, "urgency": plan.urgency,
                    "service": plan.service, "overridden": after != before})  # fmt: skip
        note = f"Clinician review: {plan.reason}"
        if after == before:
            return referral, moves
        if plan.disposition == "home_care":  # cancel the referral if it is still going
            if status is not None and status not in workflow.FINAL:
                moves = [m for m in moves if m.at <= at]
                moves.append(Move(at, status, "cancelled", note))
            return referral, moves
        if referral is None:  # home care raised to a referral: open one now
            outcome = {"service": plan.service, "urgency": plan.urgency, "imaging": plan.imaging}
            return self.open_referral(site, intake, outcome, decided["reasons"], at, by_key=False)
        wanted = {"service": plan.service, "urgency": plan.urgency, "imaging": plan.imaging}
        if any(referral[k] != value for k, value in wanted.items()):  # amend it
            if referral["urgency"] != plan.urgency:
                referral["due_by"] = workflow.due_by(plan.urgency, timezone.localtime(at, self.tz))
            referral.update(wanted)
            later = [m for m in moves if m.at > at]
            moves = [*(m for m in moves if m.at <= at), Move(at, status, status, note, "amendment")]
            moves.extend(later)
        return referral, moves

    def close_referral(self, batch, site, intake, referral, moves) -> None:
        """The referral's final state, its history rows and its feed events."""
        key, clinician = site.key, site.clinician
        ids = {"patient_id": intake["patient_id"], "intake_id": intake["id"],
               "referral_id": referral["id"]}  # fmt: skip
        for move in moves:
            by_key = move.by_reception
            batch.histories.append(
                {
                    "referral_id": referral["id"],
                    "kind": move.kind,
                    "from_status": move.from_status,
                    "to_status": move.to_status,
                    "note": move.note,
                    "actor": f"api-key:{key.prefix}" if by_key else f"user:{clinician.username}",
                    "user_id": None if by_key else clinician.pk,
                    "api_key_id": key.pk if by_key else None,
                    "at": move.at,
                }
            )
            if move.from_status == "":
                type_ = "referral.opened"
                data = {"status": "open", "service": referral["service"],
                        "urgency": referral["urgency"]}  # fmt: skip
            elif move.kind == "amendment":
                type_ = "referral.amended"
                data = {"service": referral["service"], "urgency": referral["urgency"]}
            else:
                type_ = "referral.transitioned"
                data = {"from": move.from_status, "to": move.to_status}
            self.event(move.at, site, type_, ids, data)
        referral["status"] = moves[-1].to_status
        referral["first_booked_at"] = next(
            (m.at for m in moves if m.to_status == "booked" and m.kind != "amendment"), None
        )
        referral["booked_after"] = (
            None
            if referral["first_booked_at"] is None
            # In UTC: two local times in one zone subtract as wall-clock times, which is an
            # hour out across a clock change.
            else referral["first_booked_at"].astimezone(UTC)
            - intake["submitted_at"].astimezone(UTC)
        )
        referral["version"] = len(moves)
        referral["updated_at"] = moves[-1].at
        batch.referrals.append(referral)


def write_batch(batch: Batch, events: list[dict], batch_size: int) -> None:
    """One batch's rows, and the feed events due by its end, in one transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        write_rows(Patient, batch.patients, batch_size)
        write_rows(Intake, batch.intakes, batch_size)
        write_rows(Assessment, batch.assessments, batch_size)
        write_rows(Referral, batch.referrals, batch_size)
        write_rows(Review, batch.reviews, batch_size)
        write_rows(ReferralHistory, batch.histories, batch_size)
        write_rows(Event, events, batch_size)


class Writer(threading.Thread):
    """Writes batches on its own connection while the main thread makes the next one, so
    the database's work (indexes, deferred foreign-key checks at commit) overlaps Python's.
    At most two batches wait, so memory stays flat."""

    def __init__(self, batch_size: int, bar) -> None:
        super().__init__(name="seed-writer", daemon=True)
        self.batch_size, self.bar = batch_size, bar
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while (item := self.queue.get()) is not None:
                batch, events = item
                write_batch(batch, events, self.batch_size)
                self.bar.update(len(batch.intakes))
        except BaseException as error:  # handed to the main thread
            self.error = error
        finally:
            connection.close()

    def put(self, batch: Batch, events: list[dict]) -> None:
        while self.error is None:
            try:
                return self.queue.put((batch, events), timeout=0.5)
            except queue.Full:
                continue
        raise RuntimeError("the writer thread failed") from self.error

    def finish(self) -> None:
        if self.error is None:
            self.queue.put(None)
        self.join()
        if self.error is not None:
            raise RuntimeError("the writer thread failed") from self.error


def seed_database(
    *,
    intakes: int,
    branches: int = 3,
    seed: int = 1,
    days: int = 365,
    batch_size: int = 5000,
    review_rate: float = 0.03,
    reset: bool = False,
    append: bool = False,
    progress: bool = True,
) -> dict[str, int]:
    """Seed `intakes` intakes (and all that follows from them); returns rows per table."""
    if settings.PRODUCTION:
        raise SystemExit("Refusing to seed with DJANGO_ENV=production.")
    if reset:
        reset_data()
    existing = Intake.objects.count()
    if existing and not append:
        raise SystemExit(
            f"The database already holds {existing} intakes: pass --reset to empty it first, "
            "or --append to add to them."
        )
    sites, _ = ensure_people(branches)
    tz = ZoneInfo(settings.TIME_ZONE)
    now = timezone.now()
    rng = random.Random(seed)
    # Ids differ between appended runs (same seed, different starting point): no clashes.
    seeder = Seeder(
        sites=sites,
        rng=rng,
        ids_rng=random.Random(f"{seed}:{existing}:ids"),
        now=now,
        tz=tz,
        review_rate=review_rate,
    )
    times = intake_times(random.Random(f"{seed}:times"), intakes, days, now, tz)
    bar = tqdm(total=intakes, unit="intake", disable=not progress, smoothing=0.1)
    writer = Writer(batch_size, bar)
    with given_created_at(Patient, Assessment):
        writer.start()
        try:
            batch, last = Batch(), None
            for submitted_at in times:
                seeder.add_intake(batch, submitted_at)
                last = submitted_at
                if len(batch.intakes) == batch_size:
                    writer.put(batch, seeder.due_events(until=last))
                    batch = Batch()
            writer.put(batch, seeder.due_events(until=None))  # the rest, every event left
        finally:
            writer.finish()
            bar.close()
            # The seed writes decisions into past days, which the dashboard may have kept the
            # figures of: they are counted again when next shown.
            DecisionDay.objects.all().delete()
    return row_counts()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intakes", type=int, default=0, help="how many intakes to add")
    parser.add_argument("--branches", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=365, help="spread over the last N days")
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--review-rate", type=float, default=0.03)
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--reset", action="store_true", help="empty the seeded tables first")
    what.add_argument("--append", action="store_true", help="add to existing data")
    parser.add_argument(
        "--verify", action="store_true", help="check the data's consistency (slow at scale)"
    )
    args = parser.parse_args()
    if not args.intakes and not args.verify:
        parser.error("give --intakes N (and/or --verify)")

    db = connection.settings_dict
    where = f" on {db['HOST']}:{db['PORT']}" if db.get("HOST") else ""
    print(f"database: {connection.vendor} {db['NAME']}{where}", flush=True)
    if args.intakes:
        started = time.perf_counter()
        counts = seed_database(
            intakes=args.intakes,
            branches=args.branches,
            seed=args.seed,
            days=args.days,
            batch_size=args.batch_size,
            review_rate=args.review_rate,
            reset=args.reset,
            append=args.append,
        )
        elapsed = time.perf_counter() - started
        print(f"seeded {args.intakes:,} intakes in {elapsed:.1f} s "
              f"({args.intakes / elapsed:,.0f} intakes/s)")  # fmt: skip
        width = max(map(len, counts))
        print(f"{'table':<{width}}  {'rows':>10}")
        for table, rows in counts.items():
            print(f"{table:<{width}}  {rows:>10,}")
        print_mix()
    if args.verify:
        problems = verify_database()
        for problem in problems[:50]:
            print("PROBLEM:", problem)
        print(f"verify: {len(problems)} problems")
        if problems:
            raise SystemExit(1)


def print_mix() -> None:
    """The shares that make the data realistic: decisions, referral statuses, overdue."""
    total = Assessment.objects.count() or 1
    outcomes = Assessment.objects.values_list("disposition", "urgency").annotate(
        n=models.Count("pk")
    )
    print("decisions: " + ", ".join(
        f"{d}/{u} {n / total:.1%}" for d, u, n in sorted(outcomes)
    ))  # fmt: skip
    callbacks = Assessment.objects.filter(service="clinician_callback").count()
    flagged = Assessment.objects.filter(has_red_flags=True).count()
    print(f"call-backs: {callbacks / total:.1%}   with red flags: {flagged / total:.1%}")
    statuses = dict(Referral.objects.values_list("status").annotate(n=models.Count("pk")))
    print("referrals: " + ", ".join(f"{s} {statuses.get(s, 0):,}" for s in workflow.STATUSES))
    overdue = Referral.objects.filter(overdue_condition()).count()
    reviews = Review.objects.count()
    overridden = Review.objects.filter(overridden=True).count()
    print(f"overdue referrals: {overdue:,}   reviews: {reviews:,} ({overridden:,} overriding)")


def verify_database() -> list[str]:
    """Every invariant the seed promises, checked row by row against the app's own rules.
    Reads everything into memory: meant for a scratch database of a few thousand intakes."""
    problems: list[str] = []
    tz = ZoneInfo(settings.TIME_ZONE)
    now = timezone.now()
    decided = ("disposition", "urgency", "service", "imaging")
    patients = {p["id"]: p for p in Patient.objects.values()}
    intakes = {i["id"]: i for i in Intake.objects.values()}
    assessments = {a["intake_id"]: a for a in Assessment.objects.values()}
    reviews: dict = {}
    for r in Review.objects.order_by("created_at", "id").values():
        reviews.setdefault(r["intake_id"], []).append(r)
    clinicians = set(StaffRole.objects.filter(role__in=("clinician", "clinic_admin"))
                     .values_list("user_id", "branch_id"))  # fmt: skip
    referrals: dict = {}
    for r in Referral.objects.values():
        referrals.setdefault(r["intake_id"], []).append(r)
    history: dict = {}
    for h in ReferralHistory.objects.order_by("at", "id").values():
        history.setdefault(h["referral_id"], []).append(h)

    def problem(text: str) -> None:
        problems.append(text)

    for referral_list in referrals.values():
        for r in referral_list:
            booked = [h["at"] for h in history.get(r["id"], [])
                      if h["to_status"] == "booked" and h["kind"] == "transition"]  # fmt: skip
            if r["first_booked_at"] != (booked[0] if booked else None):
                problem(f"referral {r['id']}: first_booked_at is not its first booking")
            submitted = intakes[r["intake_id"]]["submitted_at"]
            if r["booked_after"] != (booked[0] - submitted if booked else None):
                problem(f"referral {r['id']}: booked_after is not intake to first booking")

    for intake_id, intake in intakes.items():
        patient = patients[intake["patient_id"]]
        a = assessments.get(intake_id)
        if a is None:
            problem(f"intake {intake_id} has no assessment")
            continue
        if patient["branch_id"] != intake["branch_id"]:
            problem(f"intake {intake_id}: patient of another branch")
        if patient["created_at"] > intake["submitted_at"]:
            problem(f"intake {intake_id}: submitted before its patient was created")
        if not intake["submitted_at"] <= now:
            problem(f"intake {intake_id}: submitted in the future")
        age = age_on(patient["date_of_birth"], intake["submitted_at"].astimezone(tz).date())
        decision = evaluate(intake["answers"], age).as_dict()
        if a["age"] != age or a["decision"] != decision:
            problem(f"intake {intake_id}: stored assessment is not the engine's")
        if tuple(a[k] for k in decided) != tuple(decision[k] for k in decided):
            problem(f"intake {intake_id}: assessment columns differ from its decision")
        if a["has_red_flags"] != bool(decision["red_flags"]):
            problem(f"intake {intake_id}: has_red_flags wrong")
        if a["startback_risk"] != decision["startback"]["risk"]:
            problem(f"intake {intake_id}: startback_risk wrong")
        if (a["branch_id"], a["submitted_at"]) != (intake["branch_id"], intake["submitted_at"]):
            problem(f"intake {intake_id}: assessment's copy of branch or time differs")
        body = {
            "patient": {"external_id": patient["external_id"], "sex": patient["sex"],
                        "date_of_birth": patient["date_of_birth"].isoformat()},
            "answers": intake["answers"],
        }  # fmt: skip
        serializer = IntakeInputSerializer(data=body)
        if not serializer.is_valid():
            problem(f"intake {intake_id}: the API would refuse it: {serializer.errors}")
        final = a
        for review in reviews.get(intake_id, []):
            if (review["reviewer_id"], intake["branch_id"]) not in clinicians:
                problem(f"review {review['id']}: reviewer is not a clinician of the branch")
            if review["branch_id"] != intake["branch_id"]:
                problem(f"review {review['id']}: branch differs from its intake's")
            overridden = tuple(review[k] for k in decided) != tuple(a[k] for k in decided)
            if review["overridden"] != overridden:
                problem(f"review {review['id']}: overridden flag wrong")
            if review["created_at"] < intake["submitted_at"] or review["created_at"] > now:
                problem(f"review {review['id']}: time outside intake..now")
            final = review
        own = referrals.get(intake_id, [])
        if a["disposition"] != "home_care" and not own:
            problem(f"intake {intake_id}: {a['disposition']} without a referral")
        if own and a["disposition"] == "home_care" and final["disposition"] == "home_care":
            problem(f"intake {intake_id}: home care (never raised) with a referral")
        if sum(r["status"] not in workflow.FINAL for r in own) > 1:
            problem(f"intake {intake_id}: several active referrals")
        for r in own:
            rows = history.get(r["id"], [])
            if not rows or (rows[0]["from_status"], rows[0]["to_status"]) != ("", "open"):
                problem(f"referral {r['id']}: history does not start with its opening")
                continue
            if rows[0]["at"] != r["created_at"]:
                problem(f"referral {r['id']}: opened at another time than created")
            status, last_at = "open", r["created_at"]
            for h in rows[1:]:
                if h["from_status"] != status:
                    problem(f"referral {r['id']}: history breaks the chain at {h['id']}")
                if h["kind"] == "transition" and not workflow.is_legal(status, h["to_status"]):
                    problem(f"referral {r['id']}: illegal move {status} -> {h['to_status']}")
                if h["kind"] == "amendment" and h["to_status"] != status:
                    problem(f"referral {r['id']}: an amendment changed the status")
                if h["to_status"] in workflow.NOTE_REQUIRED and not h["note"].strip():
                    problem(f"referral {r['id']}: {h['to_status']} without a note")
                if not last_at <= h["at"] <= now:
                    problem(f"referral {r['id']}: history out of time order")
                status, last_at = h["to_status"], h["at"]
            if r["status"] != status or r["version"] != len(rows) or r["updated_at"] != last_at:
                problem(f"referral {r['id']}: status/version/updated_at disagree with history")
            amended = any(h["kind"] == "amendment" for h in rows)
            expected_due = workflow.due_by(r["urgency"], r["created_at"].astimezone(tz))
            if not amended and r["due_by"] != expected_due:
                problem(f"referral {r['id']}: due_by is not workflow.due_by")
            if r["branch_id"] != intake["branch_id"] or r["patient_id"] != intake["patient_id"]:
                problem(f"referral {r['id']}: branch or patient differs from its intake")
            if r["status"] not in workflow.FINAL and (r["service"], r["urgency"]) != (
                final["service"], final["urgency"]
            ):  # fmt: skip
                problem(f"referral {r['id']}: active but not following the final decision")

    # The change feed: one event per record and per move, ids in time order.
    events = Counter(Event.objects.values_list("type", flat=True))
    transitions = ReferralHistory.objects.filter(kind="transition").exclude(from_status="")
    expected = {
        "intake.created": len(intakes),
        "assessment.created": len(assessments),
        "review.created": sum(map(len, reviews.values())),
        "referral.opened": sum(map(len, referrals.values())),
        "referral.transitioned": transitions.count(),
        "referral.amended": ReferralHistory.objects.filter(kind="amendment").count(),
    }
    for type_, count in expected.items():
        if events[type_] != count:
            problem(f"{events[type_]} {type_} events, expected {count}")
    times = list(Event.objects.order_by("id").values_list("occurred_at", flat=True))
    inversions = sum(1 for a, b in itertools.pairwise(times) if b < a)
    print(f"feed: {inversions} events with an id out of time order (0 unless --append was used)")
    return problems


if __name__ == "__main__":
    main()
