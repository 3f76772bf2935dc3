"""Signed links to the printable pages (issue 15 §2): made by whoever may read the page, they
open it (or its PDF) once within 15 minutes with no credentials; a used or expired link is a
410 naming why; a care-plan link never opens a letter; every opening is audited under the
link's creator; the URL carries no patient data, and only the token's hash is stored."""

import hashlib
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from clinic.models import AuditEvent, PrintLink
from tests.api.test_papers import PDF, pdf_text
from tests.conftest import staff_client
from tests.query_counts import counted_queries, expected_queries
from tests.reviews.helpers import EMERGENCY, create_intake


def care_plan_links(intake_id: str) -> str:
    return f"/api/v1/intakes/{intake_id}/care-plan/links/"


def letter_links(referral_id: str) -> str:
    return f"/api/v1/referrals/{referral_id}/letter/links/"


@pytest.fixture
def intake(api) -> dict:
    return create_intake(api, external_id="MRN-LINK-7", **EMERGENCY)


def make_link(client, url: str) -> dict:
    response = client.post(url, {}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_a_link_is_201_with_its_url_and_expiry(api, intake):
    before = timezone.now()
    link = make_link(api, care_plan_links(intake["id"]))
    assert set(link) == {"url", "pdf_url", "expires_at", "purpose"}
    assert link["purpose"] == "care_plan"
    assert link["pdf_url"] == f"{link['url']}?format=pdf"
    expires = PrintLink.objects.get().expires_at
    assert timedelta(minutes=14) < expires - before <= timedelta(minutes=15, seconds=5)


def test_the_link_opens_the_care_plan_without_credentials(api, intake):
    link = make_link(api, care_plan_links(intake["id"]))
    response = APIClient().get(path_of(link["url"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "MRN-LINK-7" in response.content.decode()
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store"


def test_the_pdf_link_opens_the_letter_as_a_pdf(api, intake):
    link = make_link(api, letter_links(intake["referral"]["id"]))
    response = APIClient().get(path_of(link["pdf_url"]))
    assert response.status_code == 200
    assert response["Content-Type"] == PDF
    assert "MRN-LINK-7" in pdf_text(response.content)


def test_a_used_link_is_410_saying_so(api, intake):
    link = make_link(api, care_plan_links(intake["id"]))
    assert APIClient().get(path_of(link["url"])).status_code == 200
    again = APIClient().get(path_of(link["pdf_url"]))  # one opening, HTML or PDF
    assert again.status_code == 410
    assert again.json()["code"] == "gone"
    assert "used already" in again.json()["message"]


def test_an_expired_link_is_410_saying_so(api, intake):
    link = make_link(api, letter_links(intake["referral"]["id"]))
    PrintLink.objects.update(
        created_at=timezone.now() - timedelta(minutes=16),
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    response = APIClient().get(path_of(link["url"]))
    assert response.status_code == 410
    assert "expired" in response.json()["message"]
    assert PrintLink.objects.get().used_at is None


def test_a_care_plan_link_never_opens_a_letter(api, intake):
    link = make_link(api, care_plan_links(intake["id"]))
    letter_path = path_of(link["url"]).replace("/care-plan/", "/letter/")
    assert APIClient().get(letter_path).status_code == 404
    # ... and trying did not use it up.
    assert APIClient().get(path_of(link["url"])).status_code == 200


def test_a_head_request_does_not_use_the_link(api, intake):
    link = make_link(api, care_plan_links(intake["id"]))
    assert APIClient().head(path_of(link["url"])).status_code == 405
    assert APIClient().get(path_of(link["url"])).status_code == 200


def test_an_unknown_format_is_400(api, intake):
    link = make_link(api, care_plan_links(intake["id"]))
    response = APIClient().get(f"{path_of(link['url'])}?format=docx")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "format"
    assert APIClient().get(path_of(link["url"])).status_code == 200  # still unused


def test_an_unknown_token_is_404(db):
    response = APIClient().get(f"/api/v1/print-links/care-plan/{'A' * 43}/")
    assert response.status_code == 404


def test_another_branch_cannot_make_a_link(other_api, intake):
    response = other_api.post(care_plan_links(intake["id"]), {}, format="json")
    assert response.status_code == 404
    assert not PrintLink.objects.exists()


def test_a_link_body_takes_no_fields(api, intake):
    response = api.post(care_plan_links(intake["id"]), {"format": "pdf"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "format"


def test_every_opening_is_audited_under_the_links_creator(db, intake):
    clinician = staff_client("dr.links", "north", "clinician")
    link = make_link(clinician, care_plan_links(intake["id"]))
    APIClient().get(path_of(link["url"]))
    APIClient().get(path_of(link["url"]))  # the 410 is audited too

    openings = AuditEvent.objects.filter(action="care_plan.link_open").order_by("id")
    assert [event.status_code for event in openings] == [200, 410]
    assert [event.outcome for event in openings] == ["allowed", "denied"]
    for event in openings:
        assert event.user.username == "dr.links"
        assert event.actor.startswith("user:dr.links via link ")
        assert event.object_ids == [intake["id"]]
        assert event.branch.slug == "north"
    first = openings[0]
    assert [str(p.patient_id) for p in first.patients.all()] == [intake["patient"]["id"]]
    made = AuditEvent.objects.get(action="care_plan.link_create")
    assert made.user.username == "dr.links"


def test_a_key_made_link_is_audited_under_the_key(api, intake):
    link = make_link(api, letter_links(intake["referral"]["id"]))
    APIClient().get(path_of(link["url"]))
    event = AuditEvent.objects.get(action="referral.letter_link_open")
    assert event.api_key is not None
    assert event.actor.startswith("api-key:")


def test_the_url_carries_no_patient_data(api, intake):
    link = make_link(api, care_plan_links(intake["id"]))
    url = link["url"]
    for value in (
        "MRN-LINK-7",
        intake["id"],
        intake["patient"]["id"],
        intake["referral"]["id"],
        intake["patient"]["date_of_birth"],
    ):
        assert str(value) not in url
    token = urlsplit(url).path.rstrip("/").rsplit("/", 1)[1]
    assert len(token) == 43  # 256 random bits


def test_only_the_tokens_hash_is_stored(api, intake):
    link = make_link(api, care_plan_links(intake["id"]))
    token = urlsplit(link["url"]).path.rstrip("/").rsplit("/", 1)[1]
    stored = PrintLink.objects.get()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {str(getattr(stored, f.attname)) for f in PrintLink._meta.fields}


def test_a_503_leaves_the_link_unused(api, intake, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    link = make_link(api, care_plan_links(intake["id"]))
    monkeypatch.setattr(builtins, "__import__", fake_import)
    assert APIClient().get(path_of(link["pdf_url"])).status_code == 503
    monkeypatch.undo()
    assert APIClient().get(path_of(link["url"])).status_code == 200


def test_opening_a_letter_link_takes_a_fixed_number_of_queries(api, intake):
    link = make_link(api, letter_links(intake["referral"]["id"]))
    with counted_queries("letter_link.open") as captured:
        response = APIClient().get(path_of(link["url"]))
    assert response.status_code == 200
    assert len(captured) == expected_queries("letter_link.open")
