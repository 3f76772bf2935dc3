"""What the review dashboard shows, computed in the database for the caller's branches."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Aggregate, Count, FloatField, Q

from referrals.models import Referral
from referrals.workflow import STATUSES
from triage.decision_days import DayFigures, figures_per_day
from triage.engine.vocabulary import DISPOSITIONS


@dataclass
class Dashboard:
    """The figures. The worklist beside them is referrals.worklist's."""

    days: list[str]
    decisions_by_day: dict[str, list[int]]
    pipeline: list[tuple[str, int]]
    median_hours_to_booked: float | None
    decisions: int
    reviews: int
    overridden_up: int
    overridden_down: int
    overridden_sideways: int

    @property
    def overridden(self) -> int:
        return self.overridden_up + self.overridden_down + self.overridden_sideways

    @property
    def overridden_share(self) -> float | None:
        """Overrides as a share of the period's decisions (a review may come a day later)."""
        return self.overridden / self.decisions if self.decisions else None


# A share past the lower middle of any number of waits, and short of the next one.
_PAST_THE_MIDDLE = 1e-12


class _MiddleSeconds(Aggregate):
    """PostgreSQL: the middle wait, or the middle two when their number is even, in seconds.

    The waits are sorted as double precision, not as intervals: a float sorts by value in a
    third of the memory, so 90 days of every branch's waits (about 120,000) sort in memory
    rather than spill to disk under the default work_mem (which took the one query from about
    55 to 130 ms). percentile_disc reads the lower middle at 0.5 and the upper one just past
    it; the same one twice when their number is odd."""

    template = (
        f"percentile_disc(ARRAY[0.5, {0.5 + _PAST_THE_MIDDLE!r}]) "
        "WITHIN GROUP (ORDER BY date_part('epoch', %(expressions)s))"
    )
    output_field = ArrayField(FloatField())


def _referral_figures(
    branch_ids: tuple[int, ...], since: datetime
) -> tuple[list[tuple[str, int]], float | None]:
    """The period's referrals per status, and the median wait from intake to first booking.

    One pass over the period's referrals (test ones left out) gives both: on PostgreSQL the
    counts per status and the exact median in one query, read from the (branch, created_at)
    index that holds status and wait for the clinic's own referrals alone (no table rows).
    At a million intakes the two passes they were took about 40 ms each for every branch over
    90 days, and read the table for `test`."""
    referrals = Referral.objects.filter(
        branch_id__in=branch_ids, created_at__gte=since, test=False
    ).order_by()
    # Counted on `status` (in the index), not `*` (Django filters only a named column).
    figures = {f"n_{status}": Count("status", filter=Q(status=status)) for status in STATUSES}
    if connection.vendor == "postgresql":
        # Referrals not booked (no wait) are left out of the median, as NULLs are.
        found = referrals.aggregate(**figures, middle=_MiddleSeconds("booked_after"))
        hours = None
        if found["middle"] is not None:
            # Back to the microsecond they were stored to (floats hold them exactly enough);
            # halfway as PostgreSQL's interval median was, rounded half to even.
            lower, upper = (timedelta(microseconds=round(s * 1e6)) for s in found["middle"])
            hours = (lower + (upper - lower) / 2).total_seconds() / 3600
    else:
        # Elsewhere: count the waits with the statuses, then read only the middle one or two.
        found = referrals.aggregate(**figures, booked=Count("booked_after"))
        booked = found["booked"]
        hours = None
        if booked:
            waits = referrals.filter(booked_after__isnull=False).values_list(
                "booked_after", flat=True
            )
            middle = list(waits.order_by("booked_after")[(booked - 1) // 2 : booked // 2 + 1])
            hours = sum(middle, timedelta()).total_seconds() / len(middle) / 3600
    return [(status, found[f"n_{status}"]) for status in STATUSES], hours


def dashboard(*, branch_ids: tuple[int, ...], since: datetime, today: date) -> Dashboard:
    days = [(since.date() + timedelta(days=n)) for n in range((today - since.date()).days + 1)]
    # Settled days are counted once and kept (triage.decision_days); the rest live.
    per_day = figures_per_day(branch_ids=branch_ids, first=since.date())
    by_day = {
        name: [per_day[day].decisions.get(name, 0) if day in per_day else 0 for day in days]
        for name in DISPOSITIONS
    }
    period = DayFigures()
    for figures in per_day.values():
        period.add(figures)

    pipeline, median_hours_to_booked = _referral_figures(branch_ids, since)

    return Dashboard(
        days=[day.isoformat() for day in days],
        decisions_by_day=by_day,
        pipeline=pipeline,
        median_hours_to_booked=median_hours_to_booked,
        decisions=sum(sum(counts) for counts in by_day.values()),
        reviews=period.reviews,
        overridden_up=period.raised,
        overridden_down=period.lowered,
        overridden_sideways=period.sideways,
    )
