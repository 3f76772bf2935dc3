from datetime import timedelta

from django.core.management.base import BaseCommand

from clinic.idempotency import purge_expired


class Command(BaseCommand):
    help = "Forget Idempotency-Keys older than the retention (IDEMPOTENCY_RETENTION_HOURS)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--older-than-hours", type=int, default=None)

    def handle(self, *args, older_than_hours: int | None, **options) -> None:
        older_than = timedelta(hours=older_than_hours) if older_than_hours else None
        self.stdout.write(f"Purged {purge_expired(older_than=older_than)} idempotency records.")
