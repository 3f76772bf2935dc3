"""Indexes that repeat the start of another index go: each insert into these tables wrote
them, and no query needs them (the longer index serves every lookup by their column).

- `referrals_referral.branch_id`: `referral_branch_recent` (branch_id, created_at) serves it.

Only the indexes are dropped (the same statement on PostgreSQL and SQLite): an AlterField
would rebuild the tables on SQLite, and with them their triggers.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = (
    ("referrals_referral_branch_id_ef0da508", "referrals_referral", "branch_id"),
)


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0007_dashboard_figures_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="referral",
                    name="branch",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="referrals",
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
