"""OpenAPI pieces shared by every API: the error body and its documented status codes."""

import re
from typing import Any

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from clinic.idempotency import VALID_IDEMPOTENCY_KEY


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_null=True,
        help_text="Dotted path of the failing input (`answers.pain_score`), `body`, or a header.",
    )
    code = serializers.CharField(help_text="Machine-readable, such as `required` or `max_value`.")
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    errors = FieldErrorSerializer(many=True)
    current_status = serializers.CharField(
        required=False, help_text="Illegal referral transition: the referral's status now."
    )
    legal_next = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Illegal referral transition: the statuses it may move to.",
    )


_WHEN = {
    400: "Invalid input: each failing body field or query parameter is named (an unknown, "
    "empty or repeated query parameter too).",
    401: "No API key, or a key that is not valid.",
    403: "The caller may not do this.",
    404: "Not found in the caller's branch.",
    409: "Conflicts with what is stored (the field is named); for a referral transition, "
    "the move is not legal from the current status (`current_status`, `legal_next`); or a "
    "request with the same `Idempotency-Key` is still running (`Retry-After`).",
    412: "`If-Match` names a version that is no longer current.",
    422: "The `Idempotency-Key` was already used with a different request.",
    413: "The body is larger than the service accepts.",
    406: "The `Accept` header asks for something other than JSON.",
    415: "The body is not JSON (`Content-Type: application/json`).",
    429: "Too many requests from this caller: retry after `Retry-After` seconds.",
    410: "The link was used already or has expired (the message says which): ask for a new one.",
    503: "The service cannot do this now: it cannot reach its database, or (a PDF) this server "
    "lacks WeasyPrint's system libraries, which the message names.",
}


def _error(
    status: int, code: str, message: str, *errors: tuple[str | None, str, str], **extra: Any
) -> dict[str, Any]:
    """An error body as clinic.api.errors writes it: (field, code, message) per error; one
    error with no field and the body's code and message if none is given."""
    listed = [{"field": field, "code": c, "message": m} for field, c, m in errors]
    if not listed:
        listed = [{"field": None, "code": code, "message": message}]
    return {"status": status, "code": code, "message": message, "errors": listed, **extra}


# Real bodies, as the service answers them (tests/contract/test_examples.py provokes each one
# it can and compares): one or more per status code.
ERROR_EXAMPLES: dict[int, dict[str, dict[str, Any]]] = {
    400: {"A body field out of range": _error(
        400, "invalid", "Some fields are not valid.",
        ("answers.pain_score", "max_value", "Ensure this value is less than or equal to 10."))},
    401: {"No API key": _error(
        401, "not_authenticated", "Authentication credentials were not provided.",
        ("Authorization", "not_authenticated", "Authentication credentials were not provided."))},
    403: {"A role the caller lacks": _error(
        403, "permission_denied", "Only a clinic admin may read the audit trail.")},
    404: {"Not in the caller's branches": _error(
        404, "not_found", "Nothing was found at this address.",
        ("path", "not_found", "Nothing was found at this address."))},
    406: {"Accept names no JSON": _error(
        406, "not_acceptable", "Could not satisfy the request Accept header.",
        ("Accept", "not_acceptable", "Could not satisfy the request Accept header."))},
    409: {
        "A known patient with another date of birth": _error(
            409, "conflict", "The request conflicts with what is already stored.",
            ("patient.date_of_birth", "conflict",
             "Does not match the patient already held under this external_id.")),
        "A referral move that is not legal now": _error(
            409, "conflict", "The request conflicts with what is already stored.",
            ("to", "conflict", "Cannot move from open to booked; allowed next: sent, cancelled."),
            current_status="open", legal_next=["sent", "cancelled"]),
        "The same Idempotency-Key still running": _error(
            409, "idempotency_key_in_progress",
            "A request with this Idempotency-Key is still being processed; retry soon.",
            ("Idempotency-Key", "idempotency_key_in_progress",
             "A request with this Idempotency-Key is still being processed; retry soon.")),
    },
    410: {"A used or expired link": _error(
        410, "gone",
        "This link has expired: links are valid for 15 minutes. Ask the clinic for a new one.")},
    412: {"A stale If-Match": _error(
        412, "precondition_failed", "The record has changed since it was read.",
        ("If-Match", "precondition_failed",
         "The referral has changed since you read it; fetch it again."))},
    413: {"A body too large": _error(413, "too_large", "The request body is too large.")},
    415: {"A body that is not JSON": _error(
        415, "unsupported_media_type",
        "Send the body as JSON, with Content-Type: application/json.",
        ("Content-Type", "unsupported_media_type",
         "Send the body as JSON, with Content-Type: application/json."))},
    422: {"An Idempotency-Key reused with another body": _error(
        422, "idempotency_key_reused", "This Idempotency-Key was used with a different request.",
        ("Idempotency-Key", "idempotency_key_reused",
         "This Idempotency-Key was used with a different request."))},
    429: {"Over the rate limit": _error(
        429, "throttled", "Request was throttled. Expected available in 42 seconds.")},
    503: {"No PDFs on this server": _error(
        503, "unavailable", "PDFs cannot be made on this server: WeasyPrint could not load its "
        "system libraries (...). Install them (README, \"PDFs\") and restart; the HTML page "
        "still works.")},
}  # fmt: skip


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {
        code: OpenApiResponse(
            ErrorSerializer,
            description=_WHEN[code],
            examples=[
                OpenApiExample(name, value=body, status_codes=[code], response_only=True)
                for name, body in ERROR_EXAMPLES[code].items()
            ],
        )
        for code in codes
    }


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID): a retry with the same key and body replays the "
    "first response instead of creating again; the same key with another body is 422; a retry "
    "while the first is still running is 409 with Retry-After. Kept 48 hours.",
    pattern=VALID_IDEMPOTENCY_KEY.pattern,  # anything else is refused (400)
)
IDEMPOTENT_ERRORS = (409, 422)

# Every operation with credentials counts the caller's requests (clinic/api/throttling.py), and
# every operation refuses a query parameter it does not take (clinic/api/query.py): 400.
READ_ERRORS = (400, 401, 403, 406, 429)
WRITE_ERRORS = (400, 401, 403, 406, 413, 415, 429)


# Response headers -------------------------------------------------------------------------

# The ones an operation sends by itself are declared with it (`response_header`); the ones every
# operation of a kind sends are added by `declare_response_headers`, a postprocessing hook.
HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "This request's id, as sent in `X-Request-ID` (8 to 64 letters, digits, "
        "`.`, `_` or `-`) or made up: quote it when you report a problem.",
        "schema": {"type": "string"},
    },
    "RateLimit-Limit": {
        "description": "Requests your key (or you, signed in) may make per window.",
        "schema": {"type": "integer", "minimum": 1},
    },
    "RateLimit-Remaining": {
        "description": "Requests left in the current window.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit-Reset": {
        "description": "Seconds until the oldest request counted leaves the window.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored response to an earlier request with the "
        "same `Idempotency-Key`, sent again; absent on a first response.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Location": {"description": "The URL of what was created.", "schema": {"type": "string"}},
    "ETag": {
        "description": "This version of the resource: send it back as `If-Match` to change it "
        "only if no one has since.",
        "schema": {"type": "string"},
    },
}


def response_header(name: str, *codes: int) -> OpenApiParameter:
    """A header an operation sends with the responses of these status codes, for
    `@extend_schema(parameters=[...])`."""
    header = HEADERS[name]
    return OpenApiParameter(
        name,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description=header["description"],
        response=list(codes),
    )


def _header(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def declare_response_headers(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """Declare the headers whole kinds of response carry, where the service sends them:
    X-Request-ID on every response (clinic.request_context); the RateLimit fields on every
    response of an operation that takes credentials but its 401, which has no caller
    (clinic.middleware.RateLimitHeadersMiddleware); Retry-After
    on a 429 and on the 409 of a request still running under the same Idempotency-Key; and
    Idempotent-Replayed on the success of an operation that takes an Idempotency-Key
    (clinic.idempotency)."""
    result.setdefault("components", {})["headers"] = {
        name: {key: value for key, value in header.items()} for name, header in HEADERS.items()
    }
    for item in result.get("paths", {}).values():
        for operation in item.values():
            credentials = bool(operation.get("security")) and {} not in operation["security"]
            idempotent = any(
                parameter["name"] == IDEMPOTENCY_KEY.name
                for parameter in operation.get("parameters", [])
            )
            for code, response in operation["responses"].items():
                headers = response.setdefault("headers", {})
                headers["X-Request-ID"] = _header("X-Request-ID")
                if credentials and code != "401":
                    for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"):
                        headers[name] = _header(name)
                if code == "429" or (idempotent and code == "409"):
                    headers["Retry-After"] = _header("Retry-After")
                if idempotent and code.startswith("2"):
                    headers["Idempotent-Replayed"] = _header("Idempotent-Replayed")
                for name in list(headers):
                    if name in HEADERS and "$ref" not in headers[name]:
                        headers[name] = _header(name)  # one description for each header
    return result


class StrictSerializerScheme(OpenApiSerializerExtension):
    """A StrictSerializer refuses fields it does not know (400): say so in the request schema."""

    target_class = "clinic.api.fields.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


class UniqueChoiceListScheme(OpenApiSerializerFieldExtension):
    """A list of distinct choices: a repeated value is refused (400)."""

    target_class = "clinic.api.fields.UniqueChoiceListField"

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        schema["uniqueItems"] = True
        return schema


class EventScheme(OpenApiSerializerExtension):
    """A change-feed event is one of several variants told apart by `type` (a discriminator),
    each with its own `data`: `IntakeCreatedEvent` and so on, built from the types the feed
    records and the `data` their apps register (clinic.api.feed_serializers.EVENT_DATA)."""

    target_class = "clinic.api.feed_serializers.EventSerializer"

    def map_serializer(self, auto_schema, direction):
        from clinic.api.feed_serializers import EVENT_DATA, EVENT_TYPES

        base = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        variants, mapping = [], {}
        for event_type in EVENT_TYPES:
            name = "".join(word.capitalize() for word in re.split(r"[._]", event_type)) + "Event"
            data: dict[str, Any] = {"type": "object", "additionalProperties": {}}
            if event_type in EVENT_DATA:  # tests/api/test_schema.py checks every type has one
                data = auto_schema.resolve_serializer(EVENT_DATA[event_type], direction).ref
            properties = {
                **base["properties"],
                "type": {"type": "string", "enum": [event_type], "readOnly": True},
                "data": {"allOf": [data], "readOnly": True} if "$ref" in data else data,
            }
            component = ResolvedComponent(
                name=name,
                type=ResolvedComponent.SCHEMA,
                object=name,
                schema={**base, "properties": properties},
            )
            auto_schema.registry.register_on_missing(component)
            variants.append(component.ref)
            mapping[event_type] = component.ref["$ref"]
        return {"oneOf": variants, "discriminator": {"propertyName": "type", "mapping": mapping}}


class _CredentialScheme(OpenApiAuthenticationExtension):
    """Each credential the API accepts, as an OpenAPI security scheme: sent `where` as `field`."""

    where = "header"
    field = "Authorization"
    description = ""

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": self.where, "name": self.field,
                "description": self.description}  # fmt: skip


class ApiKeyAuthenticationScheme(_CredentialScheme):
    target_class = "clinic.api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"
    description = "`Api-Key <key>`: a reception system's key for one clinic branch."


class StaffTokenScheme(_CredentialScheme):
    target_class = "clinic.api.authentication.StaffTokenAuthentication"
    name = "StaffToken"
    description = "`Token <token>` from POST /api/v1/auth/tokens/ (staff; expires)."


class StaffSessionScheme(_CredentialScheme):
    target_class = "clinic.api.authentication.StaffSessionAuthentication"
    name = "StaffSession"
    where, field = "cookie", "sessionid"
    description = "A staff member signed in to the admin (unsafe methods need the CSRF token)."


def list_schema(summary: str, serializer: type[serializers.Serializer], description: str) -> Any:
    """The schema of a viewset's paginated `list`, for `@extend_schema_view(list=...)`. Its
    400 is a page that does not exist or a bad page size (clinic/api/pagination.py), or a bad
    filter."""
    return extend_schema(
        summary=summary,
        description=description,
        responses={200: serializer(many=True), **error_responses(400, *READ_ERRORS)},
    )


def paper_responses() -> dict[Any, Any]:
    """The responses of a printable page: the HTML page or, by `Accept`, its PDF; a 503 when
    the server cannot make PDFs (clinic/printable.py)."""
    return {
        (200, "text/html"): OpenApiTypes.STR,
        (200, "application/pdf"): OpenApiTypes.BINARY,
        **error_responses(*READ_ERRORS, 404, 503),
    }
