"""Which gunicorn worker served a response, for bench/loadgen.py's connection balancing."""

import os
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


def served_by(get_response: Callable[[HttpRequest], HttpResponse]):
    """Add `X-Served-By: <worker pid>` to every response (benchmark server only)."""
    pid = str(os.getpid())

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response["X-Served-By"] = pid
        return response

    return middleware
