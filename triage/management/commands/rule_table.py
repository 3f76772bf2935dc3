from django.core.management.base import BaseCommand

from triage.rule_table import rule_table_markdown


class Command(BaseCommand):
    help = "Print the clinicians' rule table as Markdown (the source of docs/rules.md)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(rule_table_markdown(), ending="")
