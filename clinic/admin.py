import uuid

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from clinic import services
from clinic.admin_mixins import (
    ADMIN_ROLES,
    BranchFilter,
    BranchScopedAdminMixin,
    ReadOnlyAdminMixin,
    staff_caller,
)
from clinic.models import ApiKey, AuditEvent, Branch, Event, StaffRole

# The library's own key model is unused: every key here belongs to a branch.
admin.site.unregister(APIKey)

admin.site.site_header = "Clinic triage"
admin.site.site_title = "Clinic triage"
admin.site.index_title = "Triage, referrals and access"


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    """Superusers only (Django's model permissions): branches are set up once per clinic."""

    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]
    prepopulated_fields = {"slug": ["name"]}


class ClinicAdminOnly(BranchScopedAdminMixin):
    """Keys, staff, the feed and the audit trail: clinic admins of the row's branch."""

    branch_roles = ADMIN_ROLES

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "branch":
            kwargs["queryset"] = Branch.objects.filter(
                id__in=staff_caller(request).branch_ids_as(self.branch_roles)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request) -> bool:
        return self._works_in(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._works_in(request, obj)


@admin.register(ApiKey)
class ApiKeyAdmin(ClinicAdminOnly, APIKeyModelAdmin):
    """Reception-system keys: issue (the key is shown once), rename, set an expiry, revoke."""

    list_display = [*APIKeyModelAdmin.list_display, "branch"]
    list_filter = [BranchFilter, "revoked"]
    list_select_related = ["branch"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "branch") if obj is not None else fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: intakes keep a link to the key that sent them


class StaffRoleForm(forms.ModelForm):
    username = forms.CharField(
        max_length=150,
        help_text="Each person has their own account; a new one gets a one-time password.",
    )

    class Meta:
        model = StaffRole
        fields = ["username", "branch", "role"]


@admin.register(StaffRole)
class StaffRoleAdmin(ClinicAdminOnly, admin.ModelAdmin):
    """Who works in which branch, and as what."""

    list_display = ["user", "branch", "role"]
    list_filter = [BranchFilter, "role"]
    list_select_related = ["user", "branch"]
    search_fields = ["user__username"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = StaffRoleForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["username", "branch", "role"] if obj is None else ["user", "branch", "role"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["user", "branch"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["role"])
            return
        staff_role, password = services.staff_role_grant(
            branch=form.cleaned_data["branch"],
            username=form.cleaned_data["username"],
            role=form.cleaned_data["role"],
        )
        obj.pk, obj.user = staff_role.pk, staff_role.user
        if password:
            messages.warning(
                request,
                f"A new account was made for {staff_role.user.get_username()}. Their one-time "
                f"password is {password}; hand it over in person. It is not shown again.",
            )

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._works_in(request, obj)

    def delete_model(self, request, obj):
        services.staff_role_remove(staff_role=obj)

    def delete_queryset(self, request, queryset):
        for staff_role in queryset:
            services.staff_role_remove(staff_role=staff_role)


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, BranchScopedAdminMixin, admin.ModelAdmin):
    branch_roles = ADMIN_ROLES
    list_display = ["id", "branch", "type", "occurred_at"]
    list_defer = ("data",)
    list_filter = [BranchFilter, "type"]
    list_select_related = ["branch"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, BranchScopedAdminMixin, admin.ModelAdmin):
    """Read-only: the trail can be searched here but never changed."""

    branch_roles = ADMIN_ROLES
    list_display = ["at", "actor", "role", "branch", "action", "outcome", "status_code"]
    list_filter = [BranchFilter, "outcome", "action", "role"]
    list_select_related = ["branch"]
    search_fields = ["actor"]
    search_help_text = (
        "A patient's id (who saw this patient?), an actor such as user:dr.lee, or a request id."
    )

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            patient_id = uuid.UUID(term)
        except ValueError:
            return queryset.filter(Q(actor=term) | Q(request_id=term)), False
        return queryset.filter(patients__patient_id=patient_id), False
