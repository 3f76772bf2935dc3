"""Our own code systems: every coded value the FHIR resources carry, with its canonical URL.

The canonical URLs are identifiers, the same on every deployment and never changed:
`https://clinic-triage.example.org/fhir/CodeSystem/<id>`. They need not resolve; each code
system is also served by the service itself at `/fhir/R4/CodeSystem/<id>`. The codes are the
REST API's values, so a FHIR client and a REST client read the same words.

No SNOMED CT codes: none has been checked against a SNOMED CT release, and a guessed code in a
clinical record is worse than none.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from clinic.choices import code_words
from referrals.workflow import STATUSES
from triage.engine import RULESETS
from triage.engine import vocabulary as v
from triage.questionnaire import ANSWER_QUESTIONS, QUESTIONNAIRE_VERSION, YES_NO_UNKNOWN, Question

CANONICAL_BASE = "https://clinic-triage.example.org/fhir"
PUBLISHER = "Clinic triage service"


@dataclass(frozen=True)
class Concept:
    code: str
    display: str
    definition: str = ""


@dataclass(frozen=True)
class CodeSystemDef:
    """One code system. `id` is where the service serves it; `canonical` names it (several
    versions of one code system, the rules of each ruleset, share a canonical URL)."""

    id: str
    name: str
    title: str
    description: str
    concepts: tuple[Concept, ...]
    version: str | None = None
    canonical: str | None = None  # the last part of the URL, when it is not the id

    @property
    def url(self) -> str:
        return f"{CANONICAL_BASE}/CodeSystem/{self.canonical or self.id}"

    def display(self, code: str) -> str | None:
        return next((c.display for c in self.concepts if c.code == code), None)

    def coding(self, code: str) -> dict[str, Any]:
        coding: dict[str, Any] = {"system": self.url}
        if self.version is not None:
            coding["version"] = self.version
        coding["code"] = code
        display = self.display(code)
        if display is not None:
            coding["display"] = display
        return coding

    def concept(self, code: str) -> dict[str, Any]:
        """A CodeableConcept of one coding, with its display as text."""
        coding = self.coding(code)
        return {"coding": [coding], "text": coding.get("display", code)}

    def resource(self) -> dict[str, Any]:
        version = {} if self.version is None else {"version": self.version}
        return {
            "resourceType": "CodeSystem",
            "id": self.id,
            "url": self.url,
            **version,
            "name": self.name,
            "title": self.title,
            "status": "active",
            "experimental": False,
            "publisher": PUBLISHER,
            "description": self.description,
            "caseSensitive": True,
            "content": "complete",
            "count": len(self.concepts),
            "concept": [_concept(c) for c in self.concepts],
        }


def _concept(concept: Concept) -> dict[str, str]:
    data = {"code": concept.code, "display": concept.display}
    if concept.definition:
        data["definition"] = concept.definition
    return data


def _plain(values: Iterable[str], labels: dict[str, str] | None = None) -> tuple[Concept, ...]:
    labels = labels or {}
    return tuple(Concept(value, labels.get(value, code_words(value))) for value in values)


DISPOSITION = CodeSystemDef(
    "disposition", "Disposition", "Triage disposition",
    "Where a triage decision sends the patient: home care, physiotherapy or a medical referral.",
    _plain(v.DISPOSITIONS),
)  # fmt: skip

URGENCY = CodeSystemDef(
    "urgency", "Urgency", "Triage urgency",
    "How soon the patient must be seen. Only a medical referral is urgent or an emergency.",
    (
        Concept("routine", "Routine", "To be seen within 14 days."),
        Concept("urgent", "Urgent", "To be seen within two working days."),
        Concept("emergency", "Emergency", "To be seen within hours."),
    ),
)  # fmt: skip

SERVICE = CodeSystemDef(
    "service", "Service", "Service the patient is sent to",
    "The service a triage decision or a referral names.",
    _plain(v.SERVICES, {"gp": "GP"}),
)  # fmt: skip

IMAGING = CodeSystemDef(
    "imaging", "Imaging", "Imaging recommended",
    "The imaging a medical referral recommends, if any.",
    _plain(v.IMAGING, v.IMAGING_LABELS),
)  # fmt: skip

REFERRAL_STATUS = CodeSystemDef(
    "referral-status", "ReferralStatus", "Referral status",
    "Where a referral is in its workflow: open, sent, accepted, booked, attended, not_attended, "
    "completed, declined or cancelled. A ServiceRequest's own status is coarser.",
    _plain(STATUSES),
)  # fmt: skip

RULESET = CodeSystemDef(
    "ruleset", "Ruleset", "Triage ruleset version",
    "The versions of the clinical rules the engine holds; a decision names the one it was made "
    "under.",
    tuple(
        Concept(rules.version, f"Ruleset {rules.version}", f"Released {rules.released}.")
        for rules in RULESETS.values()
    ),
)  # fmt: skip

RULES = {
    version: CodeSystemDef(
        f"rule-{version}",
        "TriageRule",
        "Triage rules",
        f"The rules of ruleset {version}; a rule's meaning is its version's, so every coding "
        "carries the version.",
        tuple(Concept(rule.id, rule.title, rule.condition) for rule in rules.rules),
        version=version,
        canonical="rule",
    )
    for version, rules in RULESETS.items()
}


def rule_system(version: str) -> CodeSystemDef:
    """The rules of one ruleset; a version the engine no longer holds still codes its rules."""
    return RULES.get(version) or CodeSystemDef(
        f"rule-{version}", "TriageRule", "Triage rules", "", (), version=version, canonical="rule"
    )


def _advice_concepts() -> tuple[Concept, ...]:
    texts: dict[str, str] = {}
    for rules in RULESETS.values():
        for code, advice in rules.advice.items.items():
            texts.setdefault(code, advice.text)
    return tuple(Concept(code, code_words(code), text) for code, text in texts.items())


ADVICE = CodeSystemDef(
    "advice", "Advice", "Self-care advice and safety-netting",
    "The advice of a care plan. Codes starting `safety_net` are safety-netting: when to seek "
    "help at once.",
    _advice_concepts(),
)  # fmt: skip


# The answers of the questionnaire's choice items: one code system per list of choices (the
# red flags share yes / no / unknown).
def _answer_system_id(question: Question) -> str:
    if question.choices == YES_NO_UNKNOWN:
        return "yes-no-unknown"
    return question.field.replace("_", "-")


def _choice_questions(questions: Iterable[Question]) -> Iterable[Question]:
    for question in questions:
        if question.choices:
            yield question
        yield from _choice_questions(question.items)


def _answer_systems() -> dict[str, CodeSystemDef]:
    systems: dict[str, CodeSystemDef] = {}
    for question in _choice_questions(ANSWER_QUESTIONS):
        system_id = _answer_system_id(question)
        systems.setdefault(
            system_id,
            CodeSystemDef(
                system_id,
                "".join(part.capitalize() for part in system_id.split("-")),
                f"Answers: {system_id.replace('-', ' ')}",
                "The answers a questionnaire item offers; each code is the REST API's value.",
                tuple(Concept(value, label) for value, label in question.choices),
                version=QUESTIONNAIRE_VERSION,
            ),
        )
    return systems


ANSWERS = _answer_systems()


def answer_system(question: Question) -> CodeSystemDef:
    return ANSWERS[_answer_system_id(question)]


CODE_SYSTEMS: dict[str, CodeSystemDef] = {
    system.id: system
    for system in (
        DISPOSITION, URGENCY, SERVICE, IMAGING, REFERRAL_STATUS, RULESET, *RULES.values(),
        ADVICE, *ANSWERS.values(),
    )
}  # fmt: skip
