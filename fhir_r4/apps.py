from django.apps import AppConfig


class FhirR4Config(AppConfig):
    name = "fhir_r4"
    label = "fhir"
    verbose_name = "FHIR R4"
