"""The dashboard's worklist: the referrals that need a person now, each with what a clinician
needs to act on it from the list (age, red flags, the deciding reason, the time left and the
legal next moves). Read in three queries of at most WORKLIST_ROWS rows, whatever the data."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, QuerySet

from referrals import workflow
from referrals.models import REFERRED_SERVICES, Referral
from referrals.selectors import overdue_condition, with_overdue
from triage.admin.display import deciding_reason, red_flag_words, words
from triage.engine import vocabulary as v

WORKLIST_ROWS = 50
# Due within this: the countdown is shown as "soon" (amber), before it turns "overdue" (red).
SOON = timedelta(hours=2)
SECTIONS = (
    ("urgent", "Emergency and urgent referrals not yet sent"),
    ("callbacks", "Unanswered red flags: clinician call-back"),
    ("overdue", "Overdue referrals"),
)


def _span(delta: timedelta) -> str:
    """A length of time as a clinician says it: 2 d 3 h, 2 h 10 min, 45 min."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else "less than a minute"


@dataclass(frozen=True)
class Countdown:
    words: str  # "due in 2 h 10 min", "overdue by 3 h"
    state: str  # "overdue", "soon" or "later": the colour, always beside the words

    @classmethod
    def until(cls, due_by: datetime, now: datetime, urgency: str = "") -> "Countdown":
        left = due_by - now
        if left < timedelta(0):
            return cls(f"overdue by {_span(-left)}", "overdue")
        # An emergency is never shown as comfortably far off: its whole window is hours.
        soon = left <= SOON or urgency == "emergency"
        return cls(f"due in {_span(left)}", "soon" if soon else "later")


@dataclass(frozen=True)
class Row:
    referral: Referral
    age: int
    red_flags: list[str]
    reason: str
    countdown: Countdown
    moves: tuple[str, ...]
    can_review: bool

    @property
    def forward_moves(self) -> list[tuple[str, str]]:
        """The moves that need no note, each with its button's words: (sent, Mark sent)."""
        return [(move, f"Mark {words(move).lower()}") for move in self.moves
                if move not in workflow.NOTE_REQUIRED]  # fmt: skip

    @property
    def can_cancel(self) -> bool:
        return "cancelled" in self.moves


@dataclass(frozen=True)
class Filters:
    """What the clinician narrowed the worklist to. Unknown values are ignored, not errors: the
    filters come from a bookmarked address as often as from the form."""

    reference: str = ""
    service: str = ""
    urgency: str = ""

    @classmethod
    def from_query(cls, query: Any) -> "Filters":
        service = query.get("service", "")
        urgency = query.get("urgency", "")
        return cls(
            reference=query.get("q", "").strip()[:64],
            service=service if service in REFERRED_SERVICES else "",
            urgency=urgency if urgency in v.URGENCIES else "",
        )

    def as_query(self) -> dict[str, str]:
        return {k: val for k, val in
                (("q", self.reference), ("service", self.service), ("urgency", self.urgency))
                if val}  # fmt: skip


SERVICE_CHOICES = [(service, words(service)) for service in REFERRED_SERVICES]
URGENCY_CHOICES = [(urgency, words(urgency)) for urgency in v.URGENCIES]


@dataclass
class Worklist:
    urgent: list[Row] = field(default_factory=list)
    callbacks: list[Row] = field(default_factory=list)
    overdue: list[Row] = field(default_factory=list)

    @property
    def sections(self) -> list[tuple[str, str, list[Row]]]:
        return [(key, title, getattr(self, key)) for key, title in SECTIONS]

    @property
    def rows(self) -> list[Row]:
        return [*self.urgent, *self.callbacks, *self.overdue]


def _referrals(branch_ids: tuple[int, ...], filters: Filters) -> QuerySet[Referral]:
    # A test key's referrals are nobody's work: never on the worklist.
    referrals = with_overdue(Referral.objects.filter(branch_id__in=branch_ids, test=False))
    if filters.reference:
        # Exact, as the admin's search: what the desk has in hand, and it uses the index.
        referrals = referrals.filter(patient__external_id=filters.reference)
    if filters.service:
        referrals = referrals.filter(service=filters.service)
    if filters.urgency:
        referrals = referrals.filter(urgency=filters.urgency)
    # Of the assessment's decision only its red flags and reasons are read (the advice, the
    # larger part, is not shown here), and of the intake nothing but its id.
    return (
        referrals.select_related("patient", "intake__assessment")
        .annotate(
            decision_red_flags=F("intake__assessment__decision__red_flags"),
            decision_reasons=F("intake__assessment__decision__reasons"),
        )
        .only(
            *_REFERRAL_FIELDS,
            "patient__external_id",
            "intake__id",
            *(f"intake__assessment__{name}" for name in _ASSESSMENT_FIELDS),
        )
    )


_REFERRAL_FIELDS = ("id", "branch_id", "intake_id", "patient_id", "service", "urgency",
                    "status", "due_by", "version")  # fmt: skip
_ASSESSMENT_FIELDS = ("id", "age", "disposition", "urgency", "ruleset_version")


def _row(referral: Referral, now: datetime, reviewer_in: tuple[int, ...]) -> Row:
    assessment = referral.intake.assessment
    reason = deciding_reason(assessment, referral.decision_reasons or [])  # type: ignore[attr-defined]
    flags = referral.decision_red_flags or []  # type: ignore[attr-defined]
    return Row(
        referral=referral,
        age=assessment.age,
        red_flags=[red_flag_words(flag) for flag in flags],
        reason=reason["text"] if reason else "",
        countdown=Countdown.until(referral.due_by, now, referral.urgency),
        moves=workflow.LEGAL_NEXT[referral.status],
        can_review=referral.branch_id in reviewer_in,
    )


def worklist(
    *,
    branch_ids: tuple[int, ...],
    filters: Filters,
    now: datetime,
    reviewer_in: tuple[int, ...] = (),
) -> Worklist:
    """`reviewer_in`: the branches where the viewer may review a decision (a call-back's row
    links to the review form there)."""
    referrals = _referrals(branch_ids, filters)
    urgent = (
        referrals.filter(urgency__in=("emergency", "urgent"), status="open")
        .exclude(service="clinician_callback")
        .order_by("due_by")[:WORKLIST_ROWS]
    )
    callbacks = referrals.filter(service="clinician_callback", status="open").order_by("due_by")[
        :WORKLIST_ROWS
    ]
    overdue = referrals.filter(overdue_condition()).order_by("due_by")[:WORKLIST_ROWS]
    return Worklist(
        urgent=[_row(r, now, reviewer_in) for r in urgent],
        callbacks=[_row(r, now, reviewer_in) for r in callbacks],
        overdue=[_row(r, now, reviewer_in) for r in overdue],
    )
