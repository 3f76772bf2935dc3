import functools
import math
import uuid

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from clinic import audit, services, sign_in_guard
from clinic.admin_mixins import (
    BranchFilter,
    BranchScopedAdminMixin,
    ReadOnlyAdminMixin,
    staff_caller,
)
from clinic.models import (
    ADMIN_ROLES,
    ApiKey,
    AuditEvent,
    Branch,
    Event,
    StaffRole,
    WebhookDelivery,
    WebhookEndpoint,
)

# The library's own key model is unused: every key here belongs to a branch.
admin.site.unregister(APIKey)

admin.site.site_header = "Clinic triage"
admin.site.site_title = "Clinic triage"
admin.site.index_title = "Triage, referrals and access"


class GuardedAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in, behind the guard POST /api/v1/auth/tokens/ stands behind too
    (clinic/sign_in_guard.py): a locked account or address is refused before its password is
    checked. What happened is left on the request for the sign-in page to answer and audit."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "locked": "Too many failed sign-ins for this account or from this address. "
        "Try again in %(minutes)s minutes.",
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is None or not self.cleaned_data.get("password"):
            return super().clean()  # a field left empty: no password was tried
        self.request._sign_in_refused = username  # until the password is right
        wait = sign_in_guard.locked_for(self.request, username)
        if wait:
            self.request._sign_in_locked_for = wait
            raise ValidationError(
                self.error_messages["locked"], code="locked",
                params={"minutes": math.ceil(wait / 60)},
            )  # fmt: skip
        try:
            cleaned = super().clean()
        except ValidationError:  # a wrong name or password, or no staff status
            sign_in_guard.record_failure(self.request, username)
            raise
        sign_in_guard.record_success(self.request, username)
        self.request._sign_in_refused = None
        return cleaned


_admin_sign_in_page = admin.site.login


@functools.wraps(_admin_sign_in_page)
def _guarded_sign_in_page(request: HttpRequest, extra_context=None) -> HttpResponse:
    """The admin's sign-in page, answering a locked sign-in with 429 and Retry-After (Django
    draws every refused sign-in with 200), and recording each refused one in the audit trail
    under the name tried, as the API does."""
    response = _admin_sign_in_page(request, extra_context)
    refused = getattr(request, "_sign_in_refused", None)
    if refused is None:
        return _landing(request, response)
    wait = getattr(request, "_sign_in_locked_for", 0)
    if wait:
        response.status_code = 429
        response["Retry-After"] = str(wait)
    audit.record(
        request=request,
        action="admin.sign_in",
        status_code=response.status_code,
        **audit.sign_in_attempt(refused),
    )
    return response


# Who starts the day at the worklist rather than the model index.
LANDS_ON_DASHBOARD = (StaffRole.Role.CLINICIAN, StaffRole.Role.SAFETY_OFFICER)


def _landing(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """After a sign-in that was not sent anywhere in particular (the admin's own default is its
    index), clinicians and safety officers go to the dashboard: the worklist is their work."""
    signed_in = request.method == "POST" and request.user.is_authenticated
    if not signed_in or response.status_code != 302:
        return response
    if response["Location"] not in (
        reverse("admin:index"),
        resolve_url(settings.LOGIN_REDIRECT_URL),
    ):
        return response  # they were on their way somewhere: take them there
    if StaffRole.objects.filter(user=request.user, role__in=LANDS_ON_DASHBOARD).exists():
        return HttpResponseRedirect(reverse("triage-dashboard"))
    return response


admin.site.login_form = GuardedAuthenticationForm
# AdminSite.get_urls routes login/ to `self.login`, so this instance attribute is what serves
# it; the site's own view (never_cache, the form, the template) still does the work.
admin.site.login = _guarded_sign_in_page


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    """Superusers set branches up (add, rename, delete). A clinic admin keeps their own
    branch's contact details up to date: what care plans and referral letters print."""

    list_display = ["slug", "name", "phone", "contact_person"]
    search_fields = ["slug", "name"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["slug", "name"]}),
        (
            "Printed on care plans and letters",
            {"fields": ["address", "phone", "email", "contact_person"]},
        ),
    ]

    def _admin_of(self, request) -> set[int]:
        return set(staff_caller(request).branch_ids_as(ADMIN_ROLES))

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(id__in=self._admin_of(request))

    def get_readonly_fields(self, request, obj=None):
        return [] if request.user.is_superuser else ["slug", "name"]

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if request.user.is_superuser else {}

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser or bool(self._admin_of(request))

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        admin_of = self._admin_of(request)
        return bool(admin_of) if obj is None else obj.pk in admin_of


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

    list_display = [*APIKeyModelAdmin.list_display, "branch", "test"]
    list_filter = [BranchFilter, "revoked", "test"]
    list_select_related = ["branch"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # A key's intakes were marked by what it was: a test key stays one, a real key too.
        return (*fields, "branch", "test") if obj is not None else fields

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

    def get_queryset(self, request):
        if staff_caller(request).user.is_superuser:
            # Superusers act for every branch, and also see the events of none: sign-ins
            # under a name of no single branch, calls without credentials.
            return admin.ModelAdmin.get_queryset(self, request).select_related("branch")
        return super().get_queryset(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return staff_caller(request).user.is_superuser or super().has_view_permission(request, obj)

    def has_module_permission(self, request) -> bool:
        return staff_caller(request).user.is_superuser or super().has_module_permission(request)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            patient_id = uuid.UUID(term)
        except ValueError:
            return queryset.filter(Q(actor=term) | Q(request_id=term)), False
        return queryset.filter(patients__patient_id=patient_id), False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdminMixin, BranchScopedAdminMixin, admin.ModelAdmin):
    """Read-only: clinic admins manage webhooks through the API (POST /api/v1/webhooks/),
    which shows the secret once; here they see where deliveries go and why one stopped."""

    branch_roles = ADMIN_ROLES
    list_display = ["url", "branch", "created_at", "failing_since", "disabled_at"]
    list_filter = [BranchFilter]
    list_select_related = ["branch"]
    # Never the encrypted secrets: they are no use to a person, and stay out of every page.
    fields = ["id", "branch", "url", "event_types", "description", "created_by", "created_at",
              "previous_secret_expires_at", "failing_since", "unreachable_since",
              "disabled_at", "disabled_reason"]  # fmt: skip


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, BranchScopedAdminMixin, admin.ModelAdmin):
    branch_roles = ADMIN_ROLES
    branch_field = "endpoint__branch"
    list_display = ["id", "type", "endpoint", "state", "attempts", "last_status_code",
                    "next_attempt_at", "created_at"]  # fmt: skip
    list_filter = ["state", "type"]
    list_select_related = ["endpoint"]

    def _works_in(self, request, obj=None) -> bool:
        branch_ids = staff_caller(request).branch_ids_as(self.branch_roles)
        if obj is None:
            return bool(branch_ids)
        return obj.endpoint.branch_id in branch_ids
