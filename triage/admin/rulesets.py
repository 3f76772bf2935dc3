"""Ruleset activations and replays in the admin: read only (a safety officer activates, and
anyone of the branch's governance replays, through the API), for the people of the branch who
read its ruleset governance."""

from django.contrib import admin
from django.utils.html import format_html_join

from clinic.admin_mixins import BranchFilter, BranchScopedAdminMixin, ReadOnlyAdminMixin
from clinic.models import RULESET_ROLES
from triage.models import Replay, RulesetActivation
from triage.replays import COUNT_WORDS, progress


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


@admin.register(Replay)
class ReplayAdmin(ReadOnlyAdminMixin, BranchScopedAdminMixin, admin.ModelAdmin):
    """Replays, read only: started through the API or `manage.py replay_ruleset`."""

    branch_roles = RULESET_ROLES
    list_display = ["version", "branch", "status", "progress_shown", "actor", "created_at",
                    "finished_at"]  # fmt: skip
    list_filter = [BranchFilter, "version", "status"]
    list_select_related = ["branch"]
    list_defer = ("summary",)
    fields = ["branch", "version", "status", "progress_shown", "submitted_after",
              "submitted_before", "actor", "created_at", "finished_at", "counts"]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="progress")
    def progress_shown(self, replay: Replay) -> str:
        return f"{replay.processed:,} of {replay.total:,} ({progress(replay):.0%})"

    @admin.display(description="summary")
    def counts(self, replay: Replay) -> str:
        if replay.summary is None:
            return "Not done: no result yet."
        return format_html_join(
            "\n",
            "<p>{}: <strong>{}</strong></p>",
            ((words, replay.summary[name]) for name, words in COUNT_WORDS),
        )
