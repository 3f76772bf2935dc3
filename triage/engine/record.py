"""JSON-ready data from the engine's frozen dataclasses, written once for all of them."""

from dataclasses import fields
from typing import Any

# Field metadata for the parts of a record that are the engine's workings (a rule's check), not
# data it publishes: `as_dict` leaves them out. Use: `field(metadata=WORKINGS)`.
WORKINGS = {"published": False}


class Record:
    """Mixed into a frozen dataclass: `as_dict` gives its published fields in declaration order,
    nested records as dicts and tuples as lists (what the API returns and the database stores)."""

    __slots__ = ()

    def as_dict(self) -> dict[str, Any]:
        return {name: _plain(getattr(self, name)) for name in _published(type(self))}


_PUBLISHED: dict[type, tuple[str, ...]] = {}


def _published(cls: type) -> tuple[str, ...]:
    """The names of a record class's published fields, worked out once per class."""
    if cls not in _PUBLISHED:
        _PUBLISHED[cls] = tuple(f.name for f in fields(cls) if f.metadata.get("published", True))
    return _PUBLISHED[cls]


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return value.as_dict()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value
