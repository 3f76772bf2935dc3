"""Intakes in the admin, read as a clinician reads them, and the review action."""

from django.contrib import admin, messages
from django.contrib.admin.views.main import ERROR_FLAG, IS_FACETS_VAR, ORDER_VAR, PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from clinic.admin_mixins import (
    AuditedChangeListMixin,
    AuditedChangeViewMixin,
    BranchFilter,
    BranchScopedAdminMixin,
    CappedCountPaginator,
    ExactPatientSearch,
    WriteOnceInlineMixin,
    audit_admin,
    audit_when_drawn,
    expect_audit_on_error,
    staff_caller,
)
from clinic.errors import Invalid
from clinic.models import CLINICAL_ROLES
from clinic.scoping import for_caller_as
from triage import hooks, services
from triage.admin.display import answers_in_words, words
from triage.admin.review import ReviewForm
from triage.decisions import final_decision
from triage.models import Assessment, Intake, Review
from triage.selectors import intake_count_source

# The change list's own parameters, which do not filter its rows.
_LIST_PARAMS = {PAGE_VAR, ORDER_VAR, ERROR_FLAG, IS_FACETS_VAR}
# The review page drawn (opened, or sent back with its errors): a read of the intake.
REVIEW_FORM = "admin.intake.review_form"


class ReviewInline(WriteOnceInlineMixin, admin.TabularInline):
    model = Review
    fields = ["created_at", "reviewer", "disposition", "urgency", "service", "imaging",
              "overridden", "reason"]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reviewer")


@admin.register(Intake)
class IntakeAdmin(
    ExactPatientSearch,
    AuditedChangeListMixin,
    AuditedChangeViewMixin,
    BranchScopedAdminMixin,
    admin.ModelAdmin,
):
    audit_view_action = "admin.intake.view"
    audit_list_action = "admin.intake.list"
    list_display = ["submitted_at", "patient_reference", "branch", "disposition", "urgency",
                    "service", "red_flags", "startback_risk"]  # fmt: skip
    list_display_links = ["submitted_at", "patient_reference"]
    list_filter = [
        BranchFilter,
        ("assessment__disposition", admin.ChoicesFieldListFilter),
        ("assessment__urgency", admin.ChoicesFieldListFilter),
        ("assessment__has_red_flags", admin.BooleanFieldListFilter),
        ("assessment__service", admin.ChoicesFieldListFilter),
        ("submitted_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["branch", "assessment", "patient"]
    list_per_page = 50
    list_defer = ("answers", "assessment__decision")

    class Media:
        css = {"all": ["clinic/worklist.css"]}

    inlines = [ReviewInline]

    def get_queryset(self, request):
        # The decision panel is drawn from the intake alone (a read-only field), yet its
        # review link is only for the branch's clinicians: the queryset, which knows who is
        # asking, says so on each row.
        clinician_in = staff_caller(request).branch_ids_as(CLINICAL_ROLES)
        return (
            super()
            .get_queryset(request)
            .annotate(
                viewer_can_review=ExpressionWrapper(
                    Q(branch_id__in=clinician_in), output_field=BooleanField()
                )
            )
        )

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        return CappedCountPaginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            count_source=self._assessments_like_list(request),
        )

    def _assessments_like_list(self, request: HttpRequest):
        """The change list's filters as intake lookups, for selectors.intake_count_source."""
        assessments = for_caller_as(
            Assessment.objects.all(), staff_caller(request), self.branch_roles
        )
        lookups = []
        for param, values in request.GET.lists():
            if param in _LIST_PARAMS:
                continue
            if len(values) != 1:
                return None
            lookup = "branch__slug" if param == BranchFilter.parameter_name else param
            lookups.append((lookup, values[0]))
        return intake_count_source(assessments, lookups)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["patient_reference", "branch", "submitted_at"]}),
            ("Decision", {"fields": ["decision_panel"]}),
            ("Referral", {"fields": ["referral_panel"]}),
        ]
        if obj is not None and staff_caller(request).sees_answers_in(obj.branch_id):
            # Minimum necessary, as in the API: reception works from the decision.
            fieldsets.append(("Answers", {"fields": ["answers_panel"]}))
        return fieldsets

    def get_inline_instances(self, request, obj=None):
        # An intake nobody has reviewed has no "Reviews" heading over an empty table.
        if obj is None or not obj.reviews.exists():
            return []
        return super().get_inline_instances(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return ["patient_reference", "branch", "submitted_at", "decision_panel",
                "referral_panel", "answers_panel"]  # fmt: skip

    @admin.display(description="Patient reference", ordering="patient__external_id")
    def patient_reference(self, obj: Intake) -> str:
        return obj.patient.external_id

    @admin.display(description="Disposition", ordering="assessment__disposition")
    def disposition(self, obj: Intake) -> str:
        return words(obj.assessment.disposition)

    @admin.display(description="Urgency", ordering="assessment__urgency")
    def urgency(self, obj: Intake) -> str:
        urgency = obj.assessment.urgency
        return format_html('<span class="urgency-{}">{}</span>', urgency, words(urgency))

    @admin.display(description="Service", ordering="assessment__service")
    def service(self, obj: Intake) -> str:
        return words(obj.assessment.service)

    @admin.display(description="Red flags", ordering="assessment__has_red_flags")
    def red_flags(self, obj: Intake) -> str:
        # A red flag is a warning, never a green tick; "none" is said in words, not an icon.
        if obj.assessment.has_red_flags:
            return format_html('<strong class="red-flag-warning">{}</strong>', "⚠ Red flags")
        return "None"

    @admin.display(description="STarT Back risk", ordering="assessment__startback_risk")
    def startback_risk(self, obj: Intake) -> str:
        return words(obj.assessment.startback_risk)

    @admin.display(description="Decision")
    def decision_panel(self, obj: Intake, can_review: bool | None = None) -> str:
        final = final_decision(obj)
        return render_to_string(
            "triage/admin/decision_panel.html",
            {
                "intake": obj,
                "assessment": obj.assessment,
                "decision": obj.assessment.decision,
                "final": final,
                "final_words": {name: words(getattr(final.outcome, name))
                                for name in ("disposition", "urgency", "service", "imaging")},
                "can_review": obj.viewer_can_review if can_review is None else can_review,
                "review_url": reverse("admin:triage_intake_review", args=[obj.pk]),
            },
        )  # fmt: skip

    @admin.display(description="Referral")
    def referral_panel(self, obj: Intake) -> str:
        referrals = hooks.referrals_for_admin(obj)
        return render_to_string("triage/admin/referral_panel.html", {"referrals": referrals})

    @admin.display(description="Answers")
    def answers_panel(self, obj: Intake) -> str:
        return render_to_string(
            "triage/admin/answers_panel.html", {"rows": answers_in_words(obj.answers)}
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # an intake is kept as submitted; a review is the way to change a decision

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        review = self.admin_site.admin_view(self.review_view)
        return [
            path("<path:object_id>/review/", review, name="triage_intake_review"),
            *super().get_urls(),
        ]

    def review_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Confirm or override the decision; the reason is required, as in the API. Opening
        the form shows the patient's decision, so it is audited as a read."""
        action = "admin.intake.review" if request.method == "POST" else REVIEW_FORM
        expect_audit_on_error(request, action, self.opts.model_name, object_id)
        intake = self.get_object(request, object_id)
        if intake is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        caller = staff_caller(request)
        if not caller.is_clinician_in(intake.branch_id):
            audit_admin(request, REVIEW_FORM, 403, intake)
            raise PermissionDenied
        data = None
        if request.method == "POST":
            data = ReviewForm.confirming(intake) if "confirm" in request.POST else request.POST
        form = ReviewForm.for_intake(intake, data)
        if request.method == "POST" and form.is_valid():
            try:
                services.review_create(caller=caller, intake_id=intake.pk, **form.cleaned_data)
            except Invalid as error:
                for field, errors in error.errors.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, str(message))
            else:
                audit_admin(request, "admin.intake.review", 201, intake)
                messages.success(request, "Review saved.")
                change_url = reverse("admin:triage_intake_change", args=[intake.pk])
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Review the decision for patient {intake.patient.external_id}",
            "intake": intake,
            "form": form,
            "assessment": intake.assessment,
            # Beside the form: what is being reviewed, so nobody has to open another page.
            "decision_panel": self.decision_panel(intake, can_review=False),
            "answers_panel": self.answers_panel(intake),
        }
        response = TemplateResponse(request, "triage/admin/review_form.html", context)
        return audit_when_drawn(
            response, lambda status: audit_admin(request, REVIEW_FORM, status, intake)
        )
