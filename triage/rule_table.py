"""The clinicians' rule tables (docs/rules.md), written from the engine's own rulesets."""

from collections.abc import Iterable

from triage.engine import RULESETS, Ruleset

HEADER = """# Triage rules

This file is generated from the engine's rulesets by `python manage.py rule_table` and a test
fails if it drifts from the code. The engine holds every ruleset below side by side, and a
decision names the version it was made under. `GET /api/v1/rules/` serves the table of the
version a branch runs now, and `GET /api/v1/rulesets/{version}/rules/` that of any version.

How a decision is made: every rule whose condition holds is listed in the decision's `reasons`,
in the ruleset's order. The outcome is the highest disposition (`home_care` < `physiotherapy` <
`medical_referral`), then the highest urgency (`routine` < `urgent` < `emergency`), over all
listed rules; when several reach that outcome, the first of them sets `service` and `imaging`.
No rule lowers another's outcome. An `unknown` red-flag answer never counts as `no`. Age is whole
years on the intake date.
"""

RULES_HEADER = """
| id | rule | condition | disposition / urgency | service | imaging | source |
|---|---|---|---|---|---|---|
"""

WATCH_FOR_HEADER = """
Every decision carries `watch_for`: each finding below that the patient does not have (their
answer is one of "changed from") and that, added on its own, would raise the decision's urgency,
with that urgency and words for the patient; highest urgency first, then in this order. An
`emergency` decision has none.

| finding | changed from | to |
|---|---|---|
"""

ADVICE_HEADER = """
Every decision carries `safety_net_emergency` and `safety_net_review`. A `home_care` decision
carries the whole self-care plan; `physiotherapy` also carries `keep_active`; a medical
referral carries no exercise advice before a clinician has seen the patient. `pain_relief` is
given whenever the pain score is 7 or more, `hydration` for a spasm or the dehydration trigger,
`posture` for the posture or lifting triggers, and `stress` for the stress trigger.

| code | text |
|---|---|
"""


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|")


def _table(header: str, rows: Iterable[Iterable[object]]) -> str:
    return header + "".join("| " + " | ".join(map(_cell, row)) + " |\n" for row in rows)


def _answer(value: object) -> str:
    return f"`{str(value).lower() if isinstance(value, bool) else value}`"


def _ruleset_markdown(ruleset: Ruleset, before: Ruleset | None) -> str:
    parts = [f"\n## Ruleset {ruleset.version} (released {ruleset.released.isoformat()})\n"]
    if before is None:
        parts.append("\nThe first ruleset.\n")
    else:
        parts.append(f"\nRuleset {before.version} with these changes:\n")
        parts.append(
            _table(
                "\n| change | what and why | hazards | rules |\n|---|---|---|---|\n",
                (
                    (c.id, c.summary, ", ".join(c.hazards) or "-", ", ".join(c.rules) or "-")
                    for c in ruleset.changes
                ),
            )
        )
    parts.append(f"\n### Rules of {ruleset.version}, in order of evaluation\n")
    rows = (
        (r.id, r.title, r.condition, f"{r.disposition} / {r.urgency}", ", ".join(r.services),
         ", ".join(r.imaging), r.source)
        for r in ruleset.rules
    )  # fmt: skip
    parts.append(_table(RULES_HEADER, rows))
    if ruleset.watch_for is not None:
        parts.append(f"\n### watch_for in {ruleset.version}\n")
        rows = (
            (f"`{w.finding}`", " or ".join(map(_answer, w.changed_from)), _answer(w.to))
            for w in ruleset.watch_for
        )
        parts.append(_table(WATCH_FOR_HEADER, rows))
    parts.append(f"\n### Hazard log of {ruleset.version}\n")
    hazards = ((h.id, h.hazard, ", ".join(h.controlled_by)) for h in ruleset.hazards)
    parts.append(_table("\n| id | hazard | controlled by |\n|---|---|---|\n", hazards))
    return "".join(parts)


def rule_table_markdown() -> str:
    versions = list(RULESETS.values())
    sections = [
        _ruleset_markdown(ruleset, versions[i - 1] if i else None)
        for i, ruleset in enumerate(versions)
    ]
    # Rulesets that share their advice share one section.
    plans: dict[int, list[Ruleset]] = {}
    for ruleset in versions:
        plans.setdefault(id(ruleset.advice), []).append(ruleset)
    for sharing in plans.values():
        names = " and ".join(ruleset.version for ruleset in sharing)
        items = ((f"`{item.code}`", item.text) for item in sharing[0].advice.items.values())
        sections.append(f"\n## Advice ({names})\n" + _table(ADVICE_HEADER, items))
    return HEADER + "".join(sections)
