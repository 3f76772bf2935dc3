"""Reads of the change feed, always scoped to the caller's branches."""

from collections.abc import Collection

from clinic.callers import Caller
from clinic.models import Event
from clinic.scoping import for_caller


def feed_cursor_exists(*, caller: Caller, cursor: int) -> bool:
    """Whether the change feed could have given `cursor` to this caller: `0` (the start), or
    the id of an event the caller sees (every `next_cursor` is one of these)."""
    return cursor == 0 or for_caller(Event.objects.filter(id=cursor), caller).exists()


def events_after(
    *, caller: Caller, after: int, limit: int, types: Collection[str] = ()
) -> list[Event]:
    """The caller's events after the cursor `after`, oldest first; only of `types` if given.
    Filtered, the last event listed is still a cursor to carry on from: no later event of
    those types comes before it."""
    events = for_caller(Event.objects.all(), caller).filter(id__gt=after)
    if types:
        events = events.filter(type__in=types)
    return list(events.order_by("id")[:limit])
