"""Django's `flush`, able to empty the audit tables on SQLite too.

On PostgreSQL a flush is a TRUNCATE, which the audit tables' row triggers (migration 0005) do
not see. On SQLite it is a DELETE per table, which their append-only triggers (0006) refuse, so
the test runner could not empty the database between transactional tests. Emptying the whole
database is an operator's deliberate act, not the application rewriting its trail: here the
SQLite triggers are dropped and created again around the flush, in one transaction, so no other
connection ever sees the trail unguarded and a failed flush leaves them in place.
"""

from typing import Any

from django.core.management.commands import flush
from django.db import connections, transaction

AUDIT_TABLES = ("clinic_auditevent", "clinic_auditpatient")


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        database = options["database"]
        connection = connections[database]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        if options["interactive"]:
            # Asked here, before the transaction below takes SQLite's write lock.
            confirm = input(
                f"You have requested a flush of the database {connection.settings_dict['NAME']}."
                "\nThis will IRREVERSIBLY DESTROY all data in it, the audit trail included."
                "\nType 'yes' to continue, or 'no' to cancel: "
            )
            if confirm != "yes":
                self.stdout.write("Flush cancelled.")
                return None
        with transaction.atomic(using=database), connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'trigger' AND tbl_name IN (%s, %s)",
                AUDIT_TABLES,
            )
            triggers = cursor.fetchall()
            for name, _ in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
            super().handle(**{**options, "interactive": False})
            for _, sql in triggers:
                cursor.execute(sql)
        return None
