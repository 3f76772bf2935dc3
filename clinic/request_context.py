"""The request id: taken from a trusted-looking X-Request-ID or made up, echoed back, and
attached to every log line written while the request is handled."""

import contextvars
import logging
import re
import time
import uuid

from django.http import HttpRequest, HttpResponse

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
actor_var: contextvars.ContextVar[str] = contextvars.ContextVar("actor", default="-")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_log = logging.getLogger("clinic.access")


class RequestIdMiddleware:
    """Also writes one access line per request: method, route pattern (never the raw path or
    its query string), status, duration and who called. No patient data."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        actor_token = actor_var.set("-")
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            match = getattr(request, "resolver_match", None)
            access_log.info(
                "request",
                extra={
                    "method": request.method,
                    "route": match.route.replace("^", "").replace("$", "") if match else "-",
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "actor": actor_var.get(),
                },
            )
            return response
        finally:
            actor_var.reset(actor_token)
            request_id_var.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True
