"""The dashboard's worklist, acted on through HTTP as a clinician's browser would: each row's
moves, a stale row, the audit and the history, search and filters, the countdown's words."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from clinic.models import AuditEvent
from referrals.models import Referral, ReferralHistory
from referrals.worklist import Countdown
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body, key_client, staff_client

DASHBOARD = "/admin/dashboard/"


def move_url(referral: Referral) -> str:
    return f"/admin/dashboard/referrals/{referral.pk}/move/"


@pytest.fixture
def clinician_browser(db):
    return staff_client("dr.work", "north", "clinician")


def _submit(api, external_id: str, **answers) -> Referral:
    response = post_json(api, INTAKES, intake_body(external_id=external_id, **answers))
    assert response.status_code == 201, response.content
    return Referral.objects.get(intake_id=response.json()["id"])


@pytest.fixture
def emergency(api) -> Referral:
    return _submit(api, "EM-1", trauma="major")


@pytest.fixture
def callback(api) -> Referral:
    return _submit(api, "CB-1", fever="unknown")


def _move(client, referral: Referral, to: str, version: int | None = None, note: str = ""):
    data = {"to": to, "note": note, "next": DASHBOARD}
    data["version"] = str(referral.version if version is None else version)
    return client.post(move_url(referral), data)


def _said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- rows ----------------------------------------------------------------------------------


def test_a_row_shows_the_reference_age_red_flags_reason_and_countdown(
    clinician_browser, emergency, callback
):
    html = clinician_browser.get(DASHBOARD).content.decode()

    assert "EM-1" in html and "age 40" in html
    assert "Fever, chills or sweats: not answered: ask the patient" in html
    assert re.search(r"countdown-soon\">due in 3 h 5\d min", html)  # an emergency: 4 hours
    assert 'value="sent"' in html and "Mark sent" in html
    assert f"/api/v1/referrals/{emergency.pk}/letter/" in html


def test_a_call_back_row_links_to_the_review_form(clinician_browser, callback):
    html = clinician_browser.get(DASHBOARD).content.decode()

    assert f"/admin/triage/intake/{callback.intake_id}/review/" in html


def test_reception_sees_no_review_form_link(api, callback):
    desk = staff_client("desk", "north", "reception")

    html = desk.get(DASHBOARD).content.decode()

    assert "CB-1" in html
    assert f"/admin/triage/intake/{callback.intake_id}/review/" not in html


def test_the_reason_shown_is_the_rule_that_set_the_decision(clinician_browser, emergency):
    decision = emergency.intake.assessment.decision
    html = clinician_browser.get(DASHBOARD).content.decode()

    deciding = [r for r in decision["reasons"] if "injury" in r["text"].lower()]
    assert deciding and deciding[0]["text"] in html


def test_an_empty_section_is_not_shown(clinician_browser, emergency):
    html = clinician_browser.get(DASHBOARD).content.decode()

    assert 'id="h-urgent"' in html
    assert 'id="h-callbacks"' not in html
    assert 'id="h-overdue"' not in html


# --- moves ---------------------------------------------------------------------------------


def test_a_move_from_the_worklist_moves_the_referral_and_leaves_the_list(
    clinician_browser, emergency
):
    response = _move(clinician_browser, emergency, "sent")

    assert response.status_code == 302
    assert response["Location"] == f"{DASHBOARD}#worklist"
    emergency.refresh_from_db()
    assert (emergency.status, emergency.version) == ("sent", 2)
    assert "EM-1's referral is now sent" in " ".join(_said(response))
    page = clinician_browser.get(DASHBOARD).content.decode()
    assert ">EM-1<" not in page  # the row is gone; the message above the list still names it


def test_a_move_is_in_the_history_with_who_made_it(clinician_browser, emergency):
    _move(clinician_browser, emergency, "sent")

    entry = ReferralHistory.objects.filter(referral=emergency).order_by("-at", "-id").first()
    assert (entry.from_status, entry.to_status) == ("open", "sent")
    assert entry.actor == "user:dr.work"
    assert entry.user.username == "dr.work"
    page = clinician_browser.get(f"/admin/referrals/referral/{emergency.pk}/change/")
    assert "user:dr.work" in page.content.decode()


def test_a_move_is_audited(clinician_browser, emergency):
    _move(clinician_browser, emergency, "sent")

    event = AuditEvent.objects.get(action="admin.referral.transition")
    assert event.status_code == 200
    assert event.object_ids == [str(emergency.pk)]
    assert event.user.username == "dr.work"
    assert list(event.patients.values_list("patient_id", flat=True)) == [emergency.patient_id]


def test_a_row_that_changed_meanwhile_is_not_moved_again(clinician_browser, emergency):
    drawn_at = emergency.version
    _move(clinician_browser, emergency, "sent", version=drawn_at)  # someone else, first

    response = _move(clinician_browser, emergency, "sent", version=drawn_at)

    said = " ".join(_said(response))
    assert "changed meanwhile" in said and "it is now sent" in said
    emergency.refresh_from_db()
    assert (emergency.status, emergency.version) == ("sent", 2)
    assert ReferralHistory.objects.filter(referral=emergency, to_status="sent").count() == 1
    stale = AuditEvent.objects.filter(action="admin.referral.transition", status_code=412)
    assert stale.count() == 1


def test_a_stale_row_asking_for_another_move_is_refused_too(clinician_browser, emergency):
    _move(clinician_browser, emergency, "sent", version=1)

    response = _move(clinician_browser, emergency, "cancelled", version=1, note="duplicate")

    assert "changed meanwhile" in " ".join(_said(response))
    emergency.refresh_from_db()
    assert emergency.status == "sent"


def test_a_move_without_a_version_moves_nothing(clinician_browser, emergency):
    response = clinician_browser.post(move_url(emergency), {"to": "sent", "next": DASHBOARD})

    assert "nothing moved" in " ".join(_said(response))
    emergency.refresh_from_db()
    assert emergency.status == "open"


def test_cancelling_asks_for_a_note(clinician_browser, emergency):
    response = _move(clinician_browser, emergency, "cancelled", note="  ")

    assert "A note is required" in " ".join(_said(response))
    emergency.refresh_from_db()
    assert emergency.status == "open"

    _move(clinician_browser, emergency, "cancelled", note="Seen in ED already")
    emergency.refresh_from_db()
    assert emergency.status == "cancelled"
    assert emergency.history.get(to_status="cancelled").note == "Seen in ED already"


def test_an_illegal_move_is_refused(clinician_browser, emergency):
    _move(clinician_browser, emergency, "booked")

    emergency.refresh_from_db()
    assert emergency.status == "open"


def test_another_branchs_referral_cannot_be_moved(clinician_browser, other_api):
    theirs = _submit(other_api, "SOUTH-1", trauma="major")

    response = _move(clinician_browser, theirs, "sent")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "open"


def test_a_move_needs_the_csrf_token(db, emergency):
    from django.contrib.auth import get_user_model

    from clinic.models import Branch, StaffRole

    user = get_user_model().objects.create_user("dr.csrf", password="x", is_staff=True)
    StaffRole.objects.create(user=user, branch=Branch.objects.get(slug="north"), role="clinician")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    response = _move(browser, emergency, "sent")

    assert response.status_code == 403
    emergency.refresh_from_db()
    assert emergency.status == "open"


def test_a_move_is_a_post(clinician_browser, emergency):
    assert clinician_browser.get(move_url(emergency)).status_code == 405


def test_a_move_never_sends_the_person_to_another_site(clinician_browser, emergency):
    response = clinician_browser.post(
        move_url(emergency), {"to": "sent", "version": "1", "next": "https://evil.example/"}
    )

    assert response["Location"] == f"{DASHBOARD}#worklist"


# --- search, filters and refresh -------------------------------------------------------------


def test_search_by_patient_reference_is_exact(clinician_browser, api, emergency, callback):
    _submit(api, "EM-10", trauma="major")

    html = clinician_browser.get(DASHBOARD, {"q": "EM-1"}).content.decode()

    assert ">EM-1<" in html
    assert ">EM-10<" not in html and ">CB-1<" not in html


def test_filters_by_service_and_urgency(clinician_browser, emergency, callback):
    by_service = clinician_browser.get(DASHBOARD, {"service": "clinician_callback"})
    by_urgency = clinician_browser.get(DASHBOARD, {"urgency": "emergency"})

    assert ">CB-1<" in by_service.content.decode()
    assert ">EM-1<" not in by_service.content.decode()
    assert ">EM-1<" in by_urgency.content.decode()


def test_an_unknown_filter_value_is_ignored(clinician_browser, emergency):
    html = clinician_browser.get(DASHBOARD, {"service": "nonsense"}).content.decode()

    assert ">EM-1<" in html


def test_a_person_of_several_branches_filters_by_branch(db):
    north, south = key_client("north"), key_client("south")
    _submit(north, "N-1", trauma="major")
    _submit(south, "S-1", trauma="major")
    person = staff_client("dr.both", "north", "clinician")
    from django.contrib.auth import get_user_model

    from clinic.models import Branch, StaffRole

    user = get_user_model().objects.get(username="dr.both")
    StaffRole.objects.create(user=user, branch=Branch.objects.get(slug="south"), role="clinician")

    both = person.get(DASHBOARD).content.decode()
    only_south = person.get(DASHBOARD, {"branch": "south"}).content.decode()

    assert ">N-1<" in both and ">S-1<" in both
    assert ">S-1<" in only_south and ">N-1<" not in only_south


def test_htmx_gets_the_worklist_alone(clinician_browser, emergency):
    response = clinician_browser.get(DASHBOARD, {"urgency": "emergency"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert 'id="worklist-live"' in html
    assert ">EM-1<" in html
    assert "Decisions per day by disposition" not in html  # the figures are not redrawn
    assert 'hx-trigger="every 60s [worklistIdle()]"' in html
    assert AuditEvent.objects.filter(action="admin.dashboard.view").count() == 1


def test_the_page_serves_htmx_from_its_own_static_files(clinician_browser, emergency):
    html = clinician_browser.get(DASHBOARD).content.decode()

    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert any(src.endswith("clinic/vendor/htmx.min.js") for src in scripts)
    assert all(src.startswith("/") for src in scripts)


# --- countdown -----------------------------------------------------------------------------


NOW = timezone.now()


@pytest.mark.parametrize(
    ("left", "urgency", "words", "state"),
    [
        (timedelta(hours=2, minutes=10), "urgent", "due in 2 h 10 min", "later"),
        (timedelta(hours=1, minutes=59), "urgent", "due in 1 h 59 min", "soon"),
        (timedelta(hours=3, minutes=30), "emergency", "due in 3 h 30 min", "soon"),
        (timedelta(days=1, hours=4), "urgent", "due in 1 d 4 h", "later"),
        (timedelta(days=2), "urgent", "due in 2 d", "later"),
        (timedelta(minutes=45), "urgent", "due in 45 min", "soon"),
        (timedelta(seconds=20), "urgent", "due in less than a minute", "soon"),
        (-timedelta(hours=3), "urgent", "overdue by 3 h", "overdue"),
        (-timedelta(hours=1, minutes=5), "emergency", "overdue by 1 h 5 min", "overdue"),
    ],
)
def test_the_countdown_in_words_and_state(left, urgency, words, state):
    countdown = Countdown.until(NOW + left, NOW, urgency)

    assert (countdown.words, countdown.state) == (words, state)


def test_an_overdue_row_says_so_in_words_not_colour_alone(clinician_browser, emergency):
    Referral.objects.filter(pk=emergency.pk).update(due_by=timezone.now() - timedelta(hours=3))

    html = clinician_browser.get(DASHBOARD).content.decode()

    assert re.search(r'countdown-overdue">⚠ overdue by 3 h', html)
    assert 'id="h-overdue"' in html


def test_the_print_letter_link_opens_the_letter_for_the_signed_in_person(
    clinician_browser, emergency
):
    html = clinician_browser.get(DASHBOARD).content.decode()
    link = re.search(r'href="(/api/v1/referrals/[0-9a-f-]+/letter/)"', html).group(1)

    letter = clinician_browser.get(link)

    assert letter.status_code == 200
    assert "EM-1" in letter.content.decode()
