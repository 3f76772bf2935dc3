from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "triage"
    verbose_name = "Triage"

    def ready(self) -> None:
        from clinic.api.feed_serializers import event_data
        from triage import rulesets  # noqa: F401  (connects: a new branch gets its first ruleset)
        from triage.api.event_data import EVENT_DATA

        # The schema types each event's `data`; the feed is clinic's, the events triage's.
        for event_type, serializer in EVENT_DATA.items():
            event_data(event_type)(serializer)
