"""The dashboard for people using a keyboard, a screen reader, or poor eyesight."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.page_checks import CONTRAST_JS, CONTROL_NAMES_JS

pytestmark = pytest.mark.browser

DASHBOARD = "/admin/dashboard/"
MAX_TABS = 80  # the admin's header and navigation come before the dashboard's own controls
FOCUSED_JS = """
() => {
  const el = document.activeElement;
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    text: (el.innerText || el.value || '').trim().slice(0, 40),
    inWorklist: !!el.closest('table.worklist'),
  };
}
"""
# Body text, table cells, links, headings and labels of the content area (not the header).
TEXT = "h1, h2, h3, h4, p, li, td, th, a, label, caption, span, strong, em, dt, dd, button"


def test_every_control_on_the_dashboard_has_an_accessible_name(clinician_page, live_server):
    page = clinician_page
    page.goto(f"{live_server.url}{DASHBOARD}")

    controls = page.evaluate(CONTROL_NAMES_JS, "body")

    assert any(c["control"].startswith("select#id_period") for c in controls), controls
    assert any(c["control"].startswith("button") and c["name"] == "Show" for c in controls)
    unnamed = [c["control"] for c in controls if not c["name"]]
    assert not unnamed, f"controls a screen reader cannot name: {unnamed}"
    expect(page.get_by_label("Period")).to_be_visible()  # the <label for> really points at it


def test_the_keyboard_reaches_the_filters_and_opens_a_referral(clinician_page, live_server):
    page = clinician_page
    page.goto(f"{live_server.url}{DASHBOARD}")

    visited = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_JS)
        visited.append(focused)
        if focused["inWorklist"] and focused["tag"] == "a":
            break
    order = [f"{f['tag']}#{f['id']}:{f['text']}" for f in visited]

    def first(match) -> int:
        return next((i for i, f in enumerate(visited) if match(f)), -1)

    period = first(lambda f: f["id"] == "id_period")
    show = first(lambda f: f["tag"] == "button" and f["text"] == "Show")
    link = first(lambda f: f["inWorklist"] and f["tag"] == "a")
    assert period >= 0, f"Tab never reaches the period select: {order}"
    assert show > period, f"Tab does not go on from the period to the Show button: {order}"
    assert link > show, f"Tab never reaches a worklist link after the filters: {order}"

    patient = visited[link]["text"]
    with page.expect_navigation() as navigation:
        page.keyboard.press("Enter")

    assert navigation.value.status == 200
    expect(page).to_have_url(re.compile(r"/admin/referrals/referral/[0-9a-f-]{36}/change/$"))
    expect(page.locator("#content")).to_contain_text(patient)


def test_dashboard_text_has_enough_contrast(clinician_page, live_server):
    page = clinician_page
    page.goto(f"{live_server.url}{DASHBOARD}")

    checked = page.evaluate(CONTRAST_JS, ["#content", TEXT])

    assert "error" not in checked, checked
    results = checked["results"]
    kinds = {r["where"].split(".")[0].split("#")[0] for r in results}
    assert {"h1", "h2", "h3", "td", "a", "label"} <= kinds, f"too little was checked: {kinds}"
    unjudged = [r for r in results if not r["judged"]]
    assert not unjudged, f"text whose contrast could not be computed: {unjudged}"
    too_faint = [
        f"{r['where']} {r['text']!r}: {r['colour']} on {r['background']} = {r['ratio']}:1 "
        f"(needs {r['required']}:1)"
        for r in results
        if r["ratio"] < r["required"]
    ]
    assert not too_faint, "text below the WCAG AA contrast ratio:\n" + "\n".join(too_faint)
