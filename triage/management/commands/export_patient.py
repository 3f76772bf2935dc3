import getpass
import json
import uuid

from django.core.management.base import BaseCommand, CommandError

from triage.models import Patient
from triage.patient_records import patient_export


class Command(BaseCommand):
    help = "Export everything held about one patient as JSON (a subject access request)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--patient-id", required=True, type=uuid.UUID)
        parser.add_argument("--output", help="Write to this file instead of standard output.")

    def handle(self, *args, patient_id: uuid.UUID, output: str | None, **options) -> None:
        try:
            data = patient_export(patient_id=patient_id, actor=f"command:{getpass.getuser()}")
        except Patient.DoesNotExist as exc:
            raise CommandError("No patient has that id.") from exc
        text = json.dumps(data, indent=2)
        if output:
            with open(output, "w") as handle:
                handle.write(text)
        else:
            self.stdout.write(text)
