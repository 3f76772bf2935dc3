"""Decisions per day and disposition for the review dashboard, test intakes left out.

At a million intakes, counting 90 days of every branch's assessments read about 280,000 rows
(100-650 ms, most of the dashboard's time). A settled day's figures cannot change (see
DecisionDay), so each is counted once, when a dashboard first shows it, and read back after
that; only the days not yet settled are counted each time. The first opening after a day
settles pays for counting it (and, the first time ever, for every day shown).

A day is *settled* once the whole of the following day is over too: an intake is stamped when
`intake_create` starts and is seen when its transaction commits, so one stamped just before
midnight may appear a moment after it; the extra day leaves room for any such transaction.
"""

from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from triage.models import Assessment, DecisionDay

Counts = dict[str, int]


def _start_of(day: date) -> datetime:
    """The first instant of a local day (zoneinfo: the earlier midnight, or the first instant
    after a skipped one)."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _counted(branch_ids: tuple[int, ...], first: date) -> dict[tuple[int, date], Counts]:
    """{(branch, day): {disposition: n}} of every day from `first` to now, counted."""
    rows = (
        Assessment.objects.filter(
            branch_id__in=branch_ids, submitted_at__gte=_start_of(first), test=False
        )
        .annotate(day=TruncDate("submitted_at"))
        .values_list("branch_id", "day", "disposition")
        # The (branch, submitted_at, disposition) index finds the rows.
        .annotate(n=Count("*"))
        .order_by()
    )
    counted: dict[tuple[int, date], Counts] = {}
    for branch_id, day, disposition, n in rows:
        counted.setdefault((branch_id, day), {})[disposition] = n
    return counted


def decisions_per_day(*, branch_ids: tuple[int, ...], first: date) -> dict[date, Counts]:
    """{day: {disposition: n}} over the branches, for every day from `first` to today (local
    days), test intakes left out. Keeps what it counts of settled days (DecisionDay)."""
    today = timezone.localdate()
    settled_before = today - timedelta(days=1)  # yesterday and today may still gain decisions
    zone = timezone.get_current_timezone_name()
    days = [first + timedelta(days=n) for n in range((today - first).days + 1)]
    settled = [day for day in days if day < settled_before]
    kept = {
        (row.branch_id, row.day): row.counts
        for row in DecisionDay.objects.filter(
            branch_id__in=branch_ids, time_zone=zone, day__gte=first, day__lt=settled_before
        )
    }
    missing = [(b, day) for b in branch_ids for day in settled if (b, day) not in kept]
    # One count covers the days to keep and those not settled: from the earliest of them on.
    counted = _counted(branch_ids, min([day for _, day in missing], default=settled_before))
    if missing:
        fresh = [
            DecisionDay(branch_id=b, time_zone=zone, day=day, counts=counted.get((b, day), {}))
            for b, day in missing
        ]
        # Another request may keep the same day at the same moment: the same figures.
        DecisionDay.objects.bulk_create(fresh, ignore_conflicts=True)
        kept.update({(row.branch_id, row.day): row.counts for row in fresh})
    per_day: dict[date, Counts] = {}
    for day in days:
        source = kept if day < settled_before else counted
        total: Counts = {}
        for b in branch_ids:
            for disposition, n in source.get((b, day), {}).items():
                total[disposition] = total.get(disposition, 0) + n
        per_day[day] = total
    return per_day
