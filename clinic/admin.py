from django.contrib import admin
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from clinic.models import ApiKey, Branch

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
