"""When a referral was first booked, kept on the referral for the dashboard's median wait;
plus indexes for the cross-branch list and the overdue worklist."""

from django.db import migrations, models
from django.db.models import Min, OuterRef, Subquery


def first_bookings_from_history(apps, schema_editor):
    Referral = apps.get_model("referrals", "Referral")
    History = apps.get_model("referrals", "ReferralHistory")
    first = (
        History.objects.filter(referral_id=OuterRef("pk"), to_status="booked")
        .values("referral_id")
        .annotate(at=Min("at"))
        .values("at")[:1]
    )
    Referral.objects.update(first_booked_at=Subquery(first))


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0002_imaging_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="first_booked_at",
            field=models.DateTimeField(
                blank=True, help_text="When it was first booked (the dashboard's wait).", null=True
            ),
        ),
        migrations.RunPython(first_bookings_from_history, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(fields=["-created_at", "-id"], name="referral_recent"),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                condition=models.Q(("status__in", ("open", "sent", "accepted"))),
                fields=["due_by"],
                name="referral_awaiting_due",
            ),
        ),
    ]
