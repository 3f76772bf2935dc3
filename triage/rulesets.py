"""Which ruleset version decides a branch's intakes: its activations, read and made.

A branch's active version at a time is the version of its latest activation whose
`effective_from` has come (of two from the same moment, the one recorded last). Every branch has
one from its creation: the branches that existed when versioned rulesets arrived stay on 2026.1
(migration 0009); a branch created since starts on the newest version the engine holds, active
from its creation.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from clinic.callers import Caller
from clinic.models import RULESET_ROLES, Branch
from clinic.scoping import for_caller_as
from triage.engine import LATEST, RULESETS
from triage.models import RulesetActivation

# The version a branch with no activation at all is decided under: the one every branch was
# decided under before there were versions. (Only a branch loaded raw, bypassing the receiver
# below, can have none.)
FIRST_VERSION = next(iter(RULESETS))


@receiver(post_save, sender=Branch, dispatch_uid="triage.rulesets.new_branch")
def _new_branch_starts_on_the_newest_version(sender, instance: Branch, created: bool, raw: bool,
                                             **kwargs) -> None:  # fmt: skip
    if created and not raw:
        RulesetActivation.objects.create(
            branch=instance,
            version=LATEST.version,
            effective_from=instance.created_at,
            created_at=timezone.now(),
        )


# Reading ------------------------------------------------------------------------------------


def _latest_first(activations: QuerySet[RulesetActivation]) -> QuerySet[RulesetActivation]:
    # The order of the (branch, -effective_from, -created_at) index: one branch's latest
    # activation is the first row of an index scan.
    return activations.order_by("-effective_from", "-created_at")


def active_activation(*, branch_id: int, at: datetime | None = None) -> RulesetActivation | None:
    """The activation in effect for the branch at `at` (default now)."""
    at = at or timezone.now()
    in_effect = RulesetActivation.objects.filter(branch_id=branch_id, effective_from__lte=at)
    return _latest_first(in_effect).first()


def active_version(*, branch_id: int, at: datetime | None = None) -> str:
    """The version that decides the branch's intakes submitted at `at` (default now): one
    indexed query."""
    activation = active_activation(branch_id=branch_id, at=at)
    return FIRST_VERSION if activation is None else activation.version


@dataclass(frozen=True)
class BranchRulesets:
    """A branch's ruleset now: the activation in effect, and the one waiting for its time."""

    branch_id: int
    active: RulesetActivation | None
    pending: RulesetActivation | None

    @property
    def version(self) -> str:
        return FIRST_VERSION if self.active is None else self.active.version

    @property
    def active_since(self) -> datetime | None:
        return None if self.active is None else self.active.effective_from


def branch_rulesets(
    *, branch_ids: Iterable[int], now: datetime | None = None
) -> dict[int, BranchRulesets]:
    """Each branch's active and pending activation, read in one query for all of them (a
    branch has a handful of activations in its life)."""
    now = now or timezone.now()
    branch_ids = list(branch_ids)
    active: dict[int, RulesetActivation] = {}
    pending: dict[int, RulesetActivation] = {}
    activations = RulesetActivation.objects.filter(branch_id__in=branch_ids)
    for activation in _latest_first(activations.select_related("activated_by")):
        if activation.effective_from > now:
            pending[activation.branch_id] = activation  # latest first: the earliest stays
        else:
            active.setdefault(activation.branch_id, activation)
    return {b: BranchRulesets(b, active.get(b), pending.get(b)) for b in branch_ids}


def versions_in_use(*, branch_ids: Iterable[int]) -> set[str]:
    """The versions active now in these branches."""
    return {branch.version for branch in branch_rulesets(branch_ids=branch_ids).values()}


def activation_list(*, caller: Caller) -> QuerySet[RulesetActivation]:
    """The activations of the branches where the caller may read rulesets' governance."""
    activations = RulesetActivation.objects.select_related("branch", "activated_by")
    return _latest_first(for_caller_as(activations, caller, RULESET_ROLES))
