from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from clinic.admin_mixins import (
    AuditedChangeListMixin,
    AuditedChangeViewMixin,
    BranchFilter,
    BranchScopedAdminMixin,
    ExactPatientSearch,
    ReadOnlyAdminMixin,
    WriteOnceInlineMixin,
)
from referrals.models import Referral, ReferralHistory
from referrals.selectors import overdue_condition, with_overdue


class ReferralHistoryInline(WriteOnceInlineMixin, admin.TabularInline):
    model = ReferralHistory
    fields = ["at", "kind", "from_status", "to_status", "note", "actor"]
    readonly_fields = fields


class OverdueFilter(admin.SimpleListFilter):
    """Past due-by and not yet booked: what the desk chases first."""

    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(overdue_condition())
        if self.value() == "no":
            return queryset.exclude(overdue_condition())
        return queryset


@admin.register(Referral)
class ReferralAdmin(
    ExactPatientSearch,
    AuditedChangeListMixin,
    AuditedChangeViewMixin,
    ReadOnlyAdminMixin,
    BranchScopedAdminMixin,
    admin.ModelAdmin,
):
    """Referrals are read here; they move through the API, where the workflow is enforced."""

    audit_view_action = "admin.referral.view"
    audit_list_action = "admin.referral.list"
    list_display = ["created_at", "patient_reference", "branch", "service", "urgency", "status",
                    "due_by", "is_overdue"]  # fmt: skip
    list_display_links = ["created_at", "patient_reference"]
    list_filter = [BranchFilter, "status", OverdueFilter, "urgency", "service",
                   ("created_at", admin.DateFieldListFilter)]  # fmt: skip
    list_select_related = ["branch", "patient"]
    list_per_page = 50
    list_defer = ("reasons_summary",)
    fields = ["patient_reference", "branch", "intake_link", "service", "urgency", "imaging",
              "reasons_summary", "status", "is_overdue", "due_by", "created_at",
              "updated_at"]  # fmt: skip
    readonly_fields = fields
    inlines = [ReferralHistoryInline]

    def get_queryset(self, request):
        return with_overdue(super().get_queryset(request))

    @admin.display(description="Patient reference", ordering="patient__external_id")
    def patient_reference(self, obj: Referral) -> str:
        return obj.patient.external_id

    @admin.display(description="Intake")
    def intake_link(self, obj: Referral) -> str:
        url = reverse("admin:triage_intake_change", args=[obj.intake_id])
        return format_html('<a href="{}">The intake and its decision</a>', url)

    @admin.display(boolean=True, description="Overdue", ordering="overdue")
    def is_overdue(self, obj: Referral) -> bool:
        return obj.overdue
