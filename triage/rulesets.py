"""Which ruleset version decides a branch's intakes: its activations, read and made.

A branch's active version at a time is the version of its latest activation whose
`effective_from` has come (of two from the same moment, the one recorded last). Every branch has
one from its creation: the branches that existed when versioned rulesets arrived stay on 2026.1
(migration 0009); a branch created since starts on the newest version the engine holds, active
from its creation. Any later activation is a safety officer's, under the governance rules of
`ruleset_activate` (docs/clinical-safety.md says why each rule is there).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from clinic.callers import Caller, StaffCaller
from clinic.errors import Conflict, Invalid, NotFound, PermissionDenied, Problem
from clinic.events import record_event
from clinic.models import RULESET_ROLES, Branch, StaffRole
from clinic.scoping import for_caller_as
from triage.engine import LATEST, RULESETS, UnknownRuleset, ruleset
from triage.engine.vocabulary import DISPOSITION_RANK, URGENCY_RANK
from triage.models import Intake, Replay, RulesetActivation

# The version a branch with no activation at all is decided under: the one every branch was
# decided under before there were versions. (Only a branch loaded raw, bypassing the receiver
# below, can have none.)
FIRST_VERSION = next(iter(RULESETS))

# The governance rules' periods (issue 13 §4).
REPLAY_FRESH_FOR = timedelta(days=7)  # a replay older than this says little about today
HISTORY_COVERED = timedelta(days=90)  # the history a replay must have re-decided


@receiver(post_save, sender=Branch, dispatch_uid="triage.rulesets.new_branch")
def _new_branch_starts_on_the_newest_version(sender, instance: Branch, created: bool, raw: bool,
                                             **kwargs) -> None:  # fmt: skip
    if created and not raw:
        RulesetActivation.objects.create(
            branch=instance,
            version=LATEST.version,
            effective_from=instance.created_at,
            created_at=timezone.now(),
        )


# Reading ------------------------------------------------------------------------------------


def _latest_first(activations: QuerySet[RulesetActivation]) -> QuerySet[RulesetActivation]:
    # The order of the (branch, -effective_from, -created_at) index: one branch's latest
    # activation is the first row of an index scan.
    return activations.order_by("-effective_from", "-created_at")


def active_activation(*, branch_id: int, at: datetime | None = None) -> RulesetActivation | None:
    """The activation in effect for the branch at `at` (default now)."""
    at = at or timezone.now()
    in_effect = RulesetActivation.objects.filter(branch_id=branch_id, effective_from__lte=at)
    return _latest_first(in_effect).first()


def active_version(*, branch_id: int, at: datetime | None = None) -> str:
    """The version that decides the branch's intakes submitted at `at` (default now): one
    indexed query, active_activation's, written out: every intake asks, and building the
    query through the ORM took more CPU than PostgreSQL took to answer it."""
    table = RulesetActivation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT version FROM {table} WHERE branch_id = %s AND effective_from <= %s "  # noqa: S608
            "ORDER BY effective_from DESC, created_at DESC LIMIT 1",
            [branch_id, at or timezone.now()],
        )
        row = cursor.fetchone()
    return FIRST_VERSION if row is None else row[0]


@dataclass(frozen=True)
class BranchRulesets:
    """A branch's ruleset now: the activation in effect, and the one waiting for its time."""

    branch_id: int
    active: RulesetActivation | None
    pending: RulesetActivation | None

    @property
    def version(self) -> str:
        return FIRST_VERSION if self.active is None else self.active.version

    @property
    def active_since(self) -> datetime | None:
        return None if self.active is None else self.active.effective_from


def branch_rulesets(
    *, branch_ids: Iterable[int], now: datetime | None = None
) -> dict[int, BranchRulesets]:
    """Each branch's active and pending activation, read in one query for all of them (a
    branch has a handful of activations in its life)."""
    now = now or timezone.now()
    branch_ids = list(branch_ids)
    active: dict[int, RulesetActivation] = {}
    pending: dict[int, RulesetActivation] = {}
    activations = RulesetActivation.objects.filter(branch_id__in=branch_ids)
    for activation in _latest_first(activations.select_related("activated_by")):
        if activation.effective_from > now:
            pending[activation.branch_id] = activation  # latest first: the earliest stays
        else:
            active.setdefault(activation.branch_id, activation)
    return {b: BranchRulesets(b, active.get(b), pending.get(b)) for b in branch_ids}


def versions_in_use(*, branch_ids: Iterable[int]) -> set[str]:
    """The versions active now in these branches."""
    return {branch.version for branch in branch_rulesets(branch_ids=branch_ids).values()}


def activation_list(*, caller: Caller) -> QuerySet[RulesetActivation]:
    """The activations of the branches where the caller may read rulesets' governance."""
    activations = RulesetActivation.objects.select_related("branch", "activated_by")
    return _latest_first(for_caller_as(activations, caller, RULESET_ROLES))


# The outcome order of SPEC §1 ---------------------------------------------------------------


def outcome_rank(pair: str) -> tuple[int, int]:
    """An outcome pair such as `medical_referral/urgent` as (disposition rank, urgency rank):
    compared as a tuple, disposition first, then urgency (SPEC §1)."""
    disposition, urgency = pair.split("/")
    return DISPOSITION_RANK[disposition], URGENCY_RANK[urgency]


def under_triage_classes(matrix: Iterable[Mapping[str, Any]]) -> list[tuple[str, str, int]]:
    """Each distinct from → to pair of a replay's matrix whose `to` is lower, with its count,
    in the matrix's order."""
    seen: dict[tuple[str, str], int] = {}
    for row in matrix:
        if outcome_rank(row["to"]) < outcome_rank(row["from"]):
            key = (row["from"], row["to"])
            seen[key] = seen.get(key, 0) + row["count"]
    return [(before, after, count) for (before, after), count in seen.items()]


# Activating ---------------------------------------------------------------------------------


def _replay_problems(
    replay: Replay, *, version: str, caller: StaffCaller, now: datetime
) -> list[Problem]:
    """What keeps this replay from standing behind an activation of `version` now."""
    problems: list[Problem] = []
    if replay.version != version:
        problems.append(Problem(
            f"The replay is of {replay.version}, not {version}.", "replay_of_another_version"
        ))  # fmt: skip
    if replay.status != Replay.Status.DONE:
        problems.append(Problem(f"The replay is {replay.status}, not done.", "replay_not_done"))
    elif replay.finished_at is None or replay.finished_at < now - REPLAY_FRESH_FOR:
        problems.append(Problem(
            "The replay finished more than 7 days ago; replay again.", "replay_stale"
        ))  # fmt: skip
    # "Covers every intake of the branch's last 90 days": its window reaches back 90 days or
    # more and forward to now or later, and it re-decided every intake of that window the
    # branch holds now. (It reads only intakes submitted before it started, so any that came
    # in since, or committed too late for it to see, show as the branch holding more.)
    if replay.submitted_after is not None and replay.submitted_after > now - HISTORY_COVERED:
        problems.append(Problem(
            "The replay's window starts less than 90 days ago; the branch's last 90 days must "
            "all be replayed.", "replay_window_too_short"
        ))  # fmt: skip
    if replay.submitted_before is not None and replay.submitted_before < now:
        problems.append(Problem(
            "The replay's window ends before now; the branch's last 90 days must all be "
            "replayed.", "replay_window_too_short"
        ))  # fmt: skip
    if replay.status == Replay.Status.DONE and replay.summary is not None:
        held = Intake.objects.filter(branch_id=replay.branch_id, submitted_at__lte=now)
        if replay.submitted_after is not None:
            held = held.filter(submitted_at__gte=replay.submitted_after)
        if replay.submitted_before is not None:
            held = held.filter(submitted_at__lt=replay.submitted_before)
        not_replayed = held.count() - replay.summary["intakes"]
        if not_replayed > 0:
            problems.append(Problem(
                f"{not_replayed} intake(s) of the replay's window were not replayed (they came "
                "in after it started); replay again.", "intakes_not_replayed"
            ))  # fmt: skip
    if replay.started_by_id is not None and replay.started_by_id == caller.user.pk:
        problems.append(Problem(
            "You started this replay: a second safety officer must activate (four eyes).",
            "four_eyes",
        ))  # fmt: skip
    return problems


def _acknowledgement_problems(
    replay: Replay, acknowledgements: Sequence[Mapping[str, str]]
) -> list[Problem]:
    """Every under-triage class of the replay needs an acknowledgement with a rationale; an
    acknowledgement of anything else is a mistake (a mistyped class would leave the real one
    unacknowledged without saying so)."""
    if replay.status != Replay.Status.DONE or not replay.summary:
        return []  # no classes to acknowledge yet: the replay's own problem is reported
    classes = under_triage_classes(replay.summary.get("matrix", []))
    given = {(ack["from"], ack["to"]): ack["rationale"].strip() for ack in acknowledgements}
    problems = [
        Problem(f"{before} → {after} ({count} intake(s)) is under-triage and needs an "
                "acknowledgement with a rationale.", "under_triage_not_acknowledged")
        for before, after, count in classes
        if not given.get((before, after))
    ]  # fmt: skip
    expected = {(before, after) for before, after, _ in classes}
    problems.extend(
        Problem(f"{before} → {after} is not an under-triage class of this replay.",
                "not_under_triage")
        for before, after in given
        if (before, after) not in expected
    )  # fmt: skip
    return problems


def ruleset_activate(
    *,
    caller: Caller,
    version: str,
    replay_id: Any,
    acknowledgements: Sequence[Mapping[str, str]] = (),
    effective_from: datetime | None = None,
) -> RulesetActivation:
    """Make `version` the active ruleset of the replay's branch from `effective_from` (default
    now), if every governance rule holds; else Conflict naming each that does not.

    The branch row is locked for the checks and the write, so two activations for one branch
    at once are made one after the other: the second sees the first (pending or active) and
    is refused."""
    try:
        ruleset(version)
    except UnknownRuleset:
        raise NotFound() from None
    now = timezone.now()
    if effective_from is None:
        effective_from = now
    elif effective_from < now:
        raise Invalid({"effective_from": ["Must be now or later: an activation never reaches "
                                          "back to intakes already decided."]})  # fmt: skip
    officer_of = caller.branch_ids_as((StaffRole.Role.SAFETY_OFFICER,))
    if not officer_of:
        raise PermissionDenied("Only a safety officer of the branch may activate a ruleset.")
    assert isinstance(caller, StaffCaller)  # only people hold roles
    with transaction.atomic():
        replay = Replay.objects.filter(pk=replay_id, branch_id__in=officer_of).first()
        if replay is None:
            # The same answer for a replay of another branch and for none at all.
            raise Conflict(
                {"replay": [Problem("No replay of your branch has this id.", "replay_unknown")]},
                code="activation_refused",
                message="The activation was refused: each error says what is missing.",
            )
        branch = Branch.objects.select_for_update().get(pk=replay.branch_id)
        current = branch_rulesets(branch_ids=[branch.pk], now=now)[branch.pk]
        problems: dict[str, list[Problem]] = {}
        if current.pending is not None:
            problems["version"] = [Problem(
                f"{current.pending.version} is already due to become active at "
                f"{current.pending.effective_from.isoformat()}; at most one activation may "
                "wait.", "activation_pending"
            )]  # fmt: skip
        elif current.version == version:
            problems["version"] = [Problem(
                f"{version} is already the branch's active version.", "already_active"
            )]  # fmt: skip
        replay_problems = _replay_problems(replay, version=version, caller=caller, now=now)
        if replay_problems:
            problems["replay"] = replay_problems
        acknowledgement_problems = _acknowledgement_problems(replay, acknowledgements)
        if acknowledgement_problems:
            problems["acknowledgements"] = acknowledgement_problems
        fresh_until = (replay.finished_at or now) + REPLAY_FRESH_FOR
        if now <= fresh_until < effective_from:  # (a stale replay is refused as such)
            # The replay must still be fresh when the version takes over; and a switch far
            # ahead (a mistyped year) would block every other activation until then.
            problems["effective_from"] = [Problem(
                f"Must be no later than {fresh_until.isoformat()}, 7 days after the replay "
                "finished: the replay must still be fresh when the version takes over.",
                "effective_from_too_late",
            )]  # fmt: skip
        if problems:
            raise Conflict(
                problems,
                code="activation_refused",
                message="The activation was refused: each error says what is missing.",
            )
        activation = RulesetActivation.objects.create(
            branch=branch,
            version=version,
            effective_from=effective_from,
            activated_by=cast(User, caller.user),  # a safety officer is a person signed in
            replay=replay,
            acknowledgements=[
                {"from": ack["from"], "to": ack["to"], "rationale": ack["rationale"].strip()}
                for ack in acknowledgements
            ],
            created_at=now,
        )
        record_event(
            branch=branch,
            type="ruleset.activated",
            data={
                "activation": str(activation.id),
                "version": version,
                "previous_version": current.version,
                "effective_from": effective_from.isoformat(),
            },
        )
    return activation
