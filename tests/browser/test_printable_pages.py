"""The printable pages in a real browser, under their Content-Security-Policy: the policy is
there, and it lets the page do what it is for: its style applies, and its Print button prints.
Nothing the page does is refused by the policy."""

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from clinic.services import api_key_create
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body

pytestmark = pytest.mark.browser


@pytest.fixture
def desk_key(db) -> str:
    return api_key_create(branch_slug="north", name="desk")[1]


def _stored(key: str) -> dict:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    response = post_json(client, INTAKES, intake_body(fever="yes"))  # opens a referral
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.parametrize("page_name", ["care plan", "referral letter"])
def test_a_printable_page_is_styled_and_prints_under_its_policy(
    page, live_server, desk_key, page_name
):
    intake = _stored(desk_key)
    path = (
        f"{INTAKES}{intake['id']}/care-plan/print/"
        if page_name == "care plan"
        else f"/api/v1/referrals/{intake['referral']['id']}/letter/"
    )
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script("window.print = () => { window.printed = true; };")
    page.set_extra_http_headers({"Authorization": f"Api-Key {desk_key}"})

    response = page.goto(f"{live_server.url}{path}")

    assert "default-src 'none'" in response.headers["content-security-policy"]
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Georgia" in font  # the page's own style applies
    page.get_by_role("button", name="Print").click()
    expect(page.locator("body")).to_be_visible()
    assert page.evaluate("window.printed === true")
    assert refused == [], refused
