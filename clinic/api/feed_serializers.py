"""What the change feed takes and answers (clinic.api.feed_views)."""

from collections.abc import Callable

from rest_framework import serializers

from clinic import selectors
from clinic.api.fields import StrictRegexField, WholeNumberField
from clinic.models import Event


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "type", "occurred_at", "patient_id", "intake_id", "referral_id",
                  "review_id", "data"]  # fmt: skip
        read_only_fields = fields


class EventPageSerializer(serializers.Serializer):
    results = EventSerializer(many=True)
    next_cursor = serializers.CharField(
        help_text="Pass as `after` to get what happened next (the same cursor when nothing did)."
    )
    has_more = serializers.BooleanField()


# The types of event the feed writes (clinic.models.Event.TYPES, checked by the database).
EVENT_TYPES = tuple(value for value, _ in Event.TYPES)

# The shape of each event type's `data`, for the schema only (the feed sends `data` as stored).
# The app that records a type registers it (in its AppConfig.ready(), as clinic never imports
# the apps above it); clinic.api.schema.EventScheme documents `Event` as one variant per type.
EVENT_DATA: dict[str, type[serializers.Serializer]] = {}


def event_data(
    event_type: str,
) -> Callable[[type[serializers.Serializer]], type[serializers.Serializer]]:
    """Register a serializer as the description of `data` in events of `event_type`."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"{event_type} is not a type the feed records")

    def register(serializer: type[serializers.Serializer]) -> type[serializers.Serializer]:
        EVENT_DATA[event_type] = serializer
        return serializer

    return register


class EventQuerySerializer(serializers.Serializer):
    """The change feed's query (context: the `caller`)."""

    after = StrictRegexField(
        # ASCII digits only (`\d` also matches other scripts' digits, which `int` reads), and
        # written as the feed writes it: `0` or an id, no leading zero.
        r"^(0|[1-9][0-9]{0,17})$",
        required=False,
        default="0",
        error_messages={"invalid": "Must be a cursor this feed gave you."},
        help_text="The cursor you were last given: `0`, or a `next_cursor` of this feed.",
    )
    limit = WholeNumberField(
        min_value=1, max_value=100, required=False, default=100, help_text="At most 100."
    )
    type = serializers.MultipleChoiceField(
        choices=EVENT_TYPES,
        required=False,
        default=set,
        # DRF's own message repeats the value sent.
        error_messages={"invalid_choice": f"Must be one of: {', '.join(EVENT_TYPES)}."},
        help_text="Only events of these types (repeat for several); every type if left out.",
    )

    def validate_after(self, value: str) -> int:
        cursor = int(value)
        # A cursor the feed never gave (a corrupted or made-up one) would page on silently
        # from wherever it points, skipping events or waiting for ones that never come.
        if not selectors.feed_cursor_exists(caller=self.context["caller"], cursor=cursor):
            raise serializers.ValidationError(
                "Must be a cursor this feed gave you.", code="unknown_cursor"
            )
        return cursor
