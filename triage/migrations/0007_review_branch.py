"""Reviews carry a copy of their intake's branch (which never changes), so the dashboard
counts a branch's reviews from one index without joining intakes."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_from_intakes(apps, schema_editor):
    Review = apps.get_model("triage", "Review")
    Intake = apps.get_model("triage", "Intake")
    intake = Intake.objects.filter(pk=OuterRef("intake_id"))
    Review.objects.update(branch_id=Subquery(intake.values("branch_id")[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0005_audit_append_only"),
        ("triage", "0006_intake_branch_recent_with_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="review",
            name="branch",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="clinic.branch",
            ),
        ),
        migrations.RunPython(copy_from_intakes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="review",
            name="branch",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="clinic.branch"
            ),
        ),
        migrations.AddIndex(
            model_name="review",
            index=models.Index(
                fields=["branch", "created_at"], include=("overridden",), name="review_branch_day"
            ),
        ),
    ]
