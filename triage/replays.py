"""Replays: a candidate ruleset re-deciding a branch's stored intakes, compared with the
decisions stored for them (issue 13 §3; docs/clinical-safety.md says what the counts mean).

A replay is started here and run by the background worker (triage.tasks) in three steps:

1. `replay_plan` counts the window and cuts it into parts of `REPLAY_PART_SIZE` intakes, in
   (submitted_at, intake id) order, with one indexed query;
2. `replay_run_part` re-decides one part, streaming its intakes in chunks, and writes its
   changes, its counts and the replay's progress in one transaction; the worker's task runs
   the parts one after another (triage.tasks says why not side by side);
3. the transaction that finishes the last part adds the parts' counts into the summary and
   marks the replay done.

Every step may run again (a worker killed mid-part leaves the part undone, and the replay's
task is delivered again, or re-sent when a worker starts): a finished part is never
counted twice, because finishing it takes its row's lock and checks it is not done yet.

The stored decision is the assessment as computed (its disposition, urgency, service, imaging
and the rule ids of its reasons), never a clinician's review; the candidate decides from the
stored answers and the age at submission.
"""

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import F, Func, JSONField, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from clinic.callers import Caller, StaffCaller
from clinic.errors import Invalid, NotFound, PermissionDenied
from clinic.models import RULESET_ROLES, Branch
from clinic.scoping import for_caller_as
from triage.engine import UnknownRuleset, ruleset
from triage.models import Intake, Replay, ReplayChange, ReplayPart
from triage.rulesets import outcome_rank

# Intakes per part: large enough that a part's fixed costs (its task, its transaction) are
# small beside its work, small enough that a restarted part loses little and that two workers
# share a branch's history evenly. Settings may change it (tests cut tiny histories in parts).
DEFAULT_PART_SIZE = 20_000
# Intakes read per round trip while a part streams its stretch of the window.
CHUNK = 2_000

# The summary's counts, in the order the API and the report show them.
COUNTS = ("intakes", "changed", "under_triaged", "over_triaged", "service_only", "rules_only")

# What each count means, as the report and docs/clinical-safety.md say it.
COUNT_WORDS = (
    ("intakes", "Intakes re-decided"),
    ("changed", "Changed: disposition, urgency, service or imaging differ"),
    ("under_triaged", "Under-triaged: a lower disposition-then-urgency"),
    ("over_triaged", "Over-triaged: a higher disposition-then-urgency"),
    ("service_only", "Same disposition and urgency, another service or imaging"),
    ("rules_only", "Same outcome, other rules behind it"),
)


def part_size() -> int:
    return int(getattr(settings, "REPLAY_PART_SIZE", DEFAULT_PART_SIZE))


# Reading --------------------------------------------------------------------------------------


def replay_list(*, caller: Caller) -> QuerySet[Replay]:
    """The replays of the branches where the caller may read ruleset governance."""
    return for_caller_as(Replay.objects.select_related("branch"), caller, RULESET_ROLES)


def replay_changes(*, replay: Replay) -> QuerySet[ReplayChange]:
    """Only a finished replay's changes: a running one's are a part of its window."""
    if replay.status != Replay.Status.DONE:
        return ReplayChange.objects.none()
    return replay.changes.order_by("id")


def progress(replay: Replay) -> float:
    """The share of the window re-decided so far, 0 to 1 (1 only when done)."""
    if replay.status == Replay.Status.DONE:
        return 1.0
    if not replay.total:
        return 0.0
    return min(replay.processed / replay.total, 0.999)


# Starting -------------------------------------------------------------------------------------


def replay_start(
    *,
    caller: Caller,
    version: str,
    branch_slug: str | None = None,
    submitted_after: datetime | None = None,
    submitted_before: datetime | None = None,
    enqueue: Callable[[Replay], None],
) -> Replay:
    """Start replaying `version` over the stored intakes of the caller's branch (the one
    `branch_slug` names, when the caller reads governance for several) submitted in
    [submitted_after, submitted_before) and before now. `enqueue` hands it to the worker once
    the replay is committed."""
    try:
        ruleset(version)
    except UnknownRuleset:
        raise NotFound() from None
    branch_ids = caller.branch_ids_as(RULESET_ROLES)
    if not branch_ids:
        raise PermissionDenied(
            "Only clinicians, safety officers and clinic admins of the branch may replay."
        )
    if branch_slug is not None:
        branch = Branch.objects.filter(id__in=branch_ids, slug=branch_slug).first()
        if branch is None:
            raise Invalid({"branch": ["Name one of your branches."]})
    elif len(branch_ids) == 1:
        branch = Branch.objects.get(pk=branch_ids[0])
    else:
        raise Invalid({"branch": ["You work in several branches: name the one to replay."]})
    if submitted_after and submitted_before and submitted_after >= submitted_before:
        raise Invalid({"submitted_before": ["Must be later than submitted_after."]})
    now = timezone.now()
    user = caller.user if isinstance(caller, StaffCaller) else None
    with transaction.atomic():
        replay = Replay.objects.create(
            branch=branch,
            version=version,
            submitted_after=submitted_after,
            submitted_before=submitted_before,
            started_by=user if isinstance(user, User) else None,
            actor=caller.actor,
            created_at=now,
            heartbeat_at=now,
        )
        transaction.on_commit(lambda: enqueue(replay))
    return replay


def replay_start_command(
    *,
    branch: Branch,
    version: str,
    submitted_after: datetime | None = None,
    submitted_before: datetime | None = None,
) -> Replay:
    """A replay started from the command line (manage.py replay_ruleset): no person, so it
    can back any safety officer's activation."""
    try:
        ruleset(version)
    except UnknownRuleset:
        raise NotFound() from None
    now = timezone.now()
    return Replay.objects.create(
        branch=branch,
        version=version,
        submitted_after=submitted_after,
        submitted_before=submitted_before,
        actor="command-line",
        created_at=now,
        heartbeat_at=now,
    )


# The window -----------------------------------------------------------------------------------


def _window(replay: Replay) -> QuerySet[Intake]:
    """The replay's intakes: its branch's, in its window, submitted before it started."""
    intakes = Intake.objects.filter(branch_id=replay.branch_id, submitted_at__lte=replay.created_at)
    if replay.submitted_after is not None:
        intakes = intakes.filter(submitted_at__gte=replay.submitted_after)
    if replay.submitted_before is not None:
        intakes = intakes.filter(submitted_at__lt=replay.submitted_before)
    return intakes


def _from(part: ReplayPart) -> Q:
    """The intakes at or after a part's first, in (submitted_at, id) order."""
    at, intake_id = part.first_submitted_at, part.first_intake
    return Q(submitted_at__gt=at) | Q(submitted_at=at, id__gte=intake_id)


def _stretch(replay: Replay, part: ReplayPart, following: ReplayPart | None) -> QuerySet[Intake]:
    intakes = _window(replay)
    if part.first_intake is not None:
        intakes = intakes.filter(_from(part))
    if following is not None:
        intakes = intakes.exclude(_from(following))
    # In no order: the counts do not depend on it, and sorting a part's rows spilled to disk.
    return intakes.order_by()


class StoredRuleIds(Func):
    """The rule ids of a stored decision's reasons, read in the database: the decision's
    other fields (its words, advice, red flags) are most of its size and never leave it."""

    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra):
        template = "jsonb_path_query_array(%(expressions)s, '$.reasons[*].rule_id')"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = (
            "(SELECT json_group_array(json_extract(value, '$.rule_id')) "
            "FROM json_each(%(expressions)s, '$.reasons'))"
        )
        return self.as_sql(compiler, connection, template=template, **extra)


def _rows(intakes: QuerySet[Intake]) -> Iterator[tuple[Any, ...]]:
    """(intake id, answers, age, disposition, urgency, service, imaging, stored rule ids),
    streamed a chunk at a time (a server-side cursor on PostgreSQL), so a part's memory is
    one chunk's, whatever the window holds."""
    rows = intakes.values_list(
        "id",
        "answers",
        "assessment__age",
        "assessment__disposition",
        "assessment__urgency",
        "assessment__service",
        "assessment__imaging",
        StoredRuleIds("assessment__decision"),
    )
    return rows.iterator(chunk_size=CHUNK)


# Running --------------------------------------------------------------------------------------


def replay_plan(replay_id: Any) -> list[int]:
    """Count the window and cut it into parts (once; again, it only reads them back). Returns
    the numbers of the parts still to run, or none when the replay is not running."""
    with transaction.atomic():
        replay = Replay.objects.select_for_update().filter(pk=replay_id).first()
        if replay is None or replay.status != Replay.Status.RUNNING:
            return []
        if not replay.planned:
            firsts = _part_firsts(replay)
            parts = [ReplayPart(replay=replay, number=0)]
            parts += [
                ReplayPart(replay=replay, number=n, first_submitted_at=at, first_intake=intake)
                for n, (at, intake) in enumerate(firsts, start=1)
            ]
            ReplayPart.objects.bulk_create(parts)
            replay.total = _window(replay).count()
            replay.planned = True
            replay.heartbeat_at = timezone.now()
            replay.save(update_fields=["total", "planned", "heartbeat_at"])
        undone = replay.parts.filter(done=False).values_list("number", flat=True)
        numbers = list(undone)
        if not numbers:
            # Planned, every part done, yet running: a worker stopped between the two. Finish.
            _finish(replay)
    return numbers


def _part_firsts(replay: Replay) -> list[tuple[datetime, Any]]:
    """The first (submitted_at, id) of every part after the first: every `part_size()`-th
    intake of the window, found by one scan of the (branch, submitted_at, id) index."""
    size = part_size()
    numbered = _window(replay).annotate(
        n=Window(RowNumber(), order_by=[F("submitted_at").asc(), F("id").asc()])
    )
    # Parts start at rows 1, size + 1, 2 * size + 1, ...; the first part starts the window.
    firsts = numbered.annotate(m=(F("n") - 1) % size).filter(m=0, n__gt=1)
    return list(firsts.order_by("submitted_at", "id").values_list("submitted_at", "id"))


def replay_run_part(replay_id: Any, number: int) -> None:
    """Re-decide one part and record it; the last part to finish finishes the replay.

    The whole part is one transaction holding its row's lock, so a copy of the task delivered
    while the part runs waits, then finds it done; a part cut short leaves nothing behind."""
    with transaction.atomic():
        part = (
            ReplayPart.objects.select_for_update()
            .select_related("replay")
            .filter(replay_id=replay_id, number=number)
            .first()
        )
        if part is None or part.done or part.replay.status != Replay.Status.RUNNING:
            return
        replay = part.replay
        following = ReplayPart.objects.filter(replay=replay, number=number + 1).first()
        candidate = ruleset(replay.version)
        tally = Tally()
        changes: list[ReplayChange] = []
        _plain_scan()
        for row in _rows(_stretch(replay, part, following)):
            change = tally.add(candidate.grade, row)
            if change is not None:
                changes.append(ReplayChange(replay=replay, **change))
        ReplayChange.objects.bulk_create(changes, batch_size=CHUNK)
        part.done = True
        part.counts = tally.as_counts()
        part.save(update_fields=["done", "counts"])
        replay = Replay.objects.select_for_update().get(pk=replay.pk)
        replay.processed += tally.counts["intakes"]
        replay.heartbeat_at = timezone.now()
        replay.save(update_fields=["processed", "heartbeat_at"])
        if replay.status == Replay.Status.RUNNING and not replay.parts.filter(done=False).exists():
            _finish(replay)


def _plain_scan() -> None:
    """On PostgreSQL, for this transaction: no JIT compilation (it cost a part's query more
    than it saved) and no parallel workers (the replay's own worker processes already use
    every core)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")


def _finish(replay: Replay) -> None:
    """Add the parts' counts into the summary and mark the replay done (in the caller's
    transaction, with the replay's row locked)."""
    total = Tally()
    for counts in replay.parts.values_list("counts", flat=True):
        total.merge(counts)
    replay.summary = total.summary()
    replay.status = Replay.Status.DONE
    replay.finished_at = timezone.now()
    replay.processed = total.counts["intakes"]
    replay.save(update_fields=["summary", "status", "finished_at", "processed"])


def replay_fail(replay_id: Any) -> None:
    """A part failed with an error (a bug): the replay is failed, never reported done."""
    Replay.objects.filter(pk=replay_id, status=Replay.Status.RUNNING).update(
        status=Replay.Status.FAILED, finished_at=timezone.now()
    )


def replays_running() -> list[Any]:
    """The ids of the replays still running: what a worker that starts re-sends (their undone
    parts), in case a worker stopped in the middle of one."""
    return list(Replay.objects.filter(status=Replay.Status.RUNNING).values_list("id", flat=True))


# Counting -------------------------------------------------------------------------------------


def _pair(disposition: str, urgency: str) -> str:
    return f"{disposition}/{urgency}"


class Tally:
    """The summary's counts over some intakes: added one by one, or merged from parts."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter({name: 0 for name in COUNTS})
        self.matrix: Counter[tuple[str, str]] = Counter()

    def add(self, grade: Callable[[dict, int], Any], row: tuple[Any, ...]) -> dict[str, Any] | None:
        """Count one intake; the change to list when the candidate changes its decision."""
        intake_id, answers, age, disposition, urgency, service, imaging, stored_rules = row
        after = grade(answers, age)
        self.counts["intakes"] += 1
        before_pair = _pair(disposition, urgency)
        after_pair = _pair(after.disposition, after.urgency)
        self.matrix[before_pair, after_pair] += 1
        if stored_rules is None:  # (SQLite without any reasons: never for a stored decision)
            stored_rules = []
        if (disposition, urgency, service, imaging) == after[:4]:
            if set(stored_rules) != set(after.rule_ids):
                self.counts["rules_only"] += 1
            return None
        self.counts["changed"] += 1
        if before_pair == after_pair:
            kind = ReplayChange.Kind.SERVICE_ONLY
            self.counts["service_only"] += 1
        elif outcome_rank(after_pair) < outcome_rank(before_pair):
            kind = ReplayChange.Kind.UNDER_TRIAGE
            self.counts["under_triaged"] += 1
        else:
            kind = ReplayChange.Kind.OVER_TRIAGE
            self.counts["over_triaged"] += 1
        return {
            "intake_id": intake_id,
            "kind": kind,
            "before": {"disposition": disposition, "urgency": urgency, "service": service,
                       "imaging": imaging},
            "after": {"disposition": after.disposition, "urgency": after.urgency,
                      "service": after.service, "imaging": after.imaging},
            "rules_added": [r for r in after.rule_ids if r not in stored_rules],
            "rules_removed": [r for r in stored_rules if r not in after.rule_ids],
        }  # fmt: skip

    def as_counts(self) -> dict[str, Any]:
        """A part's counts as stored: the counts, and the matrix as [from, to, count] rows."""
        rows = [[before, after, n] for (before, after), n in self.matrix.items()]
        return {**self.counts, "matrix": rows}

    def merge(self, counts: dict[str, Any]) -> None:
        for name in COUNTS:
            self.counts[name] += counts.get(name, 0)
        for before, after, n in counts.get("matrix", []):
            self.matrix[before, after] += n

    def summary(self) -> dict[str, Any]:
        """The summary: the counts, and the matrix over every pair seen, unchanged ones
        included, highest `from` first, then highest `to`."""
        pairs = sorted(
            self.matrix, key=lambda p: (outcome_rank(p[0]), outcome_rank(p[1])), reverse=True
        )
        matrix = [{"from": b, "to": a, "count": self.matrix[b, a]} for b, a in pairs]
        return {**{name: self.counts[name] for name in COUNTS}, "matrix": matrix}
