"""A clinician opens an emergency decision, reads why, and overrides it; the referral follows.

Contract of the review page (triage/admin.py): the intake change page has <section
id="decision"> (reasons, STarT scores, red flags as .red-flag, a "Review this decision" link
to /admin/triage/intake/<id>/review/) and <section id="referral">; the review form has
labelled selects disposition, urgency, service, imaging, a textarea reason and a "Save review"
button; a missing reason shows "This field is required." and stores nothing; success returns
to the change page with "Review saved.".
"""

import re

import pytest
from playwright.sync_api import expect

from referrals.models import Referral
from tests.browser.page_checks import CONTROL_NAMES_JS
from triage.models import Assessment, Review

pytestmark = pytest.mark.browser

REASON = "Phoned the patient: a slip on the stairs, no fracture signs. Physiotherapy first."

# Is a red flag set apart from the ordinary text of the panel (colour, background, weight or a
# border)? Compared with the panel's own text.
HIGHLIGHT_JS = """
(flag) => {
  const f = getComputedStyle(flag), p = getComputedStyle(flag.closest('#decision'));
  const transparent = (c) => c === 'transparent' || /rgba\\(.*,\\s*0\\)$/.test(c);
  return {
    colour: f.color !== p.color,
    background: !transparent(f.backgroundColor) && f.backgroundColor !== p.backgroundColor,
    weight: Number(f.fontWeight) >= 600 && Number(f.fontWeight) > Number(p.fontWeight),
    border: ['Top', 'Right', 'Bottom', 'Left'].some(
      (s) => parseFloat(f['border' + s + 'Width']) > 0 && f['border' + s + 'Style'] !== 'none'),
  };
}
"""


def _terms(definitions) -> dict[str, str]:
    """A <dl> as the person reads it: each term with its definition."""
    return definitions.evaluate(
        """dl => Object.fromEntries([...dl.querySelectorAll(':scope > dt')].map((dt) => [
            dt.innerText.trim(), (dt.nextElementSibling?.innerText || '').trim()]))"""
    )


def test_a_clinician_overrides_an_emergency_decision_and_the_referral_follows(
    clinician_page, live_server, clinic
):
    page = clinician_page
    intake_id = clinic.intake_ids[clinic.emergency]
    change_url = f"{live_server.url}/admin/triage/intake/{intake_id}/change/"
    decision = Assessment.objects.get(intake_id=intake_id).decision

    # Find the patient in the intake list by their reference.
    page.goto(f"{live_server.url}/admin/triage/intake/")
    page.fill("#searchbar", clinic.emergency)
    page.locator("#changelist-search [type=submit]").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    rows.first.locator("a").first.click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(change_url)}(\?.*)?$"))

    # The decision, in plain language, with its red flags set apart.
    panel = page.locator("#decision")
    expect(panel).to_be_visible()
    for reason in decision["reasons"]:
        expect(panel).to_contain_text(reason["text"])
    expect(panel).to_contain_text("STarT")
    flags = panel.locator(".red-flag")
    expect(flags).to_have_count(len(decision["red_flags"]))
    expect(flags.first).to_be_visible()
    expect(flags.first).to_contain_text(decision["red_flags"][0]["label"])
    highlight = flags.first.evaluate(HIGHLIGHT_JS)
    assert any(highlight.values()), f"the red flag looks like the text around it: {highlight}"

    panel.get_by_role("link", name="Review this decision").click()
    expect(page).to_have_url(f"{live_server.url}/admin/triage/intake/{intake_id}/review/")

    form = page.locator("form").filter(has=page.locator("[name=reason]"))
    expect(form).to_have_count(1)
    names = {c["control"]: c["name"] for c in form.evaluate(CONTROL_NAMES_JS)}
    for field in ("disposition", "urgency", "service", "imaging", "reason"):
        labelled = [name for control, name in names.items() if f"[name={field}]" in control]
        assert labelled and all(labelled), f"the {field} field has no label: {names}"

    form.locator("select[name=disposition]").select_option("physiotherapy")
    form.locator("select[name=urgency]").select_option("routine")
    form.locator("select[name=service]").select_option("physiotherapy")
    form.locator("[name=reason]").fill("")

    # Without a reason nothing is saved and the person is told why.
    form.get_by_role("button", name="Save review").click()
    error = page.get_by_text("This field is required.")
    try:
        expect(error).to_be_visible()
    except AssertionError:
        blocked = page.locator("[name=reason]").evaluate(
            "el => el.validity.valueMissing && !(el.form && el.form.noValidate)"
        )
        raise AssertionError(
            "no 'This field is required.' on the page"
            + (
                " (the browser's own required-field check stopped the submit: the form has no"
                " novalidate, so the person only sees the browser's bubble)"
                if blocked
                else ""
            )
        ) from None
    assert Review.objects.count() == 0
    expect(page).to_have_url(f"{live_server.url}/admin/triage/intake/{intake_id}/review/")
    form = page.locator("form").filter(has=page.locator("[name=reason]"))
    expect(form.locator("select[name=disposition]")).to_have_value("physiotherapy")
    expect(form.locator("select[name=urgency]")).to_have_value("routine")
    expect(form.locator("select[name=service]")).to_have_value("physiotherapy")

    form.locator("[name=reason]").fill(REASON)
    form.get_by_role("button", name="Save review").click()

    expect(page).to_have_url(change_url)
    expect(page.locator(".messagelist")).to_contain_text("Review saved.")
    referral_panel = page.locator("#referral")
    expect(referral_panel).to_be_visible()
    shown = [_terms(dl) for dl in referral_panel.locator("dl").all()]
    assert any(
        r.get("Referral") == "Physiotherapy" and r.get("Urgency") == "Routine" for r in shown
    ), f"the referral panel does not show a routine physiotherapy referral: {shown}"
    expect(page.get_by_text(REASON).first).to_be_visible()

    review = Review.objects.get()
    assert (review.disposition, review.urgency, review.service) == (
        "physiotherapy",
        "routine",
        "physiotherapy",
    )
    assert review.overridden and review.reason == REASON
    assert review.reviewer.get_username() == clinic.username
    active = Referral.objects.filter(intake_id=intake_id).order_by("-created_at").first()
    assert (active.service, active.urgency) == ("physiotherapy", "routine")
