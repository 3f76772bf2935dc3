"""A replay's report: the page a safety officer files in the safety case (HTML, or its PDF)."""

from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from clinic.printable import printable
from triage.engine import ruleset
from triage.models import Replay
from triage.replays import COUNT_WORDS, progress
from triage.rulesets import outcome_rank, under_triage_classes


def _classes(summary: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The matrix's changed pairs, by class: under-triage first (each needs an
    acknowledgement before activation), then over-triage."""
    under = [
        {"from": b, "to": a, "count": n} for b, a, n in under_triage_classes(summary["matrix"])
    ]
    over = [row for row in summary["matrix"] if outcome_rank(row["to"]) > outcome_rank(row["from"])]
    return {"under": under, "over": over}


def replay_report(replay: Replay, *, pdf: bool) -> HttpResponse:
    candidate = ruleset(replay.version)
    summary = replay.summary if replay.status == Replay.Status.DONE else None
    context = {
        "replay": replay,
        "candidate": candidate,
        "progress_percent": round(progress(replay) * 100),
        "summary": summary,
        "counts": [(words, summary[name]) for name, words in COUNT_WORDS] if summary else [],
        "classes": _classes(summary) if summary else None,
        "printed_at": timezone.now(),
    }
    return printable("triage/replay_report.html", context, pdf=pdf, filename="replay-report")
