"""The admin for triage: intakes read as a clinician reads them, the review action, and
patients. Importing the package registers both."""

from triage.admin.intakes import IntakeAdmin
from triage.admin.patients import PatientAdmin

__all__ = ["IntakeAdmin", "PatientAdmin"]
