"""The clinical triage engine: plain Python, no Django. Answers and age in, a decision out.

from triage.engine import evaluate
decision = evaluate(answers, age=42)                      # ruleset 2026.1 (RULESET_VERSION)
decision = evaluate(answers, age=42, ruleset="2026.2")    # any version in RULESETS
"""

from .advice import ADVICE, Advice, AdvicePlan
from .decision import Decision, Reason
from .red_flags import RedFlag
from .rules import RULES, Check, Firing, Rule, Words
from .ruleset import Change, Graded, Hazard, Ruleset
from .rulesets import LATEST, RULESETS, UnknownRuleset, advice_for, evaluate, ruleset
from .startback import StartBack, score_startback
from .vocabulary import RULESET_VERSION
from .watch_for import WatchFinding, WatchFor
from .weak_flags import WeakFlag

__all__ = [
    "ADVICE",
    "LATEST",
    "RULES",
    "RULESETS",
    "RULESET_VERSION",
    "Advice",
    "AdvicePlan",
    "Change",
    "Check",
    "Decision",
    "Firing",
    "Graded",
    "Hazard",
    "Reason",
    "RedFlag",
    "Rule",
    "Ruleset",
    "StartBack",
    "UnknownRuleset",
    "WatchFinding",
    "WatchFor",
    "WeakFlag",
    "Words",
    "advice_for",
    "evaluate",
    "ruleset",
    "score_startback",
]
