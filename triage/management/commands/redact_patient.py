import getpass
import uuid

from django.core.management.base import BaseCommand, CommandError

from triage.models import Patient
from triage.patient_records import patient_redact


class Command(BaseCommand):
    help = (
        "Redact a patient's identifiers (reference, date of birth, sex) while keeping the "
        "anonymised clinical and audit records. Cannot be undone."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--patient-id", required=True, type=uuid.UUID)
        parser.add_argument("--yes", action="store_true", help="Confirm: this cannot be undone.")

    def handle(self, *args, patient_id: uuid.UUID, yes: bool, **options) -> None:
        if not yes:
            raise CommandError("Redaction cannot be undone: add --yes to confirm.")
        try:
            patient = patient_redact(patient_id=patient_id, actor=f"command:{getpass.getuser()}")
        except Patient.DoesNotExist as exc:
            raise CommandError("No patient has that id.") from exc
        self.stdout.write(f"Redacted patient {patient.id}.")
