from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic branches and access"

    def ready(self) -> None:
        # Registers the API-key security scheme with drf-spectacular.
        from clinic.api import schema  # noqa: F401
