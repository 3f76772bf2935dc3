"""The clinical triage engine: plain Python, no Django. Answers and age in, a decision out.

from triage.engine import evaluate
decision = evaluate(answers, age=42)
"""

from .advice import ADVICE, Advice
from .decision import Decision, Reason, advice_for, evaluate
from .red_flags import RedFlag
from .rules import RULES, Rule
from .startback import StartBack, score_startback
from .vocabulary import RULESET_VERSION

__all__ = [
    "ADVICE",
    "RULES",
    "RULESET_VERSION",
    "Advice",
    "Decision",
    "Reason",
    "RedFlag",
    "Rule",
    "StartBack",
    "advice_for",
    "evaluate",
    "score_startback",
]
