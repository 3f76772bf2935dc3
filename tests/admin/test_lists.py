"""The admin lists: the filters staff use, search by patient reference, and a query count
that does not grow with the data."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals.models import Referral
from tests.admin.helpers import INTAKE_ADMIN, REFERRAL_ADMIN, page, signed_in
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body, key_client

PATIENTS = {
    "EMERG": {"trauma": "major"},  # medical referral, emergency, red flag
    "CALLB": {"fever": "unknown"},  # clinician call-back, unanswered red flag
    "HOMEC": {},  # home care
}


@pytest.fixture
def dr(api):
    for ref, answers in PATIENTS.items():
        post_json(api, INTAKES, intake_body(external_id=ref, **answers))
    return signed_in("dr.lists", {"north": "clinician"})


def shown(html: str) -> set[str]:
    return {ref for ref in PATIENTS if ref in html}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"EMERG", "CALLB", "HOMEC"}),
        ({"assessment__disposition": "home_care"}, {"HOMEC"}),
        ({"assessment__disposition": "medical_referral"}, {"EMERG", "CALLB"}),
        ({"assessment__urgency": "emergency"}, {"EMERG"}),
        ({"assessment__has_red_flags__exact": "1"}, {"EMERG", "CALLB"}),
        ({"assessment__has_red_flags__exact": "0"}, {"HOMEC"}),
        ({"assessment__service": "clinician_callback"}, {"CALLB"}),
        ({"submitted_at__gte": "2000-01-01 00:00:00+00:00"}, {"EMERG", "CALLB", "HOMEC"}),
        ({"submitted_at__gte": "2999-01-01 00:00:00+00:00"}, set()),
        ({"q": "CALLB"}, {"CALLB"}),
        ({"q": "CALL"}, set()),  # the reference matches exactly, as the desk holds it
    ],
)
def test_intake_filters_and_search(dr, params, expected):
    html = page(dr, INTAKE_ADMIN, **params)

    assert shown(html) == expected
    # The count under the list (taken from the assessments when the filters allow) agrees.
    assert listed_count(html) == len(expected)


def listed_count(html: str) -> int:
    paginator = re.search(r'<p class="paginator">(.*?)</p>', html, re.S).group(1)
    return int(re.search(r"(\d+) intakes?\b", paginator).group(1))


def test_the_count_of_a_filtered_list_is_of_the_persons_branches_only(api):
    south = key_client("south")
    for ref in ("S-EMERG-1", "S-EMERG-2"):
        post_json(south, INTAKES, intake_body(external_id=ref, **PATIENTS["EMERG"]))
    post_json(api, INTAKES, intake_body(external_id="N-EMERG", **PATIENTS["EMERG"]))
    north_only = signed_in("dr.north", {"north": "clinician"})
    both = signed_in("dr.both", {"north": "clinician", "south": "clinician"})

    emergencies = {"assessment__urgency": "emergency"}
    assert listed_count(page(north_only, INTAKE_ADMIN, **emergencies)) == 1
    assert listed_count(page(both, INTAKE_ADMIN, **emergencies)) == 3
    assert listed_count(page(both, INTAKE_ADMIN, branch="south", **emergencies)) == 2


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"EMERG", "CALLB"}),
        ({"status__exact": "open"}, {"EMERG", "CALLB"}),
        ({"status__exact": "sent"}, set()),
        ({"urgency__exact": "emergency"}, {"EMERG"}),
        ({"service__exact": "clinician_callback"}, {"CALLB"}),
        ({"overdue": "yes"}, {"EMERG"}),
        ({"overdue": "no"}, {"CALLB"}),
        ({"q": "EMERG"}, {"EMERG"}),
    ],
)
def test_referral_filters_and_search(dr, params, expected):
    Referral.objects.filter(patient__external_id="EMERG").update(
        due_by=timezone.now() - timezone.timedelta(minutes=1)
    )

    assert shown(page(dr, REFERRAL_ADMIN, **params)) == expected


def test_the_referral_page_shows_its_history_and_links_to_the_intake(dr):
    referral = Referral.objects.get(patient__external_id="EMERG")

    html = page(dr, f"{REFERRAL_ADMIN}{referral.pk}/change/")

    assert f"{INTAKE_ADMIN}{referral.intake_id}/change/" in html
    assert "Referral history" in html
    assert "Status change" in html  # the first history entry: opened


@pytest.mark.parametrize(
    "url",
    [INTAKE_ADMIN, f"{INTAKE_ADMIN}?assessment__urgency=emergency", REFERRAL_ADMIN,
     f"{REFERRAL_ADMIN}?overdue=yes", "/admin/triage/patient/", "/admin/dashboard/"],
)  # fmt: skip
def test_list_query_counts_do_not_grow_with_the_data(api, url):
    client = signed_in("dr.count", {"north": "clinician"})
    post_json(api, INTAKES, intake_body(external_id="Q-0", trauma="major"))
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for i in range(1, 8):
        post_json(api, INTAKES, intake_body(external_id=f"Q-{i}", trauma="major"))
        post_json(api, INTAKES, intake_body(external_id=f"H-{i}"))
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200

    assert len(large) == len(small)


def test_the_intake_page_query_count_does_not_grow_with_reviews_and_history(api):
    dr = signed_in("dr.count", {"north": "clinician"})
    post_json(api, INTAKES, intake_body(external_id="Q-0", trauma="major"))
    intake = Referral.objects.get().intake
    url = f"{INTAKE_ADMIN}{intake.pk}/change/"
    review = {"disposition": "medical_referral", "service": "gp", "imaging": "",
              "reason": "Seen."}  # fmt: skip
    dr.post(f"{INTAKE_ADMIN}{intake.pk}/review/", {**review, "urgency": "urgent"})
    with CaptureQueriesContext(connection) as small:
        page(dr, url)
    for urgency in ("routine", "urgent", "routine"):
        dr.post(f"{INTAKE_ADMIN}{intake.pk}/review/", {**review, "urgency": urgency})
    with CaptureQueriesContext(connection) as large:
        page(dr, url)

    assert len(large) == len(small)


def test_long_lists_count_only_up_to_a_cap(dr, monkeypatch):
    from clinic.admin_mixins import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "cap", 2)

    assert "More than 2 intakes" in page(dr, INTAKE_ADMIN)
    assert "2 intakes" in page(dr, INTAKE_ADMIN, assessment__disposition="medical_referral")
