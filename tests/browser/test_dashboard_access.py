"""A clinician signs in, reaches the dashboard from the admin index and sees their branch's
worklist, and nothing of another branch's patients anywhere they can go."""

import re

import pytest
from playwright.sync_api import expect

from referrals.models import Referral
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def _assert_no_south_patient(page, clinic, where: str) -> None:
    html = page.content()
    for reference in clinic.south:
        assert reference not in html, f"{where} shows {reference}, a patient of branch south"
    assert "S-HIDDEN" not in page.inner_text("body"), where


def _referral_ids(branch_slug: str) -> list[str]:
    referrals = Referral.objects.filter(branch__slug=branch_slug)
    return [str(pk) for pk in referrals.values_list("pk", flat=True)]


def test_a_clinician_signs_in_reaches_the_dashboard_and_sees_only_their_branch(
    page, live_server, clinic
):
    sign_in(page, live_server, clinic.username, clinic.password)
    expect(page).to_have_url(f"{live_server.url}/admin/dashboard/")  # a clinician lands here
    page.goto(f"{live_server.url}/admin/")

    page.get_by_role("link", name=re.compile(r"^Open the triage dashboard")).click()

    expect(page).to_have_url(f"{live_server.url}/admin/dashboard/")
    expect(page.get_by_role("heading", name="Needs a person now")).to_be_visible()
    worklist = page.locator("table.worklist")
    expect(worklist.get_by_role("link", name=clinic.emergency).first).to_be_visible()
    expect(worklist.get_by_role("link", name=clinic.callback).first).to_be_visible()
    _assert_no_south_patient(page, clinic, "the dashboard")

    north_referrals, south_referrals = _referral_ids("north"), _referral_ids("south")
    north_intakes = [clinic.intake_ids[r] for r in (clinic.emergency, clinic.callback, clinic.home)]
    south_intakes = [clinic.intake_ids[r] for r in clinic.south]
    assert north_referrals and south_referrals

    for title, url, ours, theirs in [
        ("the intake list", "/admin/triage/intake/", north_intakes, south_intakes),
        ("the referral list", "/admin/referrals/referral/", north_referrals, south_referrals),
    ]:
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 200, f"{title}: HTTP {response.status}"
        results = page.locator("#result_list")
        expect(results, f"{title} lists the clinician's own records").to_be_visible()
        html = page.content()
        for pk in ours:
            assert pk in html, f"{title} does not list {pk} of the clinician's branch"
        for pk in theirs:
            assert pk not in html, f"{title} lists {pk}, a record of branch south"
        _assert_no_south_patient(page, clinic, title)

        # Searching by the other branch's patient reference finds nothing either (the term
        # itself stays in the search box and the filter links, so only the results count).
        page.fill("#searchbar", clinic.south[0])
        page.locator("#changelist-search [type=submit]").click()
        expect(page.locator("#searchbar")).to_have_value(clinic.south[0])
        expect(page.locator("#result_list tbody tr")).to_have_count(0)
        expect(page.locator("#changelist-form")).not_to_contain_text("S-HIDDEN")

    # Typing the address of a south intake does not show it.
    for reference in clinic.south:
        response = page.goto(
            f"{live_server.url}/admin/triage/intake/{clinic.intake_ids[reference]}/change/"
        )
        if response.status != 404:
            expect(page).to_have_url(f"{live_server.url}/admin/")
            expect(page.locator(".messagelist")).to_contain_text(re.compile(r"doesn.t exist"))
        expect(page.locator("#decision")).to_have_count(0)
        _assert_no_south_patient(page, clinic, f"the change page of {reference}'s intake")
