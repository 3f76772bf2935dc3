"""The clinicians' rule table (docs/rules.md), written from the engine's own data."""

from triage.engine import ADVICE, RULES, RULESET_VERSION

HEADER = f"""# Triage rules (ruleset {RULESET_VERSION})

This file is generated from the engine's rule table by `python manage.py rule_table` and a test
fails if it drifts from the code. The same table is served at `GET /api/v1/rules/`.

How a decision is made: every rule whose condition holds is listed in the decision's `reasons`,
in this order. The outcome is the highest disposition (`home_care` < `physiotherapy` <
`medical_referral`), then the highest urgency (`routine` < `urgent` < `emergency`), over all
listed rules; when several reach that outcome, the first of them sets `service` and `imaging`.
No rule lowers another's outcome. An `unknown` red-flag answer never counts as `no`. Age is whole
years on the intake date.

| id | rule | condition | disposition / urgency | service | imaging | source |
|---|---|---|---|---|---|---|
"""

ADVICE_HEADER = """
## Advice

Every decision carries `safety_net_emergency` and `safety_net_review`. A `home_care` decision
carries the whole self-care plan; `physiotherapy` also carries `keep_active`; a medical
referral carries no exercise advice before a clinician has seen the patient. `pain_relief` is
given whenever the pain score is 7 or more, `hydration` for a spasm or the dehydration trigger,
`posture` for the posture or lifting triggers, and `stress` for the stress trigger.

| code | text |
|---|---|
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def rule_table_markdown() -> str:
    rows = [
        f"| {r.id} | {_cell(r.title)} | {_cell(r.condition)} | {r.disposition} / {r.urgency} "
        f"| {', '.join(r.services)} | {', '.join(r.imaging)} | {_cell(r.source)} |"
        for r in RULES
    ]
    advice = [f"| `{item.code}` | {_cell(item.text)} |" for item in ADVICE.values()]
    return HEADER + "\n".join(rows) + "\n" + ADVICE_HEADER + "\n".join(advice) + "\n"
