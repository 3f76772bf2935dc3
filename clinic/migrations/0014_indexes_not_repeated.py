"""Indexes that repeat the start of another index go: each insert into these tables wrote
them, and no query needs them (the longer index serves every lookup by their column).

- `clinic_event.branch_id`: `event_branch_cursor` (branch_id, id) serves it;
- `clinic_webhookdelivery.endpoint_id`: `webhook_delivery_log` (endpoint_id, id) serves it.

Only the indexes are dropped (the same statement on PostgreSQL and SQLite): an AlterField
would rebuild the tables on SQLite, and with them their triggers.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = (
    ("clinic_event_branch_id_1bdfcef7", "clinic_event", "branch_id"),
    ("clinic_webhookdelivery_endpoint_id_61b4bf99", "clinic_webhookdelivery", "endpoint_id"),
)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0013_audit_indexes_not_repeated"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="event",
                    name="branch",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="clinic.branch",
                    ),
                ),
                migrations.AlterField(
                    model_name="webhookdelivery",
                    name="endpoint",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="clinic.webhookendpoint",
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
