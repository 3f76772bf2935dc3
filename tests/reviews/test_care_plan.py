"""The patient's care plan: `GET /api/v1/intakes/{id}/care-plan/` and its printable page.

The advice follows SPEC §6 under the final decision: the assessment's until a clinician
reviews it, the latest review's after.
"""

import pytest
from django.utils.html import escape

from tests.conftest import staff_client
from tests.reviews.helpers import (
    EMERGENCY,
    PHYSIOTHERAPY,
    URGENT_GP,
    care_plan_url,
    create_intake,
    get_intake,
    review,
)

PLAN_FIELDS = {"intake", "disposition", "urgency", "service", "decided_by", "ruleset_version",
               "advice"}  # fmt: skip
SAFETY_NET = {"safety_net_emergency", "safety_net_review"}
# SPEC §6, in its order.
SPEC_ORDER = [
    "keep_active",
    "heat_cold",
    "gentle_stretching",
    "pain_relief",
    "massage",
    "hydration",
    "posture",
    "stress",
    "prevention",
    "safety_net_emergency",
    "safety_net_review",
]
HOME_CARE_PLAN = {"keep_active", "heat_cold", "gentle_stretching", "massage", "prevention"}
HOME_ONLY = {"heat_cold", "gentle_stretching", "massage", "prevention"}


def get_plan(client, intake_id: str) -> dict:
    response = client.get(care_plan_url(intake_id))
    assert response.status_code == 200, response.content
    return response.json()


def codes(plan: dict) -> list[str]:
    return [item["code"] for item in plan["advice"]]


def get_print(client, intake_id: str):
    response = client.get(f"{care_plan_url(intake_id)}print/")
    assert response.status_code == 200, response.content
    return response


# The JSON plan -----------------------------------------------------------------------------


def test_a_home_care_plan_has_the_self_care_items_and_the_safety_net(api):
    intake = create_intake(api)

    plan = get_plan(api, intake["id"])

    assert set(plan) == PLAN_FIELDS
    assert plan["intake"] == intake["id"]
    assert (plan["disposition"], plan["urgency"], plan["service"]) == (
        "home_care",
        "routine",
        "self_care",
    )
    assert plan["decided_by"] == "assessment"
    assert set(codes(plan)) >= HOME_CARE_PLAN | SAFETY_NET
    for item in plan["advice"]:
        assert set(item) == {"code", "text"}
        assert item["text"].strip()


def test_the_advice_is_in_the_order_of_the_spec(api):
    intake = create_intake(
        api,
        pain_score=8,
        suspected_triggers=["stress", "dehydration", "lifting_or_twisting"],
    )

    plan_codes = codes(get_plan(api, intake["id"]))

    assert plan_codes == sorted(plan_codes, key=SPEC_ORDER.index)
    assert len(plan_codes) == len(set(plan_codes))


@pytest.mark.parametrize(
    ("answers", "extra"),
    [
        ({"suspected_triggers": ["dehydration"]}, {"hydration"}),
        ({"spasm_present": True}, {"hydration"}),
        ({"suspected_triggers": ["prolonged_posture"]}, {"posture"}),
        ({"suspected_triggers": ["lifting_or_twisting"]}, {"posture"}),
        ({"suspected_triggers": ["stress"]}, {"stress"}),
    ],
)
def test_triggers_add_their_advice_to_a_home_care_plan(api, answers, extra):
    intake = create_intake(api, **answers)

    assert set(codes(get_plan(api, intake["id"]))) >= HOME_CARE_PLAN | SAFETY_NET | extra


def test_a_plan_without_those_triggers_leaves_their_advice_out(api):
    intake = create_intake(api)

    assert not set(codes(get_plan(api, intake["id"]))) & {"hydration", "posture", "stress"}


def test_a_pain_score_of_seven_gives_pain_relief_even_before_a_medical_referral(api):
    intake = create_intake(api, pain_score=7, **URGENT_GP)

    assert "pain_relief" in codes(get_plan(api, intake["id"]))


@pytest.mark.parametrize(
    "answers",
    [{}, PHYSIOTHERAPY, URGENT_GP, EMERGENCY],
    ids=["home-care", "physiotherapy", "urgent", "emergency"],
)
def test_every_plan_has_the_safety_net(api, answers):
    intake = create_intake(api, **answers)

    assert set(codes(get_plan(api, intake["id"]))) >= SAFETY_NET


def test_a_physiotherapy_plan_keeps_active_but_has_no_home_only_items(api):
    intake = create_intake(api, **PHYSIOTHERAPY)

    plan = get_plan(api, intake["id"])

    assert plan["disposition"] == "physiotherapy"
    assert "keep_active" in codes(plan)
    assert not set(codes(plan)) & HOME_ONLY


def test_a_medical_referral_plan_has_no_exercise_advice(api):
    intake = create_intake(api, **EMERGENCY)

    plan = get_plan(api, intake["id"])

    assert (plan["disposition"], plan["urgency"]) == ("medical_referral", "emergency")
    assert not set(codes(plan)) & (HOME_ONLY | {"keep_active"})


def test_an_unreviewed_plan_gives_the_assessments_advice(api):
    intake = create_intake(api, suspected_triggers=["stress"])

    plan = get_plan(api, intake["id"])

    assert plan["advice"] == intake["assessment"]["advice"]


def test_the_plan_follows_an_override_to_a_medical_referral(api, clinician):
    intake = create_intake(api)
    assert "gentle_stretching" in codes(get_plan(api, intake["id"]))

    response = review(clinician, intake["id"], "medical_referral", "urgent", "gp")

    assert response.status_code == 201, response.content
    plan = get_plan(api, intake["id"])
    assert (plan["disposition"], plan["urgency"], plan["service"]) == (
        "medical_referral",
        "urgent",
        "gp",
    )
    assert plan["decided_by"] == "review"
    assert "gentle_stretching" not in codes(plan)
    assert not set(codes(plan)) & (HOME_ONLY | {"keep_active"})
    assert set(codes(plan)) >= SAFETY_NET
    # The assessment keeps the advice it was given.
    assert "gentle_stretching" in [
        a["code"] for a in get_intake(api, intake["id"])["assessment"]["advice"]
    ]


def test_the_plan_follows_an_override_to_home_care(api, clinician):
    intake = create_intake(api, **URGENT_GP)
    assert "gentle_stretching" not in codes(get_plan(api, intake["id"]))

    review(clinician, intake["id"], "home_care", "routine", "self_care")

    plan = get_plan(api, intake["id"])
    assert (plan["disposition"], plan["service"], plan["decided_by"]) == (
        "home_care",
        "self_care",
        "review",
    )
    assert set(codes(plan)) >= HOME_CARE_PLAN | SAFETY_NET


def test_a_confirming_review_is_the_deciding_record(api, clinician):
    intake = create_intake(api)
    before = get_plan(api, intake["id"])

    review(clinician, intake["id"], "home_care", "routine", "self_care")

    after = get_plan(api, intake["id"])
    assert after["decided_by"] == "review"
    assert after["advice"] == before["advice"]


def test_the_plan_follows_the_latest_of_several_reviews(api, clinician):
    intake = create_intake(api)
    review(clinician, intake["id"], "medical_referral", "urgent", "gp")

    review(clinician, intake["id"], "physiotherapy", "routine", "physiotherapy")

    plan = get_plan(api, intake["id"])
    assert (plan["disposition"], plan["service"]) == ("physiotherapy", "physiotherapy")
    assert "keep_active" in codes(plan)
    assert not set(codes(plan)) & HOME_ONLY


def test_a_clinician_of_the_branch_may_read_the_plan(api, clinician):
    intake = create_intake(api)

    assert get_plan(clinician, intake["id"])["intake"] == intake["id"]


# Who may read it ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "print/"])
def test_another_branch_cannot_read_the_plan(api, other_api, suffix):
    intake = create_intake(api)
    south_clinician = staff_client("dr.south", "south", "clinician")

    assert other_api.get(f"{care_plan_url(intake['id'])}{suffix}").status_code == 404
    assert south_clinician.get(f"{care_plan_url(intake['id'])}{suffix}").status_code == 404


@pytest.mark.parametrize("suffix", ["", "print/"])
def test_the_plan_of_an_unknown_intake_is_404(api, suffix):
    url = f"{care_plan_url('3f0c9d8e-1b2a-4c5d-8e9f-0a1b2c3d4e5f')}{suffix}"

    response = api.get(url)

    assert response.status_code == 404
    assert response.json()["status"] == 404


@pytest.mark.parametrize("suffix", ["", "print/"])
def test_an_anonymous_caller_cannot_read_the_plan(api, anonymous, suffix):
    intake = create_intake(api)

    response = anonymous.get(f"{care_plan_url(intake['id'])}{suffix}")

    assert response.status_code == 401
    assert intake["patient"]["external_id"] not in response.content.decode()


# The printable page ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answers",
    [{"suspected_triggers": ["stress", "dehydration", "prolonged_posture"]}, EMERGENCY],
    ids=["home-care", "emergency"],
)
def test_the_printable_page_has_every_advice_text_escaped(api, answers):
    intake = create_intake(api, **answers)
    plan = get_plan(api, intake["id"])

    response = get_print(api, intake["id"])

    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "@media print" in html
    for item in plan["advice"]:
        assert escape(item["text"]) in html, item["code"]


def test_the_printable_page_escapes_apostrophes_in_the_advice(api):
    intake = create_intake(api)
    text = next(a["text"] for a in get_plan(api, intake["id"])["advice"] if "'" in a["text"])

    html = get_print(api, intake["id"]).content.decode()

    assert escape(text) in html
    assert text not in html


def test_the_printable_page_follows_an_override(api, clinician):
    intake = create_intake(api)
    home_text = next(
        a["text"] for a in get_plan(api, intake["id"])["advice"] if a["code"] == "gentle_stretching"
    )
    review(clinician, intake["id"], "medical_referral", "urgent", "gp")
    plan = get_plan(api, intake["id"])

    html = get_print(api, intake["id"]).content.decode()

    for item in plan["advice"]:
        assert escape(item["text"]) in html
    assert escape(home_text) not in html
    assert "your GP" in html


def test_the_printable_page_is_served_to_a_client_asking_for_html(api):
    intake = create_intake(api)

    response = api.get(f"{care_plan_url(intake['id'])}print/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/html")
    assert "@media print" in response.content.decode()
