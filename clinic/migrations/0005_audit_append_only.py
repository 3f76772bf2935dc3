"""On PostgreSQL the database itself refuses to change or remove audit rows.

TRUNCATE is not covered by row triggers; in production the application's database role should
not own these tables or hold TRUNCATE on them (docs/operators.md).
"""

from django.db import migrations

TABLES = ("clinic_auditevent", "clinic_auditpatient")

FUNCTION = """
CREATE OR REPLACE FUNCTION clinic_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only (%% on %%)', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite: the models refuse updates and deletes instead
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION clinic_audit_append_only()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS clinic_audit_append_only()")


class Migration(migrations.Migration):
    dependencies = [("clinic", "0004_audit_trail")]
    operations = [migrations.RunPython(forwards, backwards)]
