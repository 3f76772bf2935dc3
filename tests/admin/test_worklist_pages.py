"""Around the worklist: where people land after signing in, the demo, the review form beside
its decision, and the admin lists' words (red flags as a warning, GP as GP)."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from clinic.choices import code_words
from clinic.models import Branch, StaffRole
from referrals.models import Referral
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body, staff_client
from triage.models import Intake, Review

PASSWORD = "Lumbar-spine-2026!"


@pytest.fixture(autouse=True)
def _quick_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _person(username: str, role: str | None, *, superuser: bool = False):
    users = get_user_model().objects
    create = users.create_superuser if superuser else users.create_user
    user = create(username, password=PASSWORD, is_staff=True)
    if role:
        branch, _ = Branch.objects.get_or_create(slug="north", defaults={"name": "North"})
        StaffRole.objects.create(user=user, branch=branch, role=role)
    return user


def _sign_in(username: str, next_url: str | None = "/admin/"):
    data = {"username": username, "password": PASSWORD}
    if next_url is not None:
        data["next"] = next_url  # the admin's sign-in form sends its index unless told otherwise
    return Client().post("/admin/login/", data)


# --- landing -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["clinician", "safety_officer"])
def test_clinicians_and_safety_officers_land_on_the_dashboard(db, role):
    _person("dr.land", role)

    response = _sign_in("dr.land")

    assert response.status_code == 302
    assert response["Location"] == "/admin/dashboard/"


def test_a_sign_in_without_a_next_address_lands_on_the_dashboard_too(db):
    _person("dr.land", "clinician")

    assert _sign_in("dr.land", next_url=None)["Location"] == "/admin/dashboard/"


@pytest.mark.parametrize(("role", "superuser"), [("reception", False), (None, True)])
def test_others_land_on_the_admin_index(db, role, superuser):
    _person("someone", role, superuser=superuser)

    assert _sign_in("someone")["Location"] == "/admin/"


def test_a_clinician_on_their_way_somewhere_goes_there(db):
    _person("dr.land", "clinician")

    response = _sign_in("dr.land", next_url="/admin/triage/intake/")

    assert response["Location"] == "/admin/triage/intake/"


def test_a_failed_sign_in_goes_nowhere(db):
    _person("dr.land", "clinician")

    response = Client().post("/admin/login/", {"username": "dr.land", "password": "wrong"})

    assert response.status_code == 200


# --- the demo ------------------------------------------------------------------------------


def test_the_demo_clinician_is_not_a_superuser_and_the_worklist_is_not_empty(db, settings):
    call_command("setup_demo", stdout=io.StringIO())

    clinician = get_user_model().objects.get(username="demo.clinician")
    assert clinician.is_staff and not clinician.is_superuser
    assert clinician.staff_roles.get().role == "clinician"
    assert Intake.objects.filter(branch__slug="demo").count() == 7
    assert Referral.objects.filter(branch__slug="demo", urgency="emergency").exists()
    assert Referral.objects.filter(branch__slug="demo", service="clinician_callback").exists()

    saved = json.loads((settings.VAR_DIR / "demo-credentials.json").read_text())
    browser = Client()
    response = browser.post(
        "/admin/login/",
        {"username": "demo.clinician", "password": saved["password"], "next": "/admin/"},
    )
    assert response["Location"] == "/admin/dashboard/"
    assert "DEMO-1001" in browser.get("/admin/dashboard/").content.decode()


def test_setting_up_the_demo_again_adds_nothing(db):
    call_command("setup_demo", stdout=io.StringIO())
    call_command("setup_demo", stdout=io.StringIO())

    assert Intake.objects.filter(branch__slug="demo").count() == 7
    assert get_user_model().objects.get(username="demo.admin").is_superuser


# --- the review form -----------------------------------------------------------------------


@pytest.fixture
def callback_intake(api) -> Intake:
    body = intake_body(external_id="CB-9", fever="unknown")
    return Intake.objects.get(pk=post_json(api, INTAKES, body).json()["id"])


def test_the_review_form_shows_the_decision_red_flags_and_answers_beside_it(
    clinician, callback_intake
):
    html = clinician.get(f"/admin/triage/intake/{callback_intake.pk}/review/").content.decode()

    assert 'id="review-form"' in html
    assert 'aria-label="The decision being reviewed"' in html
    assert "Fever, chills or sweats" in html  # the red flag
    assert 'class="answers"' in html  # the answers
    assert 'class="reasons"' in html  # the reasons
    assert 'href="#review-form"' in html  # the skip link
    assert "Review this decision" not in html  # no link back to the page itself


def test_confirm_as_decided_is_one_click(clinician, callback_intake):
    response = clinician.post(
        f"/admin/triage/intake/{callback_intake.pk}/review/", {"confirm": "1"}
    )

    assert response.status_code == 302
    review = Review.objects.get(intake=callback_intake)
    assessment = callback_intake.assessment
    assert (review.disposition, review.urgency, review.service) == (
        assessment.disposition,
        assessment.urgency,
        assessment.service,
    )
    assert not review.overridden
    assert review.reason == "Confirmed as decided."


# --- admin lists ---------------------------------------------------------------------------


def test_red_flags_show_as_a_warning_not_a_tick(clinician, callback_intake, api):
    post_json(api, INTAKES, intake_body(external_id="HC-9"))

    html = clinician.get("/admin/triage/intake/").content.decode()

    assert 'class="red-flag-warning">⚠ Red flags<' in html
    assert "icon-yes.svg" not in html and "icon-no.svg" not in html
    assert '<td class="field-red_flags">None</td>' in html


def test_gp_is_spelled_gp(clinician):
    assert code_words("gp") == "GP"
    assert code_words("medical_referral") == "Medical referral"

    html = clinician.get("/admin/triage/intake/").content.decode()
    assert ">GP<" in html
    assert ">Gp<" not in html


def test_an_intake_nobody_reviewed_has_no_empty_reviews_section(clinician, callback_intake):
    html = clinician.get(f"/admin/triage/intake/{callback_intake.pk}/change/").content.decode()

    assert 'id="reviews-group"' not in html

    clinician.post(f"/admin/triage/intake/{callback_intake.pk}/review/", {"confirm": "1"})
    html = clinician.get(f"/admin/triage/intake/{callback_intake.pk}/change/").content.decode()
    assert 'id="reviews-group"' in html


def test_reception_reviews_nothing(api, callback_intake):
    desk = staff_client("desk", "north", "reception")

    response = desk.post(f"/admin/triage/intake/{callback_intake.pk}/review/", {"confirm": "1"})

    assert response.status_code == 403
    assert not Review.objects.exists()
