from django.contrib import admin

from clinic.admin_mixins import ReadOnlyAdminMixin
from triage.models import Assessment, Intake, Patient, Review


class AssessmentInline(ReadOnlyAdminMixin, admin.StackedInline):
    model = Assessment
    readonly_fields = [
        "disposition", "urgency", "service", "imaging", "startback_risk", "has_red_flags",
        "age", "ruleset_version", "decision", "created_at",
    ]  # fmt: skip


class ReviewInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Review
    fields = ["created_at", "reviewer", "disposition", "urgency", "service", "imaging",
              "overridden", "reason"]  # fmt: skip
    readonly_fields = fields
    extra = 0


@admin.register(Intake)
class IntakeAdmin(admin.ModelAdmin):
    list_display = ["id", "branch", "submitted_at", "disposition", "urgency"]
    list_filter = ["branch", "assessment__disposition", "assessment__urgency", "submitted_at"]
    list_select_related = ["branch", "assessment"]
    search_fields = ["patient__external_id"]
    readonly_fields = ["branch", "patient", "answers", "questionnaire_version", "submitted_at",
                       "api_key"]  # fmt: skip
    inlines = [AssessmentInline, ReviewInline]

    @admin.display(ordering="assessment__disposition")
    def disposition(self, obj: Intake) -> str:
        return obj.assessment.disposition

    @admin.display(ordering="assessment__urgency")
    def urgency(self, obj: Intake) -> str:
        return obj.assessment.urgency

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["external_id", "branch", "created_at"]
    list_filter = ["branch"]
    search_fields = ["external_id"]
