"""One error format for every 4xx, produced in one place.

    {"status": 400, "code": "invalid", "message": "...",
     "errors": [{"field": "answers.pain_score", "code": "max_value", "message": "..."}]}

`field` is the dotted path of the failing input: a body field such as `answers.pain_score`,
`body` for the request body as a whole, or a header such as `Authorization`.
Messages never repeat the submitted values, so no patient data leaks into an error.
"""

import re
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse, HttpResponseServerError, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from clinic import errors as domain

# A field or parameter name an error may repeat: what a typo of a real name looks like.
# Anything else may be whatever the caller typed (a patient's name, a token), and error bodies
# never repeat the input: it is reported at its parent (a body object, or `query`).
PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")

# Where a request-level failure lies, when it is not a body field.
_FIELD_FOR = {
    exceptions.NotAuthenticated: "Authorization",
    exceptions.AuthenticationFailed: "Authorization",
    exceptions.ParseError: "body",
    exceptions.UnsupportedMediaType: "Content-Type",
    exceptions.NotAcceptable: "Accept",
    exceptions.MethodNotAllowed: "method",
    exceptions.NotFound: "path",
}

_MESSAGES = {
    exceptions.ParseError: "The body is not valid JSON.",
    exceptions.NotFound: "Nothing was found at this address.",
    # DRF's own message repeats the Content-Type sent.
    exceptions.UnsupportedMediaType: "Send the body as JSON, with Content-Type: application/json.",
}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class Conflict(exceptions.APIException):
    """409. `detail` maps fields to messages; `extra` adds top-level keys to the body."""

    status_code: int = status.HTTP_409_CONFLICT  # PreconditionFailed and others say theirs
    default_detail = "The request conflicts with what is already stored."
    default_code = "conflict"

    def __init__(
        self, detail: Any = None, code: str | None = None, headers: dict | None = None, **extra
    ) -> None:
        super().__init__(detail, code)
        self.extra = extra
        self.headers = headers or {}


class PreconditionFailed(Conflict):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record has changed since it was read."
    default_code = "precondition_failed"


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "This link can no longer be used."
    default_code = "gone"


class Unavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "This cannot be done on this server for now."
    default_code = "unavailable"


_FIELD_FOR[PayloadTooLarge] = "body"
_FIELD_FOR[Gone] = "path"
_FIELD_FOR[Unavailable] = "Accept"

# The status of each conflict the domain reports (the nearest class in its MRO).
_CONFLICT_STATUS = {
    domain.PreconditionFailed: status.HTTP_412_PRECONDITION_FAILED,
    domain.Unprocessable: status.HTTP_422_UNPROCESSABLE_ENTITY,
    domain.Conflict: status.HTTP_409_CONFLICT,
}


def _from_domain(exc: domain.DomainError) -> exceptions.APIException:
    """The API exception a domain error is reported as: its status, code and body."""
    if isinstance(exc, domain.NotFound):
        return exceptions.NotFound()
    if isinstance(exc, domain.PermissionDenied):
        return exceptions.PermissionDenied(exc.message)
    if isinstance(exc, domain.Invalid):
        return exceptions.ValidationError(exc.errors, exc.code)
    if isinstance(exc, domain.Gone):
        return Gone(exc.message, exc.code)
    if isinstance(exc, domain.Unavailable):
        return Unavailable(exc.message, exc.code)
    if isinstance(exc, domain.Conflict):
        conflict = Conflict(dict(exc.errors), exc.code, headers=exc.headers, **exc.extra)
        conflict.status_code = next(
            _CONFLICT_STATUS[k] for k in type(exc).__mro__ if k in _CONFLICT_STATUS
        )
        conflict.default_code = exc.code
        conflict.default_detail = exc.message
        return conflict
    return exceptions.APIException(exc.message, exc.code)


def flatten(detail: Any, path: str = "") -> list[dict[str, Any]]:
    """Turn DRF's nested error detail into a flat list of {field, code, message}."""
    if isinstance(detail, dict):
        errors = []
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                errors.extend(flatten(value, path))
            else:
                errors.extend(flatten(value, f"{path}.{key}" if path else str(key)))
        return errors
    if isinstance(detail, list):
        errors = []
        for item in detail:
            errors.extend(flatten(item, path))
        return errors
    code = getattr(detail, "code", None) or "invalid"
    return [{"field": path or "body", "code": code, "message": str(detail)}]


def error_body(status_code: int, code: str, message: str, errors: list[dict]) -> dict:
    return {"status": status_code, "code": code, "message": message, "errors": errors}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, domain.DomainError):
        exc = _from_domain(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):  # Django refuses it before any parser reads it
        exc = PayloadTooLarge()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response  # an unexpected error: a 500, logged by Django
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten(exc.detail)
        body = error_body(response.status_code, "invalid", "Some fields are not valid.", errors)
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        message = _MESSAGES.get(type(exc), str(exc.detail))
        if isinstance(exc, Conflict) and isinstance(exc.detail, dict):
            # Each message carries the conflict's code, or its own (clinic.errors.Problem).
            errors = flatten(exc.detail)
            message = str(exc.default_detail)
        else:
            # The nearest class that names a place: a subclass (the parser's own refusals)
            # lies where its parent does.
            field = next((_FIELD_FOR[k] for k in type(exc).__mro__ if k in _FIELD_FOR), None)
            errors = [{"field": field, "code": code, "message": message}]
        body = error_body(response.status_code, code, message, errors)
        body.update(getattr(exc, "extra", {}))
        for name, value in getattr(exc, "headers", {}).items():
            response[name] = value
    response.data = body
    return response


def json_not_found(request, exception=None) -> JsonResponse:
    message = "Nothing was found at this address."
    body = error_body(404, "not_found", message, [{"field": "path", "code": "not_found",
                                                   "message": message}])  # fmt: skip
    return JsonResponse(body, status=404)


def json_server_error(request) -> HttpResponse:
    message = "Something went wrong on our side; it has been logged."
    if request.path.startswith("/admin/"):
        # A person in a browser: a page, not JSON. Plain, with no detail of the failure.
        return HttpResponseServerError(
            f"<!doctype html><title>Server error</title><h1>Server error</h1><p>{message}</p>"
            '<p><a href="/admin/">Back to the admin</a></p>'
        )
    return JsonResponse(error_body(500, "server_error", message, []), status=500)


def json_bad_request(request, exception=None) -> JsonResponse:
    message = "The request could not be understood."
    body = error_body(400, "bad_request", message, [{"field": "body", "code": "bad_request",
                                                     "message": message}])  # fmt: skip
    return JsonResponse(body, status=400)
