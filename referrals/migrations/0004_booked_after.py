"""The wait from intake to first booking, kept on the referral, with the indexes the
dashboard's pipeline and median read instead of the table."""

from django.db import migrations, models
from django.db.models import ExpressionWrapper, F, OuterRef, Subquery


def waits_from_first_bookings(apps, schema_editor):
    Referral = apps.get_model("referrals", "Referral")
    Intake = apps.get_model("triage", "Intake")
    submitted = Intake.objects.filter(pk=OuterRef("intake_id")).values("submitted_at")[:1]
    Referral.objects.filter(first_booked_at__isnull=False).update(
        booked_after=ExpressionWrapper(
            F("first_booked_at") - Subquery(submitted), output_field=models.DurationField()
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0003_first_booked_at"),
        ("triage", "0005_assessment_branch_and_time"),
    ]

    operations = [
        migrations.AlterField(
            model_name="referral",
            name="first_booked_at",
            field=models.DateTimeField(blank=True, help_text="When it was first booked.", null=True),
        ),
        migrations.AddField(
            model_name="referral",
            name="booked_after",
            field=models.DurationField(
                blank=True, help_text="From the intake to the first booking.", null=True
            ),
        ),
        migrations.RunPython(waits_from_first_bookings, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                fields=["branch", "created_at"], include=("status",), name="referral_branch_status"
            ),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                condition=models.Q(("booked_after__isnull", False)),
                fields=["branch", "created_at"],
                include=("booked_after",),
                name="referral_booked_after",
            ),
        ),
    ]
