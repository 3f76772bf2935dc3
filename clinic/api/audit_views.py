import django_filters
from drf_spectacular.utils import extend_schema_view
from rest_framework import mixins, serializers

from clinic.api.filters import time_window_filters
from clinic.api.schema import list_schema
from clinic.api.viewsets import ClinicViewSet
from clinic.models import ADMIN_ROLES, AuditEvent
from clinic.scoping import for_caller_as


class AuditEventSerializer(serializers.ModelSerializer):
    patient_ids = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = ["id", "at", "actor", "branch", "role", "action", "object_type", "object_ids",
                  "patient_ids", "request_id", "status_code", "outcome"]  # fmt: skip
        read_only_fields = fields

    def get_patient_ids(self, event: AuditEvent) -> list[str]:
        return [str(link.patient_id) for link in event.patients.all()]


class AuditEventFilterSet(django_filters.FilterSet):
    # Matched exactly as sent (not trimmed: a value of spaces alone would filter nothing).
    actor = django_filters.CharFilter(help_text="user:<name> or api-key:<prefix>", strip=False)
    action = django_filters.CharFilter(
        help_text="For example intake.read or referral.transition", strip=False
    )
    patient = django_filters.UUIDFilter(field_name="patients__patient_id", distinct=True)
    outcome = django_filters.ChoiceFilter(
        choices=[("allowed", "allowed"), ("denied", "denied"), ("error", "error")],
        # Django's own message repeats the value sent.
        error_messages={"invalid_choice": "Must be one of: allowed, denied, error."},
    )
    at_after, at_before, on = time_window_filters("at")

    class Meta:
        model = AuditEvent
        fields: list[str] = []


@extend_schema_view(
    list=list_schema(
        "The audit trail (clinic admins)",
        AuditEventSerializer,
        "Every read and change of patient data, and every refusal, in the branches you "
        "administer, newest first: who, what, when, from where, and the patients concerned.",
    )
)
class AuditEventViewSet(ClinicViewSet, mixins.ListModelMixin):
    """The audit trail of the branches the caller administers, newest first."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilterSet
    queryset_model = AuditEvent
    required_roles = {"*": ADMIN_ROLES}
    role_message = "Only a clinic admin may read the audit trail."
    audit_object_type = "audit_event"
    audit_actions = {"list": "audit.list"}

    def get_scoped_queryset(self):
        events = AuditEvent.objects.prefetch_related("patients").order_by("-id")
        return for_caller_as(events, self.caller, ADMIN_ROLES)
