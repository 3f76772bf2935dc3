from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "triage"
    verbose_name = "Triage"

    def ready(self) -> None:
        from triage import rulesets  # noqa: F401  (connects: a new branch gets its first ruleset)
