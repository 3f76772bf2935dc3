"""A body sent in chunks, with no Content-Length, is answered 411 Length Required.

Django reads a request body only as far as Content-Length says; without one it reads nothing,
and a chunked intake was refused as if it were empty ("patient: required"). The application
is called here as a WSGI server calls it, with the environ a server gives a chunked request;
tests/multiprocess/test_chunked_body.py sends one to a real gunicorn.
"""

import io
import json
from collections.abc import Iterator
from wsgiref.util import setup_testing_defaults

import pytest

from clinic.services import api_key_create
from clinic.wsgi import application
from tests.api.helpers import INTAKES
from tests.conftest import intake_body
from tests.in_process import in_process_requests
from triage.models import Intake


@pytest.fixture
def in_process(db) -> Iterator[None]:
    """Requests run on the test's own database connection, inside its transaction."""
    with in_process_requests():
        yield


def call_wsgi(path: str, body: bytes, **environ: str) -> tuple[int, dict, bytes]:
    """One POST through the WSGI application; its status, headers and body."""
    env = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "CONTENT_TYPE": "application/json",
           "wsgi.input": io.BytesIO(body), **environ}  # fmt: skip
    setup_testing_defaults(env)  # the rest of a server's environ (it adds no length)
    started: dict = {}

    def start_response(status: str, headers: list, exc_info=None) -> None:
        started["status"], started["headers"] = int(status.split()[0]), dict(headers)

    response = application(env, start_response)
    try:
        content = b"".join(response)
    finally:
        response.close()
    return started["status"], started["headers"], content


@pytest.fixture
def key(db) -> str:
    return api_key_create(branch_slug="north", name="desk")[1]


def test_a_chunked_body_without_a_length_is_411_naming_content_length(in_process, key):
    body = json.dumps(intake_body()).encode()

    status, headers, content = call_wsgi(
        INTAKES, body, HTTP_TRANSFER_ENCODING="chunked", HTTP_AUTHORIZATION=f"Api-Key {key}"
    )

    assert status == 411, content
    assert headers["Content-Type"] == "application/json"
    error = json.loads(content)
    assert error["status"] == 411
    assert error["code"] == "length_required"
    assert [(e["field"], e["code"]) for e in error["errors"]] == [
        ("Content-Length", "length_required")
    ]
    assert Intake.objects.count() == 0


def test_the_same_body_with_its_length_is_stored(in_process, key):
    body = json.dumps(intake_body()).encode()

    status, _, content = call_wsgi(
        INTAKES, body, CONTENT_LENGTH=str(len(body)), HTTP_AUTHORIZATION=f"Api-Key {key}"
    )

    assert status == 201, content
    assert Intake.objects.count() == 1


def test_a_length_alongside_transfer_encoding_is_read(in_process, key):
    # A server or proxy that has already decoded the chunks gives the length it read.
    body = json.dumps(intake_body()).encode()

    status, _, content = call_wsgi(
        INTAKES, body, CONTENT_LENGTH=str(len(body)), HTTP_TRANSFER_ENCODING="chunked",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )  # fmt: skip

    assert status == 201, content


def test_a_411_does_not_repeat_the_body(in_process, key):
    secret = "ZZ-SECRET-VALUE-123"

    status, _, content = call_wsgi(
        INTAKES, json.dumps(intake_body(external_id=secret)).encode(),
        HTTP_TRANSFER_ENCODING="chunked", HTTP_AUTHORIZATION=f"Api-Key {key}",
    )  # fmt: skip

    assert status == 411
    assert secret.encode() not in content
