from typing import Any

from rest_framework.test import APIClient

WEBHOOKS = "/api/v1/webhooks/"
ALL_TYPES = ["intake.created", "assessment.created", "review.created", "referral.opened",
             "referral.transitioned", "referral.amended", "ruleset.activated"]  # fmt: skip


def subscribe(client: APIClient, url: str, event_types: list[str] | None = None) -> dict[str, Any]:
    response = client.post(
        WEBHOOKS, {"url": url, "event_types": event_types or ALL_TYPES}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()
