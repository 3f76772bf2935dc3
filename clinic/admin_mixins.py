"""What every admin page of branch data shares: who is looking, and only their branches' rows."""

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils.functional import cached_property

from clinic import audit
from clinic.callers import StaffCaller
from clinic.models import Branch
from clinic.scoping import for_caller_as

EVERY_ROLE = ("reception", "clinician", "clinic_admin")
CLINICAL_ROLES = ("clinician", "clinic_admin")
ADMIN_ROLES = ("clinic_admin",)


def staff_caller(request: HttpRequest) -> StaffCaller:
    """The signed-in person with their roles, looked up once per request (the admin asks for
    permissions many times while drawing one page)."""
    caller = getattr(request, "_staff_caller", None)
    if caller is None or caller.user != request.user:
        caller = StaffCaller.for_user(request.user)
        request._staff_caller = caller
    return caller


class ReadOnlyAdminMixin:
    """For records nobody edits in the admin (the feed, the audit trail, write-once records
    shown inline): they can be read and searched, never added, changed or deleted."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class WriteOnceInlineMixin(ReadOnlyAdminMixin):
    """Write-once records shown inside their parent's page (reviews, referral history). The
    parent admin has already decided who may see the page, so whoever sees it sees these."""

    extra = 0

    def has_view_permission(self, request, obj=None) -> bool:
        return True


class ExactPatientSearch:
    """Search by the reception system's patient reference, matched exactly: it is what the
    desk has in hand, and an exact match uses the index at any size."""

    patient_reference_field = "patient__external_id"
    search_help_text = "The patient reference, exactly as the reception system holds it."

    def get_search_fields(self, request):
        return [self.patient_reference_field]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(**{self.patient_reference_field: term}), False


class CappedCountPaginator(Paginator):
    """Counts at most `cap` + 1 rows. A list of a million intakes pages just as fast as one of
    a thousand; past the cap the page says "More than 10000" and offers pages up to it."""

    cap = 10_000

    def __init__(self, object_list, per_page, *args, count_source=None, **kwargs) -> None:
        super().__init__(object_list, per_page, *args, **kwargs)
        # A queryset with as many rows as the list that is cheaper to count, if there is one.
        self._count_source = count_source

    @cached_property
    def _counted(self) -> int:
        rows = self.object_list if self._count_source is None else self._count_source
        return rows[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        return self._counted > self.cap


class BranchFilter(admin.SimpleListFilter):
    """The branches the person works in; hidden when they work in only one."""

    title = "branch"
    parameter_name = "branch"

    def __init__(self, request, params, model, model_admin):
        self.branch_field = model_admin.branch_field
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        branch_ids = staff_caller(request).branch_ids_as(model_admin.branch_roles)
        if len(branch_ids) < 2:
            return []
        branches = Branch.objects.filter(id__in=branch_ids).order_by("name")
        return list(branches.values_list("slug", "name"))

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(**{f"{self.branch_field}__slug": self.value()})


class LeanChangeList(ChangeList):
    """A change list that does not read the large columns its rows never show."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.defer(*self.model_admin.list_defer)


class BranchScopedAdminMixin:
    """Staff see and act on only the rows of branches where they hold one of `branch_roles`
    (superusers: every branch). The rows come from clinic.scoping, as in the API."""

    branch_field = "branch"
    branch_roles: tuple[str, ...] = EVERY_ROLE
    paginator = CappedCountPaginator
    list_defer: tuple[str, ...] = ()  # large columns the list never shows
    show_full_result_count = False  # the unfiltered total is a second count per page

    def get_changelist(self, request, **kwargs):
        return LeanChangeList

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return for_caller_as(queryset, staff_caller(request), self.branch_roles, self.branch_field)

    def _works_in(self, request, obj=None) -> bool:
        branch_ids = staff_caller(request).branch_ids_as(self.branch_roles)
        if obj is None:
            return bool(branch_ids)
        return getattr(obj, f"{self.branch_field}_id") in branch_ids

    def has_module_permission(self, request) -> bool:
        return self._works_in(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._works_in(request, obj)


def audit_admin(request: HttpRequest, action: str, status_code: int, obj) -> None:
    """Record a person's read or write of a patient's record through the admin."""
    audit.record(
        request=request,
        caller=staff_caller(request),
        action=action,
        status_code=status_code,
        object_type=obj._meta.model_name,
        object_ids=[obj.pk],
        patient_ids=[obj.patient_id],
        branch_id=obj.branch_id,
    )


class AuditedChangeViewMixin:
    """Opening a patient's record in the admin is recorded in the audit trail, as in the API."""

    audit_view_action: str

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            request._admin_object = obj  # so change_view can audit without reading it again
        return obj

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = getattr(request, "_admin_object", None)
        if obj is not None:
            audit_admin(request, self.audit_view_action, response.status_code, obj)
        return response
