"""What the review dashboard shows, computed in the database for the caller's branches."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Aggregate, Count, DurationField

from referrals.models import Referral
from referrals.workflow import STATUSES
from triage.decision_days import decisions_per_day
from triage.engine.vocabulary import DISPOSITION_RANK, DISPOSITIONS, URGENCY_RANK
from triage.models import Review


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


class _Median(Aggregate):
    """PostgreSQL's exact median (the mean of the middle two when their number is even)."""

    template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def _median_hours_to_booked(branch_ids: tuple[int, ...], since: datetime) -> float | None:
    """The median wait from intake to first booking, worked out in the database."""
    waits = Referral.objects.filter(
        branch_id__in=branch_ids, created_at__gte=since, booked_after__isnull=False, test=False
    ).values_list("booked_after", flat=True)
    if connection.vendor == "postgresql":
        # One sort in one query: at a million intakes, counting then reading the middle row
        # with OFFSET took 100-190 ms for every branch over 90 days; this takes about 60.
        median = waits.aggregate(median=_Median("booked_after"))["median"]
        return None if median is None else median.total_seconds() / 3600
    # Elsewhere: count the waits, then read only the middle one or two.
    booked = waits.count()
    if not booked:
        return None
    middle = list(waits.order_by("booked_after")[(booked - 1) // 2 : booked // 2 + 1])
    return sum(middle, timedelta()).total_seconds() / len(middle) / 3600


def dashboard(*, branch_ids: tuple[int, ...], since: datetime, today: date) -> Dashboard:
    days = [(since.date() + timedelta(days=n)) for n in range((today - since.date()).days + 1)]
    # Settled days are counted once and kept (triage.decision_days); the rest live.
    per_day = decisions_per_day(branch_ids=branch_ids, first=since.date())
    by_day = {name: [per_day.get(day, {}).get(name, 0) for day in days] for name in DISPOSITIONS}

    status_counts = dict(
        Referral.objects.filter(branch_id__in=branch_ids, created_at__gte=since, test=False)
        .values_list("status")
        # The (branch, created_at) index that includes status finds them; `test` is read from
        # each row.
        .annotate(n=Count("*"))
    )
    pipeline = [(status, status_counts.get(status, 0)) for status in STATUSES]

    median_hours_to_booked = _median_hours_to_booked(branch_ids, since)

    # A test key's intakes (and so their reviews) are not the clinic's work.
    reviews = Review.objects.filter(
        branch_id__in=branch_ids, created_at__gte=since, intake__test=False
    )
    changes = (
        reviews.filter(overridden=True)
        .values("disposition", "urgency", "intake__assessment__disposition",
                "intake__assessment__urgency")
        .annotate(n=Count("id"))
    )  # fmt: skip
    up = down = sideways = 0
    for row in changes:
        after = (DISPOSITION_RANK[row["disposition"]], URGENCY_RANK[row["urgency"]])
        before = (
            DISPOSITION_RANK[row["intake__assessment__disposition"]],
            URGENCY_RANK[row["intake__assessment__urgency"]],
        )
        if after > before:
            up += row["n"]
        elif after < before:
            down += row["n"]
        else:
            sideways += row["n"]

    return Dashboard(
        days=[day.isoformat() for day in days],
        decisions_by_day=by_day,
        pipeline=pipeline,
        median_hours_to_booked=median_hours_to_booked,
        decisions=sum(sum(counts) for counts in by_day.values()),
        reviews=reviews.count(),
        overridden_up=up,
        overridden_down=down,
        overridden_sideways=sideways,
    )
