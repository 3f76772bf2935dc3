"""Patient requests: export everything held about a patient; redact their identifiers."""

import json

import pytest
from django.core.management import CommandError, call_command

from clinic.models import AuditEvent, IdempotencyRecord
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body
from triage.models import Assessment, Intake, Patient


@pytest.fixture
def patient_with_history(api):
    first = post_json(api, INTAKES, intake_body(external_id="SAR-1", trauma="major"),
                      HTTP_IDEMPOTENCY_KEY="sar-key-1").json()  # fmt: skip
    post_json(api, f"/api/v1/referrals/{first['referral']['id']}/transitions/", {"to": "sent"})
    post_json(api, INTAKES, intake_body(external_id="SAR-1"))
    post_json(api, INTAKES, intake_body(external_id="SOMEONE-ELSE"))
    return first


def _export(patient_id: str, tmp_path) -> dict:
    path = tmp_path / "export.json"
    call_command("export_patient", "--patient-id", patient_id, "--output", str(path))
    return json.loads(path.read_text())


def test_export_holds_everything_about_the_patient_and_nobody_else(patient_with_history, tmp_path):
    patient_id = patient_with_history["patient"]["id"]

    data = _export(patient_id, tmp_path)

    assert data["patient"]["external_id"] == "SAR-1"
    assert len(data["intakes"]) == 2
    assert all(intake["answers"] and intake["assessment"] for intake in data["intakes"])
    assert [h["to"] for h in data["referrals"][0]["history"]] == ["open", "sent"]
    assert {event["type"] for event in data["events"]} >= {"intake.created", "referral.opened"}
    assert data["access_log"]
    assert "SOMEONE-ELSE" not in json.dumps(data)


def test_an_export_is_itself_audited(patient_with_history, tmp_path):
    _export(patient_with_history["patient"]["id"], tmp_path)

    event = AuditEvent.objects.get(action="patient.export")
    assert [str(p.patient_id) for p in event.patients.all()] == [
        patient_with_history["patient"]["id"]
    ]


def test_redaction_removes_identifiers_and_keeps_the_clinical_record(api, patient_with_history):
    patient_id = patient_with_history["patient"]["id"]
    audit_rows = AuditEvent.objects.count()

    call_command("redact_patient", "--patient-id", patient_id, "--yes")

    patient = Patient.objects.get(pk=patient_id)
    assert patient.external_id.startswith("redacted-")
    assert patient.date_of_birth is None
    assert patient.sex == "unknown"
    assert Intake.objects.filter(patient=patient).count() == 2
    assert Assessment.objects.filter(intake__patient=patient).count() == 2
    assert AuditEvent.objects.count() == audit_rows + 1  # nothing removed, the redaction added
    assert not IdempotencyRecord.objects.filter(key="sar-key-1").exists()
    detail = api.get(f"{INTAKES}{patient_with_history['id']}/").json()
    assert detail["patient"]["external_id"] == patient.external_id
    assert detail["patient"]["date_of_birth"] is None
    assert detail["assessment"] == patient_with_history["assessment"]


def test_redaction_needs_confirmation(patient_with_history):
    with pytest.raises(CommandError, match="--yes"):
        call_command("redact_patient", "--patient-id", patient_with_history["patient"]["id"])

    assert Patient.objects.filter(external_id="SAR-1").exists()


def test_an_unknown_patient_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="No patient"):
        call_command("export_patient", "--patient-id", "00000000-0000-0000-0000-000000000000")
