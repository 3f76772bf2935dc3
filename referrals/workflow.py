"""The referral status workflow and deadlines: plain data, one place.

open → sent → accepted → booked → attended → completed; sent → declined;
booked → not_attended → booked; any status that is not final → cancelled (a note is required).
"""

from datetime import UTC, datetime, timedelta

STATUSES = (
    "open",
    "sent",
    "accepted",
    "booked",
    "attended",
    "not_attended",
    "completed",
    "declined",
    "cancelled",
)
FINAL = frozenset({"completed", "declined", "cancelled"})
# Not yet booked: the referral counts as overdue once its due-by time has passed.
AWAITING_BOOKING = ("open", "sent", "accepted")

_FORWARD = {
    "open": ("sent",),
    "sent": ("accepted", "declined"),
    "accepted": ("booked",),
    "booked": ("attended", "not_attended"),
    "attended": ("completed",),
    "not_attended": ("booked",),
}
LEGAL_NEXT: dict[str, tuple[str, ...]] = {
    status: (*_FORWARD.get(status, ()), *(() if status in FINAL else ("cancelled",)))
    for status in STATUSES
}
NOTE_REQUIRED = frozenset({"cancelled"})

# How soon each urgency must be seen. Emergency: within hours; urgent: within two working days
# (Monday to Friday); routine: within 14 days.
EMERGENCY_WITHIN = timedelta(hours=4)
URGENT_WORKING_DAYS = 2
ROUTINE_WITHIN = timedelta(days=14)


def due_by(urgency: str, opened_at: datetime) -> datetime:
    """When a referral of this urgency opened at `opened_at` (clinic local time) is due."""
    if urgency == "emergency":
        # Hours are real elapsed time: count them in UTC, so a clock change adds or loses none.
        return (opened_at.astimezone(UTC) + EMERGENCY_WITHIN).astimezone(opened_at.tzinfo)
    if urgency == "urgent":
        moment, left = opened_at, URGENT_WORKING_DAYS
        while left:
            moment += timedelta(days=1)
            if moment.weekday() < 5:
                left -= 1
        return moment
    return opened_at + ROUTINE_WITHIN


def is_legal(current: str, target: str) -> bool:
    return target in LEGAL_NEXT[current]
