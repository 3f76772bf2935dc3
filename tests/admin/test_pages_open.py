"""The admin pages staff use open without errors."""

import pytest
from django.contrib.auth import get_user_model

from referrals.models import Referral
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body
from triage.models import Intake


@pytest.fixture
def admin_client_with_data(client, api):
    post_json(api, INTAKES, intake_body(external_id="ADM-1", trauma="major"))
    user = get_user_model().objects.create_superuser("root.admin", password="x")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/triage/intake/",
        "/admin/triage/patient/",
        "/admin/referrals/referral/",
        "/admin/referrals/referral/?status__exact=open",
        "/admin/clinic/apikey/",
        "/admin/clinic/branch/",
        "/admin/clinic/staffrole/",
        "/admin/clinic/event/",
        "/admin/clinic/auditevent/",
        "/admin/triage/rulesetactivation/",
    ],
)
def test_admin_list_pages_open(admin_client_with_data, url):
    assert admin_client_with_data.get(url).status_code == 200


def test_admin_detail_pages_show_decision_and_history(admin_client_with_data):
    intake = Intake.objects.get()
    referral = Referral.objects.get()

    intake_page = admin_client_with_data.get(f"/admin/triage/intake/{intake.pk}/change/")
    referral_page = admin_client_with_data.get(f"/admin/referrals/referral/{referral.pk}/change/")

    assert intake_page.status_code == referral_page.status_code == 200
    assert b"emergency" in intake_page.content
    assert b"open" in referral_page.content
