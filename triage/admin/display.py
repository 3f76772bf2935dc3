"""How the admin shows an intake to a person: answers as question and answer, decisions in
words. Display only; nothing here decides anything."""

from typing import Any

from clinic.choices import code_words
from triage.engine import UnknownRuleset, ruleset
from triage.engine import vocabulary as v
from triage.questionnaire import ANSWER_QUESTIONS, Question

YES_NO = {True: "Yes", False: "No"}


def _answer_words(question: Question, value: Any) -> str:
    labels = dict(question.choices)
    if value is None or value == []:
        return "—"
    if isinstance(value, bool):
        return YES_NO[value]
    if isinstance(value, list):
        return ", ".join(labels.get(item, str(item)) for item in value)
    return labels.get(value, str(value))


def answers_in_words(answers: dict[str, Any]) -> list[dict[str, Any]]:
    """Each question in questionnaire order with the answer given, red-flag items marked."""
    rows = []
    for question in ANSWER_QUESTIONS:
        if question.kind == "group":
            group = answers.get(question.field) or {}
            rows.extend(
                {"question": item.text, "answer": _answer_words(item, group.get(item.field)),
                 "red_flag": False}
                for item in question.items
            )  # fmt: skip
            continue
        value = answers.get(question.field)
        rows.append({
            "question": question.text,
            "answer": _answer_words(question, value),
            "red_flag": question.red_flag and value in ("yes", "unknown"),
        })  # fmt: skip
    return rows


def words(value: str) -> str:
    """A coded value as a person reads it: medical_referral → Medical referral."""
    return v.IMAGING_LABELS.get(value) or code_words(value)


def deciding_reason(assessment: Any, reasons: list[dict[str, Any]] | None = None) -> dict | None:
    """The reason whose rule set the assessment's outcome: the first listed rule reaching the
    decision's disposition and urgency (docs/rules.md, "How a decision is made"). `reasons`:
    the decision's, when they were read without the rest of it."""
    if reasons is None:
        reasons = assessment.decision.get("reasons") or []
    try:
        rules = ruleset(assessment.ruleset_version)
    except UnknownRuleset:
        return reasons[0] if reasons else None
    for reason in reasons:
        try:
            rule = rules.rule(reason["rule_id"])
        except KeyError:
            continue
        if (rule.disposition, rule.urgency) == (assessment.disposition, assessment.urgency):
            return reason
    return reasons[0] if reasons else None


def red_flag_words(flag: dict[str, Any]) -> str:
    """One red flag as the worklist and the review page say it."""
    status = "present" if flag.get("status") == "present" else "not answered: ask the patient"
    return f"{flag['label']}: {status}"
