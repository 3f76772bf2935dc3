"""Patients in the admin: read only (intakes create them, a command redacts them)."""

from django.contrib import admin

from clinic.admin_mixins import (
    AuditedChangeListMixin,
    AuditedChangeViewMixin,
    BranchFilter,
    BranchScopedAdminMixin,
    ExactPatientSearch,
)
from triage.models import Patient


@admin.register(Patient)
class PatientAdmin(
    ExactPatientSearch,
    AuditedChangeListMixin,
    AuditedChangeViewMixin,
    BranchScopedAdminMixin,
    admin.ModelAdmin,
):
    audit_view_action = "admin.patient.view"
    audit_list_action = "admin.patient.list"
    audit_patient_field = "pk"  # the row is the patient
    list_display = ["external_id", "branch", "created_at"]
    list_filter = [BranchFilter]
    list_select_related = ["branch"]
    patient_reference_field = "external_id"
    readonly_fields = ["external_id", "branch", "date_of_birth", "sex", "created_at",
                       "redacted_at"]  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # patients are created by intakes and redacted by a command

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
