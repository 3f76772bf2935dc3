"""A clinician (not a superuser) works the worklist in Chromium: signs in, lands on the
dashboard, moves a referral, sees it leave the list and appear in its history; a colleague in
another browser moves the same referral first and the clinician is told it changed meanwhile;
axe-core finds no serious or critical violation on the dashboard, the worklist or the review
form. Each test leaves its screenshots (see conftest), and prints their paths."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from referrals.models import Referral
from tests.browser.conftest import (
    TIMEOUT_MS,
    VIEWPORT,
    _file_name,
    _save,
    make_staff,
    screenshot_dir,
    sign_in,
)

pytestmark = pytest.mark.browser

SERIOUS = ("serious", "critical")


def _shot(page, request, suffix: str) -> None:
    _save(page, screenshot_dir() / f"{_file_name(request.node.name)}-{suffix}.png")


def _row(page, reference: str):
    return page.locator("#worklist-live tr", has=page.get_by_role("link", name=reference))


def test_a_clinician_lands_on_the_dashboard_and_moves_a_referral_from_the_worklist(
    page, live_server, clinic, request
):
    assert not get_user_model().objects.get(username=clinic.username).is_superuser

    sign_in(page, live_server, clinic.username, clinic.password)

    expect(page).to_have_url(f"{live_server.url}/admin/dashboard/")
    row = _row(page, clinic.emergency)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(re.compile(r"due in 3 h \d+ min"))
    expect(row).to_contain_text("age 40")
    _shot(page, request, "before")

    row.get_by_role("button", name=f"Mark sent for {clinic.emergency}").click()
    page.wait_for_load_state()

    expect(page.locator(".messagelist")).to_contain_text(
        f"Patient {clinic.emergency}'s referral is now sent."
    )
    expect(_row(page, clinic.emergency)).to_have_count(0)
    _shot(page, request, "after-move")

    referral = Referral.objects.get(intake_id=clinic.intake_ids[clinic.emergency])
    assert referral.status == "sent"
    page.goto(f"{live_server.url}/admin/referrals/referral/{referral.pk}/change/")
    history = page.locator("#history-group")
    expect(history).to_contain_text("user:dr.north")
    expect(history.locator("tr", has_text="user:dr.north").last).to_contain_text("Sent")
    _shot(page, request, "history")


def test_a_referral_moved_in_another_browser_first_is_said_to_have_changed_meanwhile(
    page, browser, live_server, clinic, request
):
    sign_in(page, live_server, clinic.username, clinic.password)
    expect(_row(page, clinic.emergency)).to_have_count(1)  # drawn at version 1

    make_staff("dr.colleague", "north", "clinician")
    other = browser.new_context(viewport=VIEWPORT)
    other.set_default_timeout(TIMEOUT_MS)
    try:
        colleague = other.new_page()
        sign_in(colleague, live_server, "dr.colleague")
        _row(colleague, clinic.emergency).get_by_role(
            "button", name=f"Mark sent for {clinic.emergency}"
        ).click()
        colleague.wait_for_load_state()
        expect(colleague.locator(".messagelist")).to_contain_text("is now sent")
    finally:
        other.close()

    _row(page, clinic.emergency).get_by_role(
        "button", name=f"Mark sent for {clinic.emergency}"
    ).click()
    page.wait_for_load_state()

    expect(page.locator(".messagelist")).to_contain_text("changed meanwhile: it is now sent")
    expect(_row(page, clinic.emergency)).to_have_count(0)
    _shot(page, request, "changed-meanwhile")
    referral = Referral.objects.get(intake_id=clinic.intake_ids[clinic.emergency])
    assert (referral.status, referral.version) == ("sent", 2)
    assert referral.history.filter(to_status="sent").count() == 1


def test_cancelling_from_the_worklist_asks_for_a_note(clinician_page, live_server, clinic):
    page = clinician_page
    row = _row(page, clinic.callback)
    row.get_by_text("Cancel…").first.click()
    note = row.get_by_label("Why cancel (kept in the history)")
    expect(note).to_be_visible()
    row.get_by_role("button", name=f"Cancel referral of {clinic.callback}").click()
    # The browser itself refuses an empty note (required): nothing was sent.
    expect(page).to_have_url(f"{live_server.url}/admin/dashboard/")
    assert Referral.objects.get(intake_id=clinic.intake_ids[clinic.callback]).status == "open"

    note.fill("Patient phoned back: seen by their GP")
    row.get_by_role("button", name=f"Cancel referral of {clinic.callback}").click()
    page.wait_for_load_state()

    expect(page.locator(".messagelist")).to_contain_text("is now cancelled")
    assert Referral.objects.get(intake_id=clinic.intake_ids[clinic.callback]).status == (
        "cancelled"
    )


def test_the_worklist_refresh_waits_while_a_note_is_being_typed(clinician_page, clinic):
    page = clinician_page
    page.wait_for_function("() => window.htmx && window.worklistIdle")
    assert page.evaluate("worklistIdle()") is True

    row = _row(page, clinic.callback)
    row.get_by_text("Cancel…").first.click()
    row.get_by_label("Why cancel (kept in the history)").fill("half a thought")

    assert page.evaluate("worklistIdle()") is False


def test_the_worklist_refreshes_itself_keeping_the_scroll_position(
    clinician_page, live_server, clinic
):
    page = clinician_page
    page.wait_for_function("() => window.htmx && window.worklistIdle")
    page.set_viewport_size({"width": 1280, "height": 400})
    page.evaluate("window.scrollTo(0, 300)")
    before = page.evaluate("window.scrollY")

    # What the minute's timer does, asked for now rather than waited for.
    with page.expect_response(re.compile(r"/admin/dashboard/")) as refreshed:
        page.evaluate(
            "htmx.ajax('GET', document.querySelector('#worklist-live').getAttribute('hx-get'),"
            " {target: '#worklist-live', swap: 'outerHTML'})"
        )
    assert refreshed.value.request.headers.get("hx-request") == "true"
    expect(_row(page, clinic.emergency)).to_have_count(1)
    assert page.evaluate("window.scrollY") == before


def _assert_no_serious_violations(page, where: str, context=None) -> None:
    results = Axe().run(page, context=context)
    serious = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    assert not serious, f"{where}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in serious
    )


def test_axe_finds_no_serious_violation_on_the_dashboard_worklist_and_review_form(
    clinician_page, live_server, clinic, request
):
    page = clinician_page
    expect(page).to_have_url(f"{live_server.url}/admin/dashboard/")
    _assert_no_serious_violations(page, "the dashboard")
    _assert_no_serious_violations(page, "the worklist", context="#worklist-live")
    _shot(page, request, "dashboard")

    page.goto(f"{live_server.url}/admin/triage/intake/{clinic.intake_ids[clinic.callback]}/review/")
    expect(page.locator("#review-form")).to_be_visible()
    # Focus starts on the form, and the keyboard can leave it (no trap).
    assert page.evaluate("document.activeElement.name") == "reason"
    for _ in range(6):
        page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('#review-form')") is False
    _assert_no_serious_violations(page, "the review form")
    _shot(page, request, "review-form")


def test_confirm_as_decided_is_one_click_in_the_browser(clinician_page, live_server, clinic):
    page = clinician_page
    page.goto(f"{live_server.url}/admin/triage/intake/{clinic.intake_ids[clinic.callback]}/review/")

    page.get_by_role("button", name="Confirm as decided").click()
    page.wait_for_load_state()

    expect(page.locator(".messagelist")).to_contain_text("Review saved.")
