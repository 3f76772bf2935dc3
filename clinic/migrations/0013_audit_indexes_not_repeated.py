"""Two audit indexes that repeat the start of another one go: every audited request writes
each index of these tables (a list page 25 patient rows), and no query needs them.

- `clinic_auditpatient.event_id`: `audit_patient_once` (event_id, patient_id) serves it;
- `clinic_auditevent.branch_id`: `audit_branch_recent` (branch_id, at DESC) serves it.

Only the indexes are dropped (the same statement on PostgreSQL and SQLite): an AlterField
would rebuild the tables on SQLite and lose their append-only triggers (migration 0006).
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = (
    ("clinic_auditpatient_event_id_f21bf369", "clinic_auditpatient", "event_id"),
    ("clinic_auditevent_branch_id_874751b0", "clinic_auditevent", "branch_id"),
)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0012_webhookdelivery_leased_until"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="branch",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="clinic.branch",
                    ),
                ),
                migrations.AlterField(
                    model_name="auditpatient",
                    name="event",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="patients",
                        to="clinic.auditevent",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}",
                    reverse_sql=f"CREATE INDEX {name} ON {table} ({column})",
                )
                for name, table, column in INDEXES
            ],
        ),
    ]
