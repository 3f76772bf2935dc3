"""Indexes that repeat the start of another index go: each insert into these tables wrote
them, and no query needs them (the longer index serves every lookup by their column).
The assessment's branch index stays: the list's count is an index-only scan of it, narrower
than assessment_branch_day (at a million intakes, one run of bench/at_scale.py each, the
superuser's unfiltered API list took 73 ms with it and 101 ms without).

- `triage_intake.branch_id`: `intake_branch_recent` (branch_id, submitted_at, id) serves it;
- `triage_intake.patient_id`: `intake_patient_recent` (patient_id, submitted_at) serves it;
- `triage_patient.branch_id`: `patient_external_id_unique_per_branch` (branch_id, external_id) serves it;
- `triage_review.branch_id`: `review_branch_day` (branch_id, created_at, overridden) serves it.

Only the indexes are dropped (the same statement on PostgreSQL and SQLite): an AlterField
would rebuild the tables on SQLite, and with them their triggers.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = (
    ("triage_intake_branch_id_0d7957df", "triage_intake", "branch_id"),
    ("triage_intake_patient_id_a4a7abf8", "triage_intake", "patient_id"),
    ("triage_patient_branch_id_9ac5ae78", "triage_patient", "branch_id"),
    ("triage_review_branch_id_13ac9dc4", "triage_review", "branch_id"),
)


class Migration(migrations.Migration):
    dependencies = [
        ("triage", "0013_decision_days"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="intake",
                    name="branch",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="intakes",
                        to="clinic.branch",
                    ),
                ),
                migrations.AlterField(
                    model_name="intake",
                    name="patient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="intakes",
                        to="triage.patient",
                    ),
                ),
                migrations.AlterField(
                    model_name="patient",
                    name="branch",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="patients",
                        to="clinic.branch",
                    ),
                ),
                migrations.AlterField(
                    model_name="review",
                    name="branch",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="clinic.branch",
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
