"""Assessments carry copies of their intake's branch and time (which never change), so the
dashboard counts decisions per day from one index; plus indexes the admin lists use."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_from_intakes(apps, schema_editor):
    Assessment = apps.get_model("triage", "Assessment")
    Intake = apps.get_model("triage", "Intake")
    intake = Intake.objects.filter(pk=OuterRef("intake_id"))
    Assessment.objects.update(
        branch_id=Subquery(intake.values("branch_id")[:1]),
        submitted_at=Subquery(intake.values("submitted_at")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0005_audit_append_only"),
        ("triage", "0004_patient_redaction"),
    ]

    operations = [
        migrations.AddField(
            model_name="assessment",
            name="branch",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="clinic.branch",
            ),
        ),
        migrations.AddField(
            model_name="assessment", name="submitted_at", field=models.DateTimeField(null=True)
        ),
        migrations.RunPython(copy_from_intakes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="assessment",
            name="branch",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="clinic.branch"
            ),
        ),
        migrations.AlterField(
            model_name="assessment", name="submitted_at", field=models.DateTimeField()
        ),
        migrations.AddIndex(
            model_name="assessment",
            index=models.Index(
                fields=["branch", "submitted_at"], include=("disposition",),
                name="assessment_branch_day",
            ),
        ),
        migrations.AddIndex(
            model_name="intake",
            index=models.Index(fields=["-submitted_at", "-id"], name="intake_recent"),
        ),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(fields=["external_id"], name="patient_external_id"),
        ),
    ]
