"""Logs carry a request id and never a patient's details, even when something fails."""

import io
import json
import logging

import pytest

from clinic.log_format import JsonFormatter
from clinic.request_context import RequestIdFilter
from tests.api.helpers import EVALUATE, INTAKES, post_json
from tests.conftest import intake_body

FAKE_EXTERNAL_ID = "FAKE-MRN-7319"
FAKE_DOB_AGE = 47


@pytest.fixture
def log_output():
    """Everything any logger writes, at every level, formatted as in production."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def _fake_body(**answers):
    return intake_body(external_id=FAKE_EXTERNAL_ID, age=FAKE_DOB_AGE, **answers)


def _assert_no_patient_data(text: str, body: dict) -> None:
    assert FAKE_EXTERNAL_ID not in text
    assert body["patient"]["date_of_birth"] not in text
    for marker in ("saddle_numbness", "pain_duration_days", "bothersomeness"):
        assert marker not in text


def test_requests_with_patient_data_leave_none_in_the_logs(api, log_output):
    body = _fake_body(saddle_numbness="yes")
    post_json(api, INTAKES, body)
    post_json(api, EVALUATE, body)
    bad = _fake_body()
    bad["answers"]["pain_score"] = 11
    post_json(api, INTAKES, bad)
    mismatch = _fake_body()
    mismatch["patient"]["date_of_birth"] = "1950-01-01"
    post_json(api, INTAKES, mismatch)

    text = log_output.getvalue()
    assert text.count('"logger": "clinic.access"') == 4
    _assert_no_patient_data(text, body)


def test_a_server_error_logs_its_type_but_not_its_message(api, log_output, monkeypatch):
    body = _fake_body()

    def fail(**kwargs):
        # A database error quoting the refused row would look like this.
        raise RuntimeError(f"duplicate key (external_id)=({FAKE_EXTERNAL_ID}) {kwargs}")

    monkeypatch.setattr("triage.services.intake_create", fail)
    api.raise_request_exception = False
    response = post_json(api, INTAKES, body)

    assert response.status_code == 500
    assert FAKE_EXTERNAL_ID not in response.content.decode()
    text = log_output.getvalue()
    assert "RuntimeError" in text
    _assert_no_patient_data(text, body)


def test_every_response_carries_a_request_id_that_the_log_lines_share(api, log_output):
    response = api.get(INTAKES)

    request_id = response["X-Request-ID"]
    lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "clinic.access"]
    assert access[-1]["request_id"] == request_id
    assert access[-1]["route"] == "api/v1/intakes/"
    assert access[-1]["status"] == 200
    assert access[-1]["actor"].startswith("api-key:")


def test_a_well_formed_incoming_request_id_is_kept_and_a_strange_one_replaced(api):
    kept = api.get(INTAKES, HTTP_X_REQUEST_ID="lb-1234abcd-5678")
    replaced = api.get(INTAKES, HTTP_X_REQUEST_ID="<script>alert(1)</script>")

    assert kept["X-Request-ID"] == "lb-1234abcd-5678"
    assert replaced["X-Request-ID"] != "<script>alert(1)</script>"
    assert len(replaced["X-Request-ID"]) == 32
