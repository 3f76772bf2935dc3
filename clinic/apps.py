from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic branches and access"

    def ready(self) -> None:
        # Registers the API-key security scheme with drf-spectacular.
        # Moves the access epoch whenever an API key or a branch is saved or deleted.
        from clinic import access_epoch  # noqa: F401
        from clinic.api import schema  # noqa: F401
