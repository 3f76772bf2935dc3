"""What every admin page of branch data shares: who is looking, and only their branches' rows."""

import functools
from collections.abc import Callable

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.template.response import SimpleTemplateResponse
from django.utils.functional import cached_property

from clinic import audit
from clinic.callers import StaffCaller
from clinic.models import Branch, StaffRole
from clinic.scoping import for_caller_as

EVERY_ROLE = tuple(StaffRole.Role)


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


def audit_admin(
    request: HttpRequest, action: str, status_code: int, obj, *, patient_field: str = "patient_id"
) -> None:
    """Record a person's read or write of a patient's record through the admin. `patient_field`
    names the patient's id on `obj` ("pk" for a patient itself)."""
    audit.record(
        request=request,
        caller=staff_caller(request),
        action=action,
        status_code=status_code,
        object_type=obj._meta.model_name,
        object_ids=[obj.pk],
        patient_ids=[getattr(obj, patient_field)],
        branch_id=obj.branch_id,
    )


def audit_when_drawn(response: HttpResponse, write: Callable[[int], None]) -> HttpResponse:
    """Call `write(status)` once the page has been drawn. A template response is drawn after
    the view returns; if drawing it crashes, nothing was shown, and clinic.audit records the
    crash (under `request.audit_on_error`) instead of a read that never happened."""
    if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:

        def drawn(rendered: HttpResponse) -> None:  # returning a value would replace the page
            write(rendered.status_code)

        response.add_post_render_callback(drawn)
    else:
        write(response.status_code)
    return response


def expect_audit_on_error(request: HttpRequest, action: str, object_type: str, *ids) -> None:
    """What the audit trail should say if this request crashes (see clinic.audit)."""
    request.audit_on_error = {"action": action, "object_type": object_type, "object_ids": ids}


class AuditedChangeViewMixin:
    """Opening a patient's record in the admin, or its history, is recorded in the audit trail,
    as in the API."""

    audit_view_action: str  # e.g. admin.intake.view; the history page is admin.intake.history
    audit_patient_field = "patient_id"

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            request._admin_object = obj  # so the views can audit without reading it again
        return obj

    def _audited(self, request, action: str, object_id: str, view: Callable[[], HttpResponse]):
        expect_audit_on_error(request, action, self.opts.model_name, object_id)
        response = view()
        obj = getattr(request, "_admin_object", None)
        if obj is None:
            return response  # not found, or not in the person's branches: nothing was shown
        field = self.audit_patient_field
        return audit_when_drawn(
            response, lambda status: audit_admin(request, action, status, obj, patient_field=field)
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        view = functools.partial(super().change_view, request, object_id, form_url, extra_context)
        return self._audited(request, self.audit_view_action, object_id, view)

    def history_view(self, request, object_id, extra_context=None):
        # The history page names the record too (a patient's reference, for a patient).
        action = self.audit_view_action.removesuffix(".view") + ".history"
        view = functools.partial(super().history_view, request, object_id, extra_context)
        return self._audited(request, action, object_id, view)


class AuditedChangeListMixin:
    """Opening or searching a list of patients' records is recorded, naming the patients of the
    rows on the page shown (read from the rows the page drew: no query of its own). The term
    searched is not kept: it is a patient's reference."""

    audit_list_action: str
    audit_patient_field = "patient_id"

    def changelist_view(self, request, extra_context=None):
        expect_audit_on_error(request, self.audit_list_action, self.opts.model_name)
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is None:
            return response  # a redirect or an error page: no rows were shown

        def write(status_code: int) -> None:
            rows = list(changelist.result_list)  # evaluated by the drawing already
            branch_ids = {getattr(row, f"{self.branch_field}_id") for row in rows}
            audit.record(
                request=request,
                caller=staff_caller(request),
                action=self.audit_list_action,
                status_code=status_code,
                object_type=self.opts.model_name,
                object_ids=[row.pk for row in rows],
                patient_ids=[getattr(row, self.audit_patient_field) for row in rows],
                branch_id=branch_ids.pop() if len(branch_ids) == 1 else None,
            )

        return audit_when_drawn(response, write)
