from django.contrib import admin
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from clinic.admin_mixins import ReadOnlyAdminMixin
from clinic.models import ApiKey, AuditEvent, Branch, Event, StaffRole

# The library's own key model is unused: every key here belongs to a branch.
admin.site.unregister(APIKey)


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ApiKey)
class ApiKeyAdmin(APIKeyModelAdmin):
    list_display = [*APIKeyModelAdmin.list_display, "branch"]
    list_filter = ["branch", "revoked"]
    list_select_related = ["branch"]


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "branch", "role"]
    list_filter = ["branch", "role"]
    list_select_related = ["user", "branch"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "branch", "type", "occurred_at"]
    list_filter = ["branch", "type"]
    list_select_related = ["branch"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the trail can be searched here but never changed."""

    list_display = ["at", "actor", "role", "branch", "action", "outcome", "status_code"]
    list_filter = ["outcome", "action", "branch", "role"]
    list_select_related = ["branch"]
    search_fields = ["actor", "request_id", "patients__patient_id"]
