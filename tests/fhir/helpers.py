"""A FHIR client's view of the service: requests as such a client sends them, answers to the
Questionnaire built from the Questionnaire it reads, and every resource checked against the
fhir.resources R4B models."""

import json
from collections.abc import Mapping
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from rest_framework.test import APIClient

from tests.conftest import date_of_birth_for_age

R4 = "/fhir/R4"
FHIR_JSON = "application/fhir+json"


def valid_resource(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource, after checking it against its R4B model (raises if it is not valid)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def fhir_get(client: APIClient, path: str, **extra: Any):
    return client.get(f"{R4}/{path}", HTTP_ACCEPT=FHIR_JSON, **extra)


def fhir_post(client: APIClient, path: str, body: Any, **extra: Any):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.generic(
        "POST", f"{R4}/{path}", data, content_type=FHIR_JSON, HTTP_ACCEPT=FHIR_JSON, **extra
    )


def resource_of(response, resource_type: str | None = None) -> dict[str, Any]:
    """The response's body: a valid FHIR resource, of `resource_type` if named."""
    assert response["Content-Type"].startswith(FHIR_JSON), response["Content-Type"]
    resource = valid_resource(response.json())
    if resource_type is not None:
        assert resource["resourceType"] == resource_type, resource
    return resource


def issues(response) -> list[tuple[str, str | None]]:
    """(code, expression or location) of each issue of an OperationOutcome response."""
    outcome = resource_of(response, "OperationOutcome")
    return [
        (issue["code"], (issue.get("expression") or issue.get("location") or [None])[0])
        for issue in outcome["issue"]
    ]


# Answering the Questionnaire -------------------------------------------------------------


def _answers_for(item: Mapping[str, Any], value: Any) -> list[dict[str, Any]]:
    """The answers to one item for a value, in the item's own type and answerOptions."""
    values = value if item.get("repeats") else [value]
    if item["type"] == "integer":
        return [{"valueInteger": each} for each in values]
    if item["type"] == "boolean":
        return [{"valueBoolean": each} for each in values]
    assert item["type"] == "choice", item
    options = {
        option["valueCoding"]["code"]: option["valueCoding"] for option in item["answerOption"]
    }
    return [{"valueCoding": options[each]} for each in values]


def _answered_items(items: list[Mapping[str, Any]], answers: Mapping[str, Any]) -> list[dict]:
    answered = []
    for item in items:
        name = item["linkId"].rpartition(".")[2]  # a group's items: `<group>.<field>`
        value = answers.get(name)
        if value is None or value == []:
            continue  # an optional item left out
        if item["type"] == "group":
            answered.append(
                {"linkId": item["linkId"], "item": _answered_items(item["item"], value)}
            )
        else:
            answered.append({"linkId": item["linkId"], "answer": _answers_for(item, value)})
    return answered


def questionnaire_response(
    questionnaire: Mapping[str, Any],
    answers: Mapping[str, Any],
    *,
    external_id: str = "MRN-0001",
    age: int = 40,
    sex: str = "female",
) -> dict[str, Any]:
    """A completed response to the Questionnaire as read, the patient a contained Patient."""
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{questionnaire['url']}|{questionnaire['version']}",
        "status": "completed",
        "contained": [
            {
                "resourceType": "Patient",
                "id": "patient",
                "identifier": [{"value": external_id}],
                "birthDate": date_of_birth_for_age(age),
                "gender": sex,
            }
        ],
        "subject": {"reference": "#patient"},
        "item": _answered_items(questionnaire["item"], answers),
    }


def read_questionnaire(client: APIClient) -> dict[str, Any]:
    response = fhir_get(client, "Questionnaire/back-pain-intake")
    assert response.status_code == 200, response.content
    return resource_of(response, "Questionnaire")


def item_index(resource: Mapping[str, Any], link_id: str) -> int:
    return next(i for i, item in enumerate(resource["item"]) if item["linkId"] == link_id)


def predictions(risk_assessment: Mapping[str, Any], system_id: str) -> list[str]:
    """The codes of the predictions coded in one of our code systems (`disposition`...)."""
    suffix = f"/CodeSystem/{system_id}"
    return [
        coding["code"]
        for prediction in risk_assessment["prediction"]
        for coding in prediction["outcome"].get("coding", [])
        if coding["system"].endswith(suffix)
    ]
