"""The API's docs pages in a real browser: each draws the API from the project's own files and
asks no other host for anything (fonts, scripts, styles, Redoc's logo). A clinic's network
may have no internet, and a docs page should not tell a third party who reads it."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("path", "title"),
    [("/api/docs/", ".swagger-ui .title"), ("/api/redoc/", "h1")],
    ids=["swagger", "redoc"],
)
def test_a_docs_page_renders_from_the_project_alone(page, live_server, path, title):
    # Every request the browser sends to the network passes here (one its page's policy
    # blocks, such as Redoc's logo, never does): the project's go on, any other is recorded
    # and goes nowhere.
    elsewhere: list[str] = []

    def only_the_project(route) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_project)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}{path}")

    # Redoc draws the page only once it has parsed the whole schema, which takes seconds
    # on a busy 2-core machine: wait for it as a reader would, not for the default 5 s.
    expect(page.locator(title).first).to_contain_text("Clinic triage API", timeout=30_000)
    page.wait_for_load_state("networkidle")
    assert elsewhere == [], elsewhere
    assert errors == [], errors
