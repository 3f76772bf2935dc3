"""The intake questionnaire (triage.questionnaire) as a FHIR Questionnaire.

Each item's linkId is the answer's field name in the REST API; a group's items are named
`<group>.<field>` (`startback.leg_pain`). Choices are `choice` items whose answerOptions are
codings of our answer code systems, with code = the REST API's value; an optional list is a
repeating `choice` item. The patient-facing help of each item stays in the REST questionnaire
(GET /api/v1/questionnaire/): FHIR carries help as extra `display` items, whose linkIds would
not be answer fields.
"""

from typing import Any

from fhir_r4.resources_base import validated
from fhir_r4.resources_terminology import CANONICAL_BASE, PUBLISHER, answer_system
from triage.questionnaire import ANSWER_QUESTIONS, QUESTIONNAIRE_VERSION, Question

QUESTIONNAIRE_ID = "back-pain-intake"
QUESTIONNAIRE_URL = f"{CANONICAL_BASE}/Questionnaire/{QUESTIONNAIRE_ID}"

# FHIR's own extensions for an integer item's bounds.
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"

_TYPES = {
    "integer": "integer",
    "boolean": "boolean",
    "choice": "choice",
    "multi_choice": "choice",
    "group": "group",
}


def link_id(question: Question, group: Question | None = None) -> str:
    return question.field if group is None else f"{group.field}.{question.field}"


def _item(question: Question, group: Question | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"linkId": link_id(question, group)}
    if question.minimum is not None:
        item["extension"] = [
            {"url": MIN_VALUE, "valueInteger": question.minimum},
            {"url": MAX_VALUE, "valueInteger": question.maximum},
        ]
    item.update({"text": question.text, "type": _TYPES[question.kind]})
    item["required"] = question.required
    if question.kind == "multi_choice":
        item["repeats"] = True
    if question.choices:
        system = answer_system(question)
        item["answerOption"] = [{"valueCoding": system.coding(value)} for value in question.values]
    if question.items:
        item["item"] = [_item(child, question) for child in question.items]
    return item


def questionnaire_resource() -> dict[str, Any]:
    return validated(
        {
            "resourceType": "Questionnaire",
            "id": QUESTIONNAIRE_ID,
            "url": QUESTIONNAIRE_URL,
            "version": QUESTIONNAIRE_VERSION,
            "name": "BackPainIntake",
            "title": "Back pain intake",
            "status": "active",
            "subjectType": ["Patient"],
            "publisher": PUBLISHER,
            "description": "The intake questionnaire of back-pain triage. Answer it for a "
            "patient and POST the QuestionnaireResponse, with the patient as a contained "
            "Patient, to store an intake and get its decision.",
            "item": [_item(question) for question in ANSWER_QUESTIONS],
        }
    )
