from typing import Any

from rest_framework.test import APIClient

INTAKES = "/api/v1/intakes/"
EVALUATE = "/api/v1/triage/evaluate/"


def post_json(client: APIClient, url: str, body: Any, **extra: Any):
    return client.post(url, body, format="json", **extra)


def error_fields(response) -> set[str]:
    """The fields an error response names."""
    return {error["field"] for error in response.json()["errors"]}
