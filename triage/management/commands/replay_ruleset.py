"""Replay a ruleset version over a branch's stored intakes from the command line: the same
replay as POST /api/v1/rulesets/{version}/replays/, run here, part by part, with a progress
bar, then its summary. A replay started here names no person (`command-line`), so any safety
officer of the branch may activate with it.

    python manage.py replay_ruleset --ruleset 2026.2 --branch north [--json summary.json]
"""

import json
import sys
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from clinic.errors import NotFound
from clinic.models import Branch
from triage import replays
from triage.models import Replay

BAR_WIDTH = 30


def _moment(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    moment = parse_datetime(value)
    if moment is None or moment.tzinfo is None:
        raise CommandError(f"{option} must be an ISO 8601 date and time with its offset.")
    return moment


class Command(BaseCommand):
    help = "Replay a ruleset version over a branch's stored intakes and print the summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ruleset", required=True, help="The candidate version, e.g. 2026.2")
        parser.add_argument("--branch", required=True, help="The branch's slug")
        parser.add_argument("--submitted-after", help="Only intakes submitted at or after this")
        parser.add_argument("--submitted-before", help="Only intakes submitted before this")
        parser.add_argument("--json", help="Also write the summary (the API's keys) to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        branch = Branch.objects.filter(slug=options["branch"]).first()
        if branch is None:
            raise CommandError(f"No branch has the slug {options['branch']!r}.")
        try:
            replay = replays.replay_start_command(
                branch=branch,
                version=options["ruleset"],
                submitted_after=_moment(options["submitted_after"], "--submitted-after"),
                submitted_before=_moment(options["submitted_before"], "--submitted-before"),
            )
        except NotFound:
            raise CommandError(f"The engine holds no ruleset {options['ruleset']!r}.") from None
        parts = replays.replay_plan(replay.id)
        replay.refresh_from_db()
        self._bar(0, replay.total)
        for number in parts:
            replays.replay_run_part(replay.id, number)
            replay.refresh_from_db()
            self._bar(replay.processed, replay.total)
        self.stderr.write("")
        if replay.status != Replay.Status.DONE or replay.summary is None:
            raise CommandError(f"The replay {replay.id} is {replay.status}, not done.")
        summary = replay.summary
        self.stdout.write(f"Replay {replay.id} of {replay.version} on {branch.slug}: done")
        for name in replays.COUNTS:
            self.stdout.write(f"  {name:<14} {summary[name]:>10,}")
        self.stdout.write("  matrix (stored → candidate):")
        for row in summary["matrix"]:
            self.stdout.write(f"    {row['from']:<28} → {row['to']:<28} {row['count']:>10,}")
        if options["json"]:
            with open(options["json"], "w") as out:
                json.dump(summary, out, indent=2)
                out.write("\n")

    def _bar(self, done: int, total: int) -> None:
        share = done / total if total else 1.0
        filled = round(share * BAR_WIDTH)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.stderr.write(f"\r[{bar}] {share:6.1%} {done:,}/{total:,} intakes", ending="")
        sys.stderr.flush()
