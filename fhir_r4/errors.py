"""Every refusal of the FHIR views as an OperationOutcome, produced in one place.

Each issue names where the problem lies: a FHIRPath to the failing element in `expression`
(`QuestionnaireResponse.item[3].answer[0]`), or `location` `http.<name>` for a header or a
query parameter, as FHIR says for HTTP errors. Messages never repeat what the caller sent.

The statuses are the REST API's (clinic.api.errors decides them: 401, 403, 404, 405, 406, 409,
413, 415, 422, 429...), so both APIs refuse the same requests in the same way; only the body
differs. The handler serves the FHIR views alone (`FhirView.get_exception_handler`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rest_framework.response import Response

from clinic.api import errors as rest_errors
from fhir_r4.resources_base import validated

# The IssueType of a refusal, by status (a 400 is `invalid` unless its code says more).
_ISSUE_TYPES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    411: "structure",
    412: "conflict",
    413: "too-long",
    415: "not-supported",
    422: "business-rule",
    429: "throttled",
}
_ISSUE_TYPES_BY_CODE = {"required": "required", "unknown_parameter": "not-supported"}
# `query`: a query parameter whose name is not repeated (it may be anything the caller typed).
_NOWHERE = {None, "body", "method", "path", "branch", "query"}


@dataclass(frozen=True)
class Issue:
    code: str  # FHIR's IssueType: invalid, required, not-found, forbidden, conflict...
    message: str
    expression: str | None = None  # a FHIRPath to the element
    location: str | None = None  # `http.<name>`: a header or a query parameter

    def as_dict(self) -> dict[str, Any]:
        where = {"location": self.location, "expression": self.expression}
        return {
            "severity": "error",
            "code": self.code,
            "diagnostics": self.message,
            **{name: [value] for name, value in where.items() if value is not None},
        }


class FhirError(Exception):
    """A refusal the FHIR views describe themselves (a QuestionnaireResponse's elements)."""

    def __init__(self, status: int, issues: Iterable[Issue]) -> None:
        super().__init__(status)
        self.status = status
        self.issues = tuple(issues)


def invalid(message: str, expression: str | None = None, code: str = "invalid") -> FhirError:
    return FhirError(400, [Issue(code, message, expression)])


def operation_outcome(issues: Iterable[Issue]) -> dict[str, Any]:
    return validated(
        {"resourceType": "OperationOutcome", "issue": [issue.as_dict() for issue in issues]}
    )


def _issue(status: int, error: dict[str, Any]) -> Issue:
    """One error of the REST API's body as an issue."""
    code = _ISSUE_TYPES_BY_CODE.get(error["code"]) if status == 400 else None
    code = code or _ISSUE_TYPES.get(status, "exception")
    field = error["field"]
    # A header, or else a query parameter (the FHIR views read no other fields this way).
    location = None if field in _NOWHERE else f"http.{field}"
    return Issue(code, error["message"], location=location)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """The REST API's handler decides the status and headers; the body is an OperationOutcome.
    Anything it cannot answer stays a 500, logged by Django (and a bug)."""
    if isinstance(exc, FhirError):
        return Response(operation_outcome(exc.issues), status=exc.status)
    response = rest_errors.exception_handler(exc, context)
    if response is None:
        return None
    body = response.data
    issues = [_issue(response.status_code, error) for error in body["errors"]]
    if not issues:
        issues = [Issue(_ISSUE_TYPES.get(response.status_code, "exception"), body["message"])]
    response.data = operation_outcome(issues)
    return response
