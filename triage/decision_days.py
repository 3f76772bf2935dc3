"""The review dashboard's figures per day: decisions by disposition, reviews and overrides,
test intakes left out.

At a million intakes, counting 90 days of every branch's assessments read about 280,000 rows
(100-650 ms, most of the dashboard's time), and finding the period's reviews of non-test
intakes joined each to its intake (60-95 ms). A settled day's figures cannot change (see
DecisionDay), so each is counted once, when a dashboard first shows it, and read back after
that; only the days not yet settled are counted each time. The first opening after a day
settles pays for counting it (and, the first time ever, for every day shown).

A day is *settled* once the whole of the following day is over too: an assessment or a review
is stamped before its transaction commits, so one stamped just before midnight may appear a
moment after it; the extra day leaves room for any such transaction.
"""

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from triage.engine.vocabulary import DISPOSITION_RANK, URGENCY_RANK
from triage.models import Assessment, DecisionDay, Review


@dataclass
class DayFigures:
    """One day's figures (one branch's, or several added up)."""

    decisions: dict[str, int] = field(default_factory=dict)  # {disposition: n}
    reviews: int = 0
    raised: int = 0
    lowered: int = 0
    sideways: int = 0

    def add(self, other: "DayFigures") -> None:
        for disposition, n in other.decisions.items():
            self.decisions[disposition] = self.decisions.get(disposition, 0) + n
        self.reviews += other.reviews
        self.raised += other.raised
        self.lowered += other.lowered
        self.sideways += other.sideways


def _start_of(day: date) -> datetime:
    """The first instant of a local day (zoneinfo: the earlier midnight, or the first instant
    after a skipped one)."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _counted(branch_ids: tuple[int, ...], first: date) -> dict[tuple[int, date], DayFigures]:
    """{(branch, day): figures} of every day from `first` to now, counted."""
    since = _start_of(first)
    counted: dict[tuple[int, date], DayFigures] = {}

    def on(branch_id: int, day: date) -> DayFigures:
        return counted.setdefault((branch_id, day), DayFigures())

    decisions = (
        Assessment.objects.filter(branch_id__in=branch_ids, submitted_at__gte=since, test=False)
        .annotate(day=TruncDate("submitted_at"))
        .values_list("branch_id", "day", "disposition")
        # The (branch, submitted_at, disposition) index finds the rows.
        .annotate(n=Count("*"))
        .order_by()
    )
    for branch_id, day, disposition, n in decisions:
        on(branch_id, day).decisions[disposition] = n

    # Every review, with the decision it reviewed (its intake's assessment).
    reviews = (
        Review.objects.filter(branch_id__in=branch_ids, created_at__gte=since, intake__test=False)
        .annotate(day=TruncDate("created_at"))
        .values_list("branch_id", "day", "overridden", "disposition", "urgency",
                     "intake__assessment__disposition", "intake__assessment__urgency")
        .annotate(n=Count("*"))
        .order_by()
    )  # fmt: skip
    for branch_id, day, overridden, disposition, urgency, was, was_urgency, n in reviews:
        figures = on(branch_id, day)
        figures.reviews += n
        if not overridden:
            continue
        after = (DISPOSITION_RANK[disposition], URGENCY_RANK[urgency])
        before = (DISPOSITION_RANK[was], URGENCY_RANK[was_urgency])
        if after > before:
            figures.raised += n
        elif after < before:
            figures.lowered += n
        else:
            figures.sideways += n
    return counted


def _kept(row: DecisionDay) -> DayFigures:
    return DayFigures(row.decisions, row.reviews, row.raised, row.lowered, row.sideways)


def figures_per_day(*, branch_ids: tuple[int, ...], first: date) -> dict[date, DayFigures]:
    """{day: figures} over the branches, for every local day from `first` to today, test
    intakes (and their reviews) left out. Keeps what it counts of settled days."""
    today = timezone.localdate()
    settled_before = today - timedelta(days=1)  # yesterday and today may still gain figures
    zone = timezone.get_current_timezone_name()
    days = [first + timedelta(days=n) for n in range((today - first).days + 1)]
    settled = [day for day in days if day < settled_before]
    kept = {
        (row.branch_id, row.day): _kept(row)
        for row in DecisionDay.objects.filter(
            branch_id__in=branch_ids, time_zone=zone, day__gte=first, day__lt=settled_before
        )
    }
    missing = [(b, day) for b in branch_ids for day in settled if (b, day) not in kept]
    # One count covers the days to keep and those not settled: from the earliest of them on.
    counted = _counted(branch_ids, min([day for _, day in missing], default=settled_before))
    if missing:
        fresh = {key: counted.get(key, DayFigures()) for key in missing}
        # Another request may keep the same day at the same moment: the same figures.
        rows = [DecisionDay(branch_id=b, time_zone=zone, day=day, **asdict(f))
                for (b, day), f in fresh.items()]  # fmt: skip
        DecisionDay.objects.bulk_create(rows, ignore_conflicts=True)
        kept.update(fresh)
    per_day: dict[date, DayFigures] = {}
    for day in days:
        source = kept if day < settled_before else counted
        total = DayFigures()
        for b in branch_ids:
            if (b, day) in source:
                total.add(source[(b, day)])
        per_day[day] = total
    return per_day
