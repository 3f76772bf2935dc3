from django.contrib import admin

from clinic.admin_mixins import ReadOnlyAdminMixin
from referrals.models import Referral, ReferralHistory
from referrals.selectors import with_overdue


class ReferralHistoryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ReferralHistory
    fields = ["at", "kind", "from_status", "to_status", "note", "actor"]
    readonly_fields = fields
    extra = 0


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    list_display = ["id", "branch", "service", "urgency", "status", "due_by", "is_overdue"]
    list_filter = ["branch", "status", "urgency", "service"]
    list_select_related = ["branch"]
    search_fields = ["patient__external_id"]
    readonly_fields = [
        "branch", "intake", "patient", "service", "urgency", "imaging", "reasons_summary",
        "status", "due_by", "version", "created_at", "updated_at",
    ]  # fmt: skip
    inlines = [ReferralHistoryInline]

    def get_queryset(self, request):
        return with_overdue(super().get_queryset(request))

    @admin.display(boolean=True, description="Overdue", ordering="overdue")
    def is_overdue(self, obj: Referral) -> bool:
        return obj.overdue

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
