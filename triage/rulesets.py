"""Which ruleset version decides a branch's intakes: its activations.

A branch's active version at a time is the version of its latest activation whose
`effective_from` has come. Every branch has one from its creation: the branches that existed
when versioned rulesets arrived stay on 2026.1 (migration 0009); a branch created since starts
on the newest version the engine holds, active from its creation.
"""

from datetime import datetime

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from clinic.models import Branch
from triage.engine.vocabulary import RULESET_VERSION as NEWEST_VERSION  # the engine's newest
from triage.models import RulesetActivation


@receiver(post_save, sender=Branch, dispatch_uid="triage.rulesets.new_branch")
def _new_branch_starts_on_the_newest_version(sender, instance: Branch, created: bool, raw: bool,
                                             **kwargs) -> None:  # fmt: skip
    if created and not raw:
        RulesetActivation.objects.create(
            branch=instance,
            version=NEWEST_VERSION,
            effective_from=instance.created_at,
            created_at=timezone.now(),
        )


def active_activation(*, branch_id: int, at: datetime | None = None) -> RulesetActivation | None:
    """The activation in effect for the branch at `at` (default now)."""
    at = at or timezone.now()
    return (
        RulesetActivation.objects.filter(branch_id=branch_id, effective_from__lte=at)
        .order_by("-effective_from", "-created_at")
        .first()
    )
