"""A QuestionnaireResponse to the intake questionnaire: read into the REST API's intake body,
and written back from a stored intake.

Reading does not judge the answers: it only takes each one out of its FHIR wrapping (a
`valueCoding`'s code, a `valueInteger`'s number) and refuses what has no place in an intake
(an unknown linkId, a second answer to a single item, an answer of the wrong value type). The
REST API's own validation then judges the body, and each of its errors, which name a REST field
(`answers.pain_score`), is reported at the element it came from (`QuestionnaireResponse.item[1]
.answer[0]`): `paths` maps one to the other.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fhir_r4.errors import FhirError, Issue
from fhir_r4.resources_base import reference, validated
from fhir_r4.resources_questionnaire import QUESTIONNAIRE_URL, link_id
from fhir_r4.resources_terminology import answer_system
from triage.models import Intake
from triage.questionnaire import ANSWER_QUESTIONS, QUESTIONNAIRE_VERSION, Question

ROOT = "QuestionnaireResponse"
# What an answer of each kind of item is.
VALUE_ELEMENT = {
    "integer": "valueInteger",
    "boolean": "valueBoolean",
    "choice": "valueCoding",
    "multi_choice": "valueCoding",
}
# The patient fields of an intake, and the elements of the contained Patient that hold them.
PATIENT_ELEMENTS = {
    "external_id": "identifier[0].value",
    "date_of_birth": "birthDate",
    "sex": "gender",
}
# The elements a contained Patient may have: we keep no more of a patient than an intake does.
PATIENT_ALLOWED = {"resourceType", "id", "meta", "identifier", "birthDate", "gender"}
# Elements a reader must understand or refuse (FHIR's rule for modifiers).
MODIFIERS = ("modifierExtension", "implicitRules")
# A FHIR element name, which an issue may repeat.
ELEMENT_NAME = re.compile(r"[a-z][A-Za-z0-9]{0,63}")
# The security label of a resource with some content left out for the reader's role.
REDACTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "REDACTED",
    "display": "redacted",
}


@dataclass
class ParsedResponse:
    """The REST API's intake body, and for each of its fields the element it came from."""

    body: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def refuse(self, expression: str, message: str, code: str = "invalid") -> None:
        self.issues.append(Issue(code, message, expression))


_MISSING = object()


def parse_questionnaire_response(data: Any) -> ParsedResponse:
    """The intake body a QuestionnaireResponse holds; FhirError (400) naming every element
    that cannot be read into one."""
    if not isinstance(data, dict) or data.get("resourceType") != ROOT:
        raise FhirError(400, [Issue("invalid", "The body must be a QuestionnaireResponse.")])
    parsed = ParsedResponse(paths={"answers": ROOT, "patient": f"{ROOT}.subject"})
    for name in MODIFIERS:
        if name in data:
            parsed.refuse(f"{ROOT}.{name}", "This service does not support this element.",
                          "not-supported")  # fmt: skip
    questionnaire = data.get("questionnaire")
    if questionnaire is not None and questionnaire not in (
        QUESTIONNAIRE_URL,
        f"{QUESTIONNAIRE_URL}|{QUESTIONNAIRE_VERSION}",
    ):
        parsed.refuse(f"{ROOT}.questionnaire", f"Answer the questionnaire {QUESTIONNAIRE_URL} "
                      f"(version {QUESTIONNAIRE_VERSION}).")  # fmt: skip
    if "status" not in data:
        parsed.refuse(f"{ROOT}.status", "The status is required.", "required")
    elif data["status"] != "completed":
        parsed.refuse(f"{ROOT}.status", "Only a completed response can be stored.")
    _read_patient(data, parsed)
    answers = _read_items(data.get("item", _MISSING), ANSWER_QUESTIONS, None, ROOT, parsed)
    parsed.body["answers"] = answers
    if not parsed.issues:
        _check_resource(data, parsed)  # the elements not read: valid FHIR all the same
    if parsed.issues:
        raise FhirError(400, parsed.issues)
    return parsed


def _read_patient(data: dict, parsed: ParsedResponse) -> None:
    subject = data.get("subject")
    if subject is None:
        parsed.refuse(f"{ROOT}.subject", "The patient is required: a contained Patient, "
                      "referenced as the subject.", "required")  # fmt: skip
        return
    target = subject.get("reference") if isinstance(subject, dict) else None
    if not isinstance(target, str) or not target.startswith("#"):
        parsed.refuse(f"{ROOT}.subject", "The subject must reference the contained Patient "
                      "(`#` and its id).")  # fmt: skip
        return
    contained = data.get("contained")
    if not isinstance(contained, list):
        parsed.refuse(f"{ROOT}.contained", "The patient must be a contained Patient.", "required")
        return
    index = None
    for position, resource in enumerate(contained):
        if not isinstance(resource, dict) or resource.get("resourceType") != "Patient":
            parsed.refuse(f"{ROOT}.contained[{position}]", "Only the patient may be contained.")
        elif resource.get("id") == target[1:] and index is None:
            index = position
    if index is None:
        parsed.refuse(f"{ROOT}.subject", "The subject names no contained Patient.")
        return
    patient, path = contained[index], f"{ROOT}.contained[{index}]"
    parsed.paths["patient"] = path
    for name in patient:
        if name not in PATIENT_ALLOWED:
            where = f"{path}.{name}" if ELEMENT_NAME.fullmatch(str(name)) else path
            parsed.refuse(where, "This service keeps only a patient's identifier, birthDate and "
                          "gender: leave this element out.")  # fmt: skip
    values: dict[str, Any] = {}
    identifiers = patient.get("identifier")
    if identifiers is not None:
        first = identifiers[0] if isinstance(identifiers, list) and identifiers else None
        if not isinstance(first, dict):
            parsed.refuse(f"{path}.identifier", "The first identifier must hold the patient's "
                          "reference in your system.")  # fmt: skip
        elif "value" in first:
            values["external_id"] = first["value"]
    for name, element in (("date_of_birth", "birthDate"), ("sex", "gender")):
        if element in patient:
            values[name] = patient[element]
    for name, element in PATIENT_ELEMENTS.items():
        parsed.paths[f"patient.{name}"] = f"{path}.{element}"
    parsed.body["patient"] = values


def _read_items(
    items: Any, questions: Iterable[Question], group: Question | None, path: str,
    parsed: ParsedResponse,
) -> dict[str, Any]:  # fmt: skip
    """The answers of `items` (a list of items at `path`), by REST field name."""
    answers: dict[str, Any] = {}
    if items is _MISSING:
        return answers  # every required item is reported missing by the validation
    where = f"{path}.item"
    if not isinstance(items, list):
        parsed.refuse(where, "Must be a list of items.")
        return answers
    rest_prefix = "answers" if group is None else f"answers.{group.field}"
    by_link_id = {link_id(q, group): q for q in questions}
    for index, item in enumerate(items):
        item_path = f"{where}[{index}]"
        if not isinstance(item, dict):
            parsed.refuse(item_path, "Must be an item.")
            continue
        link = item.get("linkId")
        question = by_link_id.get(link) if isinstance(link, str) else None
        if link is None:
            parsed.refuse(f"{item_path}.linkId", "Each item needs its linkId.", "required")
            continue
        if question is None:
            parsed.refuse(f"{item_path}.linkId", _unknown_link_id(link, group))
            continue
        if question.field in answers:
            parsed.refuse(item_path, "This item is answered twice.")
            continue
        rest_field = f"{rest_prefix}.{question.field}"
        parsed.paths[rest_field] = item_path
        if question.kind == "group":
            if "answer" in item:
                parsed.refuse(f"{item_path}.answer", "A group has items, not answers.")
            answers[question.field] = _read_items(
                item.get("item", _MISSING), question.items, question, item_path, parsed
            )
            continue
        if "item" in item:
            parsed.refuse(f"{item_path}.item", "This item has no items of its own.")
        value = _read_answers(question, item.get("answer", _MISSING), item_path, rest_field,
                              parsed)  # fmt: skip
        if value is not _MISSING:
            answers[question.field] = value
    return answers


def _unknown_link_id(value: Any, group: Question | None) -> str:
    for question in ANSWER_QUESTIONS:
        for child in question.items:
            if value == link_id(child, question) and group is not question:
                return f"This item belongs in the `{question.field}` group."
    return "The questionnaire has no item with this linkId."


def _read_answers(
    question: Question, answers: Any, path: str, rest_field: str, parsed: ParsedResponse
) -> Any:
    """The REST value of an item's answers: one value, or a list for a repeating item."""
    if answers is _MISSING:
        return _MISSING  # not answered: the validation decides whether it had to be
    if not isinstance(answers, list) or not answers:
        parsed.refuse(f"{path}.answer", "Must be a list of one or more answers; leave an item "
                      "with no answer out.")  # fmt: skip
        return _MISSING
    repeats = question.kind == "multi_choice"
    if not repeats and len(answers) > 1:
        parsed.refuse(f"{path}.answer[1]", "This item takes one answer.")
        return _MISSING
    element = VALUE_ELEMENT[question.kind]
    values = []
    for index, answer in enumerate(answers):
        answer_path = f"{path}.answer[{index}]"
        parsed.paths[f"{rest_field}.{index}" if repeats else rest_field] = answer_path
        sent = [name for name in answer if str(name).startswith("value")] if isinstance(
            answer, dict) else []  # fmt: skip
        if sent != [element]:
            parsed.refuse(answer_path, f"Each answer to this item is one {element}.")
            continue
        if "item" in answer:
            parsed.refuse(f"{answer_path}.item", "This answer has no items of its own.")
        value = answer[element]
        if element == "valueCoding":
            value = _code(question, value, f"{answer_path}.{element}", parsed)
        values.append(value)
    return values if repeats else (values[0] if values else _MISSING)


def _code(question: Question, coding: Any, path: str, parsed: ParsedResponse) -> Any:
    """The code of an answer's coding: the REST API's value, judged by its validation."""
    if not isinstance(coding, dict) or "code" not in coding:
        parsed.refuse(path, "Must be a coding with a code.")
        return None
    system = coding.get("system")
    if system is not None and system != answer_system(question).url:
        parsed.refuse(
            f"{path}.system", f"The codes of this item are {answer_system(question).url}."
        )
    return coding["code"]


def _check_resource(data: dict, parsed: ParsedResponse) -> None:
    """Whatever else the response holds must be valid FHIR: the R4B model says where not."""
    # Imported here for the reason resources_base.validated imports its models late: they
    # are loaded only by a worker that serves a FHIR request.
    import pydantic
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    try:
        QuestionnaireResponse.model_validate(data)
    except pydantic.ValidationError as error:
        for problem in error.errors():
            missing = problem["type"].endswith("missing")
            message = "This element is required." if missing else (
                "This element is not valid here." )  # fmt: skip
            parsed.refuse(_fhir_path(problem["loc"]), message, "required" if missing else "invalid")
    except Exception:  # the model's own checks can fail on input it did not expect
        parsed.refuse(ROOT, "This is not a valid QuestionnaireResponse.")


def _fhir_path(loc: Iterable[Any]) -> str:
    """A model error's location as a FHIRPath, as far as it names elements."""
    path = ROOT
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(part, str) and (ELEMENT_NAME.fullmatch(part) or part == "resourceType"):
            path += f".{part}"
        else:
            break
    return path


def issues_for(errors: Iterable[Mapping[str, Any]], parsed: ParsedResponse,
               code: str | None = None) -> list[Issue]:  # fmt: skip
    """The REST API's errors (flattened: field, code, message) at the elements they came from.
    An answer that is missing is reported at the list it is missing from, naming its linkId."""
    issues = []
    for error in errors:
        rest_field = error["field"]
        issue_code = code or ("required" if error["code"] == "required" else "invalid")
        if rest_field in parsed.paths:
            issues.append(Issue(issue_code, error["message"], parsed.paths[rest_field]))
            continue
        parent = rest_field.rpartition(".")[0]
        while parent and parent not in parsed.paths:
            parent = parent.rpartition(".")[0]
        where = parsed.paths.get(parent, ROOT)
        message = error["message"]
        if error["code"] == "required" and rest_field.startswith("answers."):
            name = rest_field.removeprefix("answers.")
            message = f"The item `{name}` is required and has no answer."
        issues.append(Issue(issue_code, message, where))
    return issues


# Writing ----------------------------------------------------------------------------------


def _answer(question: Question, value: Any) -> dict[str, Any]:
    if question.kind in ("choice", "multi_choice"):
        return {"valueCoding": answer_system(question).coding(value)}
    return {VALUE_ELEMENT[question.kind]: value}


def _items(questions: Iterable[Question], answers: Mapping[str, Any],
           group: Question | None = None) -> list[dict[str, Any]]:  # fmt: skip
    items = []
    for question in questions:
        value = answers.get(question.field)
        if value is None or value == []:
            continue  # left out, as an empty optional list is
        item: dict[str, Any] = {"linkId": link_id(question, group), "text": question.text}
        if question.kind == "group":
            item["item"] = _items(question.items, value, question)
        elif question.kind == "multi_choice":
            item["answer"] = [_answer(question, each) for each in value]
        else:
            item["answer"] = [_answer(question, value)]
        items.append(item)
    return items


def redacted(resource: dict[str, Any]) -> dict[str, Any]:
    """A stored response without its answers, labelled so."""
    kept = {name: value for name, value in resource.items() if name != "item"}
    return validated({**kept, "meta": {**kept.get("meta", {}), "security": [REDACTED]}})


def questionnaire_response_resource(intake: Intake, *, with_answers: bool) -> dict[str, Any]:
    """The stored intake as the response it was. Without the answers (`with_answers` False:
    the reader may not see them, minimum necessary) it is labelled REDACTED."""
    resource: dict[str, Any] = {"resourceType": ROOT, "id": str(intake.id)}
    if not with_answers:
        resource["meta"] = {"security": [REDACTED]}
    resource.update(
        {
            "questionnaire": f"{QUESTIONNAIRE_URL}|{intake.questionnaire_version}",
            "status": "completed",
            "subject": reference("Patient", intake.patient_id),
            "authored": intake.submitted_at,
        }
    )
    if with_answers:
        resource["item"] = _items(ANSWER_QUESTIONS, intake.answers)
    return validated(resource)
