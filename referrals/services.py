"""Writes of referrals: opening, moving through the workflow, following a review.

Each public service is one transaction (or runs inside its caller's) and records its history
and its change-feed event in that same transaction.
"""

from django.db import transaction
from django.utils import timezone

from clinic import held_writes
from clinic.callers import Caller, KeyCaller, StaffCaller
from clinic.errors import Conflict, Invalid, PreconditionFailed
from clinic.events import record_event
from clinic.scoping import for_caller, get_or_not_found
from referrals import workflow
from referrals.models import Referral, ReferralHistory
from triage.engine.outcome import Outcome
from triage.models import Intake


def _actor_fields(caller: Caller) -> dict:
    return {
        "actor": caller.actor,
        "user": caller.user if isinstance(caller, StaffCaller) else None,
        "api_key": caller.api_key if isinstance(caller, KeyCaller) else None,
    }


def _record_change(
    caller: Caller,
    referral: Referral,
    event_type: str,
    data: dict,
    *,
    from_status: str,
    kind: str = "transition",
    note: str = "",
    held: bool = False,
) -> None:
    """Every change to a referral leaves a history entry and a feed event, written together,
    both at the referral's `updated_at`. `held`: the entry may wait for the end of the
    change's transaction (clinic.held_writes), as nothing reads it before."""
    entry = ReferralHistory(
        referral=referral,
        kind=kind,
        from_status=from_status,
        to_status=referral.status,
        note=note,
        at=referral.updated_at,
        **_actor_fields(caller),
    )
    if held:
        held_writes.insert(entry)
    else:
        entry.save(force_insert=True)
    record_event(
        branch=referral.branch,
        type=event_type,
        patient_id=referral.patient_id,
        intake_id=referral.intake_id,
        referral_id=referral.id,
        data=data,
    )


def _summary(reasons: list[dict]) -> str:
    return "\n".join(f"{reason['rule_id']}: {reason['text']}" for reason in reasons)


def referral_open(
    *, caller: Caller, intake: Intake, outcome: Outcome, reasons: list[dict], now=None
) -> Referral:
    """Open a referral for a decision that needs one. Runs inside the caller's transaction.
    `now` lets an intake's referral open at the intake's own submission time. The referral
    and its history entry are held to the end of that transaction (clinic.held_writes):
    callers never read them back before it ends."""
    now = now or timezone.now()
    referral = Referral(
        branch=intake.branch,
        intake=intake,
        patient_id=intake.patient_id,
        service=outcome.service,
        urgency=outcome.urgency,
        imaging=outcome.imaging,
        reasons_summary=_summary(reasons),
        status="open",
        due_by=workflow.due_by(outcome.urgency, timezone.localtime(now)),
        created_at=now,
        updated_at=now,
        test=intake.test,
    )
    held_writes.insert(referral)
    _record_change(
        caller,
        referral,
        "referral.opened",
        {"status": "open", "service": outcome.service, "urgency": outcome.urgency},
        from_status="",
        held=True,
    )
    return referral


def _locked_referral(*, caller: Caller, referral_id) -> Referral:
    queryset = for_caller(Referral.objects.select_for_update(of=("self",)), caller)
    return get_or_not_found(queryset.select_related("branch"), pk=referral_id)


def referral_transition(
    *, caller: Caller, referral_id, to: str, note: str, expected_version: int | None = None
) -> Referral:
    """Move a referral one legal step. Concurrent moves queue on the row lock; the loser sees
    the winner's status and gets Conflict (or PreconditionFailed if it expected a version
    that is no longer current). `expected_version` None moves whatever version is current."""
    with transaction.atomic():
        referral = _locked_referral(caller=caller, referral_id=referral_id)
        if expected_version is not None and expected_version != referral.version:
            raise PreconditionFailed(
                {"If-Match": ["The referral has changed since you read it; fetch it again."]}
            )
        if not workflow.is_legal(referral.status, to):
            legal = workflow.LEGAL_NEXT[referral.status]
            raise Conflict(
                {"to": [f"Cannot move from {referral.status} to {to}; "
                        f"allowed next: {', '.join(legal) or 'none (final)'}."]},
                current_status=referral.status,
                legal_next=list(legal),
            )  # fmt: skip
        if to in workflow.NOTE_REQUIRED and not note.strip():
            raise Invalid({"note": [f"A note is required to move to {to}."]}, "required")
        return _move(caller=caller, referral=referral, to=to, note=note)


def _move(*, caller: Caller, referral: Referral, to: str, note: str) -> Referral:
    now = timezone.now()
    from_status = referral.status
    referral.status = to
    referral.version += 1
    referral.updated_at = now
    changed = ["status", "version", "updated_at"]
    if to == "booked" and referral.first_booked_at is None:
        # A re-booking after a missed appointment keeps the first; the wait is kept with it so
        # the dashboard's median reads one index, not every referral joined to its intake.
        referral.first_booked_at = now
        referral.booked_after = now - referral.intake.submitted_at
        changed += ["first_booked_at", "booked_after"]
    referral.save(update_fields=changed)
    _record_change(
        caller,
        referral,
        "referral.transitioned",
        {"from": from_status, "to": to},
        from_status=from_status,
        note=note,
    )
    return referral


def active_referral_for_update(*, intake: Intake) -> Referral | None:
    """Lock the intake's referral that is still in progress, if any.

    Take it before writing any feed event: events hold the feed lock to commit, and a row
    lock taken after it could deadlock with a transition holding the row and wanting the feed.
    """
    return (
        Referral.objects.select_for_update(of=("self",))
        .select_related("branch")
        .filter(intake=intake)
        .exclude(status__in=workflow.FINAL)
        .first()
    )


def referral_follow(
    *,
    caller: Caller,
    intake: Intake,
    active: Referral | None,
    decision_changed: bool,
    outcome: Outcome,
    reasons: list[dict],
    note: str,
) -> Referral | None:
    """Make the intake's referral follow its final decision, inside the caller's transaction:
    cancel it for home care, amend it when the service or urgency changed, and open one when
    the decision changed to one that needs a referral and none is in progress. A confirmation
    never reopens a referral that has already ended (completed, declined or cancelled).
    `active` comes from `active_referral_for_update`."""
    if outcome.disposition == "home_care":
        if active is not None:
            _move(caller=caller, referral=active, to="cancelled", note=note)
        return None
    if active is None:
        if not decision_changed:
            return None
        return referral_open(caller=caller, intake=intake, outcome=outcome, reasons=reasons)
    what = (outcome.service, outcome.urgency, outcome.imaging)  # a referral has no disposition
    if (active.service, active.urgency, active.imaging) != what:
        now = timezone.now()
        if active.urgency != outcome.urgency:
            active.due_by = workflow.due_by(outcome.urgency, timezone.localtime(now))
        active.service, active.urgency, active.imaging = what
        active.version += 1
        active.updated_at = now
        active.save()
        _record_change(
            caller,
            active,
            "referral.amended",
            {"service": outcome.service, "urgency": outcome.urgency},
            from_status=active.status,
            kind="amendment",
            note=note,
        )
    return active
