"""The clinical specification (docs/clinical/SPEC-2026.1.md and SPEC-2026.2.md) as test data.

The vocabularies (fields, choices, item and advice codes) are read from the documents
themselves; the rules are transcribed from them by hand below. Nothing here comes from the
engine, so the tests compare the engine against the documents rather than against itself.
"""

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from tests.clinical_contract import spec_text

VERSIONS = ("2026.1", "2026.2")
RULESET_VERSION = "2026.1"  # the version a caller gets without naming one

_SPEC = spec_text("2026.1")
_CHANGES = spec_text("2026.2")


def _codes(text: str) -> tuple[str, ...]:
    """The `code` words of a piece of the documents, in order."""
    return tuple(re.findall(r"`(\w+)`", text))


def _part(text: str, start: str, end: str) -> str:
    """The text from the first `start` to the next `end` after it."""
    return text.split(start, 1)[1].split(end, 1)[0]


def _table(text: str) -> dict[str, list[str]]:
    """A markdown table whose first cells are `fields`: field -> the other cells."""
    rows = re.findall(r"^\| `(\w+)` \| (.*) \|$", text, re.MULTILINE)
    return {field: cells.split(" | ") for field, cells in rows}


def _range(cell: str) -> tuple[int, int]:
    low, high = re.fullmatch(r"int (\d+)\u2013(\d+)", cell).groups()  # type: ignore[union-attr]
    return int(low), int(high)


# SPEC §1: outcomes. Dispositions and urgencies are ordered lowest to highest.
_OUTCOMES = _table(_part(_SPEC, "## 1.", "## 2."))
DISPOSITIONS = _codes(_part(_SPEC, "Disposition order, lowest to highest:", "\n"))
URGENCIES = _codes(_part(_SPEC, "Urgency order:", "."))
SERVICES = _codes(_OUTCOMES["service"][0])
IMAGING = _codes(_OUTCOMES["imaging"][0].split("(")[0])
RISKS = _codes(_OUTCOMES["startback"][0].split("with risk")[1])
RED_FLAG_LEVELS = _codes(_part(_OUTCOMES["red_flags"][0], "level (", ")"))

# SPEC §2: intake answers, by the type the table gives each field.
_INTAKE = _part(_SPEC, "## 2.", "## 3.")
_FIELDS = _table(_INTAKE)
BOOLEAN_FIELDS = tuple(field for field, (kind, _) in _FIELDS.items() if kind == "bool")
RED_FLAG_ANSWERS = _codes(_part(_INTAKE, "Red-flag items take", "(the patient"))
RED_FLAG_ITEMS = tuple(field for field, (kind, _) in _FIELDS.items() if kind == "red flag")
LEG_WEAKNESS = _codes(_FIELDS["leg_weakness"][0])  # ordered: each step is a worse finding
TRAUMA = _codes(_FIELDS["trauma"][0])
TRAUMA_SEVERITY = _codes(_part(_CHANGES, "`trauma` goes", ","))  # C5: ordered, worse each step
TRIGGERS = _codes(_FIELDS["suspected_triggers"][1].split("(")[0])
INFLAMMATORY_FEATURES = _codes(_FIELDS["inflammatory_features"][1])
PAIN_DURATION_RANGE = _range(_FIELDS["pain_duration_days"][0])
PAIN_SCORE_RANGE = _range(_FIELDS["pain_score"][0])
PRIOR_EPISODES_RANGE = _range(_FIELDS["prior_episodes_12m"][0])

# STarT Back: items 1-8 (true when the patient agrees), then item 9.
STARTBACK_ITEMS = tuple(re.findall(r"\b[1-8] `(\w+)`", _INTAKE))
STARTBACK_PHYSICAL_ITEMS = STARTBACK_ITEMS[:4]  # items 1-4
STARTBACK_PSYCHOSOCIAL_ITEMS = STARTBACK_ITEMS[4:]  # items 5-8 (item 9 is bothersomeness)
BOTHERSOMENESS = _codes(_part(_INTAKE, "9 `bothersomeness`:", "\n"))
BOTHERSOME = _codes(_part(_SPEC, "Item 9 scores 1 only for", "\n"))  # item 9 scores 1 for these

# SPEC §4: the items some rules name.
_RULES = _part(_SPEC, "## 4.", "## 5.")
CAUDA_EQUINA_ITEMS = _codes(_part(_RULES, "**E1 cauda equina**:", " is `yes`"))
# U5: the emergency- and urgent-level items whose `unknown` asks for a clinician call-back.
CALLBACK_ITEMS = _codes(_part(_RULES, "any emergency- or urgent-level item above (", ")"))
WEAK_FLAG_ITEMS = tuple(re.findall(r"`(\w+)` is `yes` or `unknown`", _RULES))
# SPEC-2026.2 C5: the symptom booleans whose false -> true never lowers the outcome.
MONOTONIC_BOOLEANS = _codes(_part(_CHANGES, "a symptom boolean (", ")"))
# SPEC-2026.2 C2: the risk factors whose `yes` is a weak flag too.
RISK_FACTOR_WEAK_FLAGS = tuple(
    re.findall(r"^- `(\w+)` is `yes`", _part(_CHANGES, "gains two:", "They"), re.MULTILINE)
)

# SPEC §4: the rule table, in order of evaluation, with the outcome each rule reaches and the
# services / imaging it may set when it is the deciding rule, read group by group. Where the
# SPEC names no investigation for a rule the expectation is `none` (NICE NG59 1.1.4: no routine
# imaging, and only the listed rules recommend one); it names no service for the step-ups,
# which send a patient to `physiotherapy` (SPEC §1).
MR, PT, HC = "medical_referral", "physiotherapy", "home_care"


class RuleSpec(NamedTuple):
    disposition: str
    urgency: str
    services: frozenset[str]
    imaging: frozenset[str]

    @property
    def outcome(self) -> tuple[str, str]:
        return self.disposition, self.urgency


def _rule_table(rules: str) -> dict[str, RuleSpec]:
    table = {}
    for group in rules.split("\n### ")[1:]:
        heading, *lines = group.splitlines()
        # The group's outcome and service, where its heading states them.
        outcome = _codes(heading)
        for line in lines:
            found = re.match(r"- \*\*([EURSP]\d)\b(.*)", line)
            if not found:
                continue
            rule_id, text = found.groups()
            services = re.findall(r"[Ss]ervice `(\w+)`", text) or outcome[2:] or [PT]
            imaging = re.findall(r"[Ii]maging `(\w+)`", text) or ["none"]
            if rule_id.startswith("S"):  # "STarT `high`: `physiotherapy`, service ..."
                disposition, urgency = _codes(text)[1], "routine"
            elif rule_id.startswith("P"):  # "they raise `home_care` to `physiotherapy`"
                disposition, urgency = outcome[-1], "routine"
            else:
                disposition, urgency = outcome[:2]
            table[rule_id] = RuleSpec(disposition, urgency, frozenset(services), frozenset(imaging))
    return table


RULE_TABLE = _rule_table(_RULES)
RULE_IDS = tuple(RULE_TABLE)
STRATIFIED_RULES = ("S1", "S2", "S3")

# SPEC-2026.2 C1: the urgent rules in a new order; the others keep theirs.
_URGENT_ORDER_2026_2 = tuple(re.findall(r"U\d", _part(_CHANGES, "in the order **", "**")))
RULE_ORDER = {
    "2026.1": RULE_IDS,
    "2026.2": tuple(
        rule_id
        for group in ("E", "U", "R", "S", "P")
        for rule_id in (_URGENT_ORDER_2026_2 if group == "U" else RULE_IDS)
        if rule_id.startswith(group)
    ),
}

# SPEC §6: advice codes, in order; the safety-net items are given always.
_ADVICE = _part(_SPEC, "## 6.", "## 7.")
ADVICE_CODES = tuple(re.findall(r"^- `(\w+)`", _ADVICE, re.MULTILINE))
SAFETY_NET = tuple(re.findall(r"^- `(\w+)` \(always\)", _ADVICE, re.MULTILINE))


class WatchSpec(NamedTuple):
    """A row of SPEC-2026.2 C4's table."""

    finding: str
    changed_from: tuple[Any, ...]
    to: Any


def _answer(code: str) -> Any:
    return {"true": True, "false": False}.get(code, code)


# SPEC-2026.2 C4: the findings watch_for tries, in the table's order.
WATCH_FOR_TABLE = tuple(
    WatchSpec(finding, tuple(_answer(code) for code in _codes(changed_from)), _answer(to))
    for finding, changed_from, to in re.findall(
        r"^\| \d \| `(\w+)` \| (.*) \| `(\w+)` \|$", _CHANGES, re.MULTILINE
    )
)

DAYS_PER_YEAR = 365.25


def rank(disposition: str, urgency: str) -> tuple[int, int]:
    """SPEC §1: disposition first, then urgency, each lowest to highest."""
    return DISPOSITIONS.index(disposition), URGENCIES.index(urgency)


def decision_rank(decision: Any) -> tuple[int, int]:
    return rank(decision.disposition, decision.urgency)


def startback_scores(items: Mapping[str, Any]) -> tuple[int, int, str]:
    """SPEC §3: (total, psychosocial, risk) for the nine STarT Back items."""
    item9 = 1 if items["bothersomeness"] in BOTHERSOME else 0
    total = sum(1 for name in STARTBACK_ITEMS if items[name]) + item9
    psychosocial = sum(1 for name in STARTBACK_PSYCHOSOCIAL_ITEMS if items[name]) + item9
    # SPEC §3 in its own order: low, then medium, then high (which needs total >= 4 anyway).
    risk = "low" if total <= 3 else ("medium" if psychosocial <= 3 else "high")
    return total, psychosocial, risk


def onset_age(answers: Mapping[str, Any], age: int) -> float:
    """R2 (and 2026.2's C3, C6): age at onset = age minus the duration in fractional years."""
    return age - answers["pain_duration_days"] / DAYS_PER_YEAR


def inflammatory_feature_count(answers: Mapping[str, Any], age: int) -> int:
    """R2: the listed inflammatory features plus "onset before 35"."""
    features = len(set(answers.get("inflammatory_features") or ()))
    return features + (1 if onset_age(answers, age) < 35 else 0)


def weak_flag_count(answers: Mapping[str, Any], age: int, version: str = "2026.1") -> int:
    """R4's weak flags; `unknown` night or thoracic pain is never taken as `no`. 2026.2 also
    counts onset before 20 (C3) and a `yes` to either risk factor (C2)."""
    new_onset = age < 20 or age >= 50
    if version == "2026.2":
        new_onset = new_onset or onset_age(answers, age) < 20
    flags = 1 if answers["first_ever_episode"] and new_onset else 0
    flags += sum(1 for item in WEAK_FLAG_ITEMS if answers[item] != "no")
    if answers["pain_duration_days"] >= 28 and answers["self_care_not_helping"]:
        flags += 1
    if version == "2026.2":
        flags += sum(1 for item in RISK_FACTOR_WEAK_FLAGS if answers[item] == "yes")
    return flags


def expected_rule_ids(
    answers: Mapping[str, Any], age: int, version: str = "2026.1"
) -> tuple[str, ...]:
    """Every rule of SPEC §4 whose condition holds, in the version's order."""
    a = answers

    def yes(item: str) -> bool:
        return a[item] == "yes"

    days = a["pain_duration_days"]
    weakness = a["leg_weakness"]
    bilateral = a["bilateral_leg_symptoms"]
    minor_trauma = a["trauma"] == "minor"
    risk = startback_scores(a["startback"])[2]
    e3 = yes("fever") and yes("immunosuppression_or_iv_drug_use")
    holds = {
        "E1": any(yes(item) for item in CAUDA_EQUINA_ITEMS),
        "E2": bilateral and (weakness == "progressive" or days <= 42),
        "E3": e3,
        "E4": yes("cancer_history") and (weakness != "none" or a["leg_numbness"] or bilateral),
        "E5": a["trauma"] == "major",
        "U1": weakness == "progressive",
        "U2": (yes("osteoporosis_or_steroids") and (minor_trauma or a["first_ever_episode"]))
        or (minor_trauma and age >= 70),
        "U3": yes("cancer_history") or yes("unexplained_weight_loss"),
        "U4": yes("fever") and not e3,
        "U5": any(a[item] == "unknown" for item in CALLBACK_ITEMS),
        "R1": a["completed_physiotherapy"] and days > 42,
        "R2": days > 90 and onset_age(a, age) < 45 and inflammatory_feature_count(a, age) >= 3,
        "R3": bilateral and days > 42 and weakness != "progressive",
        "R4": weak_flag_count(a, age, version) >= 2,
        "R5": age < 16,
        "S1": risk == "high",
        "S2": risk == "medium",
        "S3": risk == "low",
        "P1": days > 42,
        "P2": a["prior_episodes_12m"] >= 3,
    }
    return tuple(rule_id for rule_id in RULE_ORDER[version] if holds[rule_id])


def expected_service_and_imaging(rule_id: str, answers: Mapping[str, Any], age: int) -> tuple:
    """What the deciding rule sets (SPEC §4), for the rules whose choice depends on answers."""
    if rule_id == "R1":
        if answers["radiation_below_knee"]:
            return "spinal_specialist", "mri_lumbar"
        return "pain_service", "none"
    if rule_id == "R2":
        exactly_three = inflammatory_feature_count(answers, age) == 3
        return ("gp" if exactly_three else "rheumatology"), "none"
    entry = RULE_TABLE[rule_id]
    (service,) = entry.services
    (imaging,) = entry.imaging
    return service, imaging


def expected_outcome(
    answers: Mapping[str, Any], age: int, version: str = "2026.1"
) -> tuple[str, str, str, str]:
    """(disposition, urgency, service, imaging): the highest outcome of the rules that hold;
    the first rule in the version's order reaching it sets service and imaging."""
    fired = expected_rule_ids(answers, age, version)
    best = max(fired, key=lambda rule_id: rank(*RULE_TABLE[rule_id].outcome))
    # max() returns the first maximal item, which is the first in the version's order.
    disposition, urgency = RULE_TABLE[best].outcome
    return (disposition, urgency, *expected_service_and_imaging(best, answers, age))


def expected_watch_for(answers: Mapping[str, Any], age: int) -> tuple[tuple[str, str], ...]:
    """SPEC-2026.2 C4: (finding, urgency) for each finding of the table that, added on its own,
    raises the urgency; highest urgency first, then in the table's order."""
    urgency = URGENCIES.index(expected_outcome(answers, age, "2026.2")[1])
    raised = []
    for row in WATCH_FOR_TABLE:
        if answers[row.finding] not in row.changed_from:
            continue
        changed = {**answers, row.finding: row.to}
        changed_urgency = URGENCIES.index(expected_outcome(changed, age, "2026.2")[1])
        if changed_urgency > urgency:
            raised.append((row.finding, URGENCIES[changed_urgency]))
    return tuple(sorted(raised, key=lambda entry: -URGENCIES.index(entry[1])))
