"""The papers a front desk hands over (issue 15 §2): the care plan and the referral letter as
HTML and PDF, and what each says."""

import io
import re

import pytest
from django.utils.html import escape
from pypdf import PdfReader

from clinic import printable
from clinic.models import Branch
from tests.conftest import staff_client
from tests.query_counts import counted_queries, expected_queries
from tests.reviews.helpers import EMERGENCY, create_intake, review

PDF = "application/pdf"
# An emergency (saddle numbness) in a patient whose pain has lasted 60 days: a physiotherapy
# rule holds too, and must not be given as the reason for an emergency referral.
EMERGENCY_WITH_PHYSIO = {**EMERGENCY, "pain_duration_days": 60}


def care_plan_print(intake_id: str) -> str:
    return f"/api/v1/intakes/{intake_id}/care-plan/print/"


def letter_url(referral_id: str) -> str:
    return f"/api/v1/referrals/{referral_id}/letter/"


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(page.extract_text() for page in reader.pages)


def section(html: str, heading: str) -> str:
    """The HTML from an <h2> heading to the next one (or the end)."""
    match = re.search(rf"<h2>{re.escape(heading)}</h2>(.*?)(?=<h2>|<footer>)", html, re.S)
    assert match, f"no section {heading!r}"
    return match.group(1)


@pytest.fixture
def branch_details(db):
    branch = Branch.objects.get(slug="north")
    branch.address = "12 Harbour Street\nNorthtown NT1 2AB"
    branch.phone = "01234 567890"
    branch.email = "spine@north.example"
    branch.contact_person = "Sam Okafor, triage lead"
    branch.save()
    return branch


# --- HTML and PDF ---------------------------------------------------------------------------


def test_the_care_plan_is_still_html_by_default(api):
    intake = create_intake(api)
    response = api.get(care_plan_print(intake["id"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("accept", [PDF, f"text/html;q=0.5, {PDF}", f"{PDF}, text/html"])
def test_the_care_plan_is_a_pdf_when_asked_for(api, accept):
    intake = create_intake(api, external_id="MRN-PDF-1")
    response = api.get(care_plan_print(intake["id"]), HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == PDF
    assert response["Content-Disposition"] == 'inline; filename="care-plan.pdf"'
    assert response.content.startswith(b"%PDF-")
    assert "MRN-PDF-1" in pdf_text(response.content)


def test_html_preferred_to_pdf_gets_the_page(api):
    intake = create_intake(api)
    response = api.get(care_plan_print(intake["id"]), HTTP_ACCEPT=f"text/html, {PDF};q=0.9")
    assert response["Content-Type"].startswith("text/html")


def test_the_letter_is_a_pdf_when_asked_for(api):
    intake = create_intake(api, external_id="MRN-PDF-2", **EMERGENCY)
    response = api.get(letter_url(intake["referral"]["id"]), HTTP_ACCEPT=PDF)
    assert response.status_code == 200
    assert response["Content-Type"] == PDF
    text = pdf_text(response.content)
    assert "MRN-PDF-2" in text
    assert "Why we are referring" in text


def test_the_pdf_fetches_nothing_from_outside():
    fetcher = printable._local_only_fetcher(printable._weasyprint())
    for url in ("https://cdn.example/font.woff2", "http://127.0.0.1/x.css", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    html = '<link rel="stylesheet" href="https://cdn.example/a.css"><p>Hello</p>'
    assert printable.render_pdf(html).startswith(b"%PDF-")  # refused, and the PDF still made


@pytest.fixture
def no_weasyprint(monkeypatch):
    """As on a server without Pango: importing weasyprint fails to load a system library
    (cffi's OSError), whether or not an earlier request imported it."""
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0': no such file")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)


@pytest.mark.parametrize("paper", ["care plan", "letter"])
def test_without_the_system_libraries_a_pdf_is_a_503_naming_them(api, no_weasyprint, paper):
    intake = create_intake(api, **EMERGENCY)
    url = (
        care_plan_print(intake["id"])
        if paper == "care plan"
        else letter_url(intake["referral"]["id"])
    )
    response = api.get(url, HTTP_ACCEPT=PDF)
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "unavailable"
    assert "libpango-1.0-0" in body["message"]
    assert "libpangoft2-1.0-0" in body["message"]
    # The page itself still works.
    assert api.get(url).status_code == 200


# --- the letter -----------------------------------------------------------------------------


def test_an_emergency_letter_gives_only_the_emergency_rules_as_why(api):
    intake = create_intake(api, **EMERGENCY_WITH_PHYSIO)
    rule_ids = [r["rule_id"] for r in intake["assessment"]["reasons"]]
    html = api.get(letter_url(intake["referral"]["id"])).content.decode()

    why = section(html, "Why we are referring")
    also = section(html, "Also noted")
    physio = [r for r in intake["assessment"]["reasons"] if "physio" in r["text"].lower()]
    assert physio, rule_ids  # the vignette does hold a physiotherapy rule
    for reason in physio:
        assert escape(reason["text"]) not in why
        assert escape(reason["text"]) in also
    assert "E" in "".join(re.findall(r"\((E\d+);", why))  # an emergency rule is the reason


def test_the_letter_carries_the_key_history(api):
    intake = create_intake(api, **EMERGENCY_WITH_PHYSIO, pain_score=8)
    html = api.get(letter_url(intake["referral"]["id"])).content.decode()
    history = section(html, "Key history")
    assert "60 days" in history
    assert "8/10" in history
    assert "Pain below the knee" in history
    assert "Leg weakness" in history
    startback = intake["assessment"]["startback"]
    assert f"total {startback['total']}/9" in history
    flags = section(html, "Red flags")
    assert "(answer: yes)" in flags
    assert "Emergency:" in flags  # the level in words, not only by its style


def test_the_letter_names_imaging_and_due_time_in_words(api):
    intake = create_intake(api, **EMERGENCY)
    html = api.get(letter_url(intake["referral"]["id"])).content.decode()
    assert "MRI of the lumbar spine" in section(html, "Requested imaging")
    assert "to be seen by <strong>" in html


def test_the_letter_shows_the_clinicians_review(api):
    intake = create_intake(api, **EMERGENCY)
    clinician = staff_client("dr.letter", "north", "clinician")
    confirmed = ("medical_referral", "emergency", "emergency_department")  # the rules' decision
    reason = "Confirmed on the phone: new saddle numbness since this morning."
    response = review(clinician, intake["id"], *confirmed, reason=reason)
    assert response.status_code == 201, response.content
    html = api.get(letter_url(intake["referral"]["id"])).content.decode()
    assert "Confirmed on the phone: new saddle numbness" in section(html, "Clinician's review")


def test_a_letter_without_a_review_has_no_review_heading(api):
    intake = create_intake(api, **EMERGENCY)
    html = api.get(letter_url(intake["referral"]["id"])).content.decode()
    assert "Clinician&#x27;s review" not in html and "Clinician's review" not in html


def test_the_letter_shows_the_branch_contact_details(api, branch_details):
    intake = create_intake(api, **EMERGENCY)
    html = api.get(letter_url(intake["referral"]["id"])).content.decode()
    contact = re.search(r"<address class=\"contact\">(.*?)</address>", html, re.S).group(1)
    assert "12 Harbour Street<br>Northtown NT1 2AB" in contact
    assert "01234 567890" in contact
    assert "Sam Okafor, triage lead" in contact


def test_the_letter_is_read_in_a_fixed_number_of_queries(api):
    intake = create_intake(api, **EMERGENCY)
    with counted_queries("referral_letter.html") as captured:
        response = api.get(letter_url(intake["referral"]["id"]))
    assert response.status_code == 200
    assert len(captured) == expected_queries("referral_letter.html")


# --- the care plan --------------------------------------------------------------------------


def test_the_care_plan_shows_the_clinic_contact_details(api, branch_details):
    intake = create_intake(api)
    html = api.get(care_plan_print(intake["id"])).content.decode()
    contact = section(html, "Contact the clinic")
    assert "01234 567890" in contact
    assert "spine@north.example" in contact


def test_a_care_plan_has_no_empty_headings(api):
    intake = create_intake(api)  # the branch has no contact details
    html = api.get(care_plan_print(intake["id"])).content.decode()
    assert "Contact the clinic" not in html
    for heading in re.findall(r"<h2>(.*?)</h2>", html):
        assert re.search(r"<(li|p)[ >]", section(html, heading)), heading


def test_an_emergency_care_plan_says_so_in_words(api):
    intake = create_intake(api, **EMERGENCY)
    html = api.get(care_plan_print(intake["id"])).content.decode()
    assert "<strong>Emergency:</strong>" in html  # not by a colour or a border alone


def test_the_care_plan_is_read_in_a_fixed_number_of_queries(api):
    intake = create_intake(api)
    with counted_queries("care_plan_print.html") as captured:
        response = api.get(care_plan_print(intake["id"]))
    assert response.status_code == 200
    assert len(captured) == expected_queries("care_plan_print.html")
