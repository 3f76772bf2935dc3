"""The admin for triage: intakes read as a clinician reads them, the review action, patients,
and ruleset activations. Importing the package registers them."""

from triage.admin.intakes import IntakeAdmin
from triage.admin.patients import PatientAdmin
from triage.admin.rulesets import ReplayAdmin, RulesetActivationAdmin

__all__ = ["IntakeAdmin", "PatientAdmin", "ReplayAdmin", "RulesetActivationAdmin"]
