from typing import Any

from rest_framework.test import APIClient

INTAKES = "/api/v1/intakes/"
EVALUATE = "/api/v1/triage/evaluate/"


def post_json(client: APIClient, url: str, body: Any, **extra: Any):
    return client.post(url, body, format="json", **extra)


def error_fields(response) -> set[str]:
    """The fields an error response names."""
    return {error["field"] for error in response.json()["errors"]}


def vignette_body(vignette: dict) -> dict:
    """The intake a reception system would post for a worked example of the vignettes."""
    from tests.conftest import date_of_birth_for_age

    return {
        "patient": {
            "external_id": f"VIG-{vignette['id']}",
            "date_of_birth": date_of_birth_for_age(vignette["age"]),
            "sex": vignette["sex"],
        },
        "answers": vignette["answers"],
    }


def vignette_outcome(decision: dict) -> dict:
    """A decision in the shape of a vignette's `expected` (the fields both rulesets have)."""
    return {
        "disposition": decision["disposition"],
        "urgency": decision["urgency"],
        "service": decision["service"],
        "rules": [reason["rule_id"] for reason in decision["reasons"]],
        "startback": decision["startback"],
    }
