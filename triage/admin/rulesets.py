"""Ruleset activations in the admin: read only (a safety officer activates through the API),
for the people of the branch who read its ruleset governance."""

from django.contrib import admin
from django.utils.html import format_html_join

from clinic.admin_mixins import BranchFilter, BranchScopedAdminMixin, ReadOnlyAdminMixin
from clinic.models import RULESET_ROLES
from triage.models import RulesetActivation


@admin.register(RulesetActivation)
class RulesetActivationAdmin(ReadOnlyAdminMixin, BranchScopedAdminMixin, admin.ModelAdmin):
    branch_roles = RULESET_ROLES
    list_display = ["branch", "version", "effective_from", "activated_by", "replay", "created_at"]
    list_display_links = ["version"]
    list_filter = [BranchFilter, "version"]
    list_select_related = ["branch", "activated_by", "replay"]
    list_defer = ("acknowledgements",)
    fields = ["branch", "version", "effective_from", "activated_by", "replay",
              "acknowledged", "created_at"]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="acknowledgements")
    def acknowledged(self, activation: RulesetActivation) -> str:
        """Each under-triage class the safety officer accepted, with their rationale."""
        if not activation.acknowledgements:
            return "None needed"
        return format_html_join(
            "\n",
            "<p><strong>{} → {}</strong>: {}</p>",
            ((ack["from"], ack["to"], ack["rationale"]) for ack in activation.acknowledgements),
        )
