"""The front desk's papers in a real browser (issue 15 §3): a signed link opens the page, or
downloads the PDF, with no credentials; axe-core finds no serious or critical violation on the
care plan or the letter. Each page is opened as the front desk would, by its signed link, and
left as a screenshot (tests/browser/conftest.py)."""

import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from pypdf import PdfReader
from rest_framework.test import APIClient

from clinic.models import Branch
from clinic.services import api_key_create
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body

pytestmark = pytest.mark.browser

REFERENCE = "N-PAPER-3001"
SERIOUS = {"serious", "critical"}


@pytest.fixture
def desk(live_server) -> APIClient:
    """The north branch's reception system, with the branch's contact details filled in."""
    key = api_key_create(branch_slug="north", name="desk")[1]
    Branch.objects.filter(slug="north").update(
        address="12 Harbour Street\nNorthtown NT1 2AB",
        phone="01234 567890",
        email="spine@north.example",
        contact_person="Sam Okafor, triage lead",
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def emergency(desk) -> dict:
    """An emergency (saddle numbness) that a physiotherapy rule also holds for."""
    body = intake_body(external_id=REFERENCE, saddle_numbness="yes", pain_duration_days=60)
    response = post_json(desk, INTAKES, body)
    assert response.status_code == 201, response.content
    return response.json()


def link(desk: APIClient, live_server, path: str) -> dict:
    response = desk.post(path, {}, format="json", SERVER_NAME="testserver")
    assert response.status_code == 201, response.content
    made = response.json()
    # The API builds the URL from the request's host; the browser reaches the live server.
    return {name: made[name].replace("http://testserver", live_server.url)
            for name in ("url", "pdf_url")}  # fmt: skip


def care_plan_link(desk, live_server, intake) -> dict:
    return link(desk, live_server, f"{INTAKES}{intake['id']}/care-plan/links/")


def letter_link(desk, live_server, intake) -> dict:
    return link(desk, live_server, f"/api/v1/referrals/{intake['referral']['id']}/letter/links/")


def test_a_signed_link_opens_a_pdf_holding_the_patient_reference(
    page, live_server, desk, emergency
):
    urls = letter_link(desk, live_server, emergency)
    # Chromium shows a PDF in its viewer, and the navigation's response then has no body to
    # read: the browser's request is passed on as it is and its answer kept on the way back.
    answers = []

    def keep(route):
        answer = route.fetch()
        answers.append((answer.status, answer.headers, answer.body()))
        route.fulfill(response=answer)

    page.route("**/print-links/**", keep)
    response = page.goto(urls["pdf_url"])
    assert response.status == 200
    [(status, headers, body)] = answers  # one request: the link is used once
    assert status == 200
    assert headers["content-type"] == "application/pdf"
    assert headers["content-disposition"] == 'inline; filename="referral-letter.pdf"'
    assert "authorization" not in {name.lower() for name in response.request.headers}
    reader = PdfReader(io.BytesIO(body))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert REFERENCE in text
    assert "Why we are referring" in text
    page.wait_for_timeout(500)  # let the viewer draw the first page for the screenshot


def test_a_used_link_says_so_in_the_browser(page, live_server, desk, emergency):
    urls = letter_link(desk, live_server, emergency)
    assert page.goto(urls["url"]).status == 200
    response = page.goto(urls["pdf_url"])
    assert response.status == 410
    assert "used already" in page.inner_text("body")


def test_a_signed_link_opens_the_care_plan_without_credentials(page, live_server, desk, emergency):
    urls = care_plan_link(desk, live_server, emergency)
    response = page.goto(urls["url"])
    assert response.status == 200
    body = page.inner_text("body")
    assert REFERENCE in body
    assert "Emergency:" in body
    assert "01234 567890" in body


def _serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("paper", ["care plan", "letter"])
def test_axe_finds_no_serious_violation_on_the_paper(page, live_server, desk, emergency, paper):
    urls = (care_plan_link if paper == "care plan" else letter_link)(desk, live_server, emergency)
    response = page.goto(urls["url"])
    assert response.status == 200
    assert _serious_violations(page) == []
