"""On SQLite too, the database itself refuses to change or remove audit rows (0005 did this for
PostgreSQL, whose triggers stay as they are).

SQLite has no TRUNCATE, so `manage.py flush` (which the test runner uses to empty the database
between transactional tests) deletes rows instead: clinic's own `flush` command lifts these
triggers for the length of the flush and puts them back, as PostgreSQL's TRUNCATE passes its
row triggers by. A later migration that rebuilds one of these tables on SQLite (an AlterField,
say: SQLite copies the table and drops the old one, triggers and all) must create them again.
"""

from django.db import migrations

TABLES = ("clinic_auditevent", "clinic_auditpatient")
OPERATIONS = ("UPDATE", "DELETE")


def _name(table: str, operation: str) -> str:
    return f"{table}_append_only_{operation.lower()}"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return  # PostgreSQL: 0005
    for table in TABLES:
        for operation in OPERATIONS:
            schema_editor.execute(
                f"CREATE TRIGGER {_name(table, operation)} BEFORE {operation} ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
            )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in TABLES:
        for operation in OPERATIONS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {_name(table, operation)}")


class Migration(migrations.Migration):
    dependencies = [("clinic", "0005_audit_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
