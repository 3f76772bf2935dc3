"""Calling the WSGI application in process, on the test's own database connection."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.signals import request_finished, request_started
from django.db import close_old_connections


@contextmanager
def in_process_requests() -> Iterator[None]:
    """The application runs inside the test's transaction: like Django's test client, keep the
    request signals from closing the connection it shares with the test."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
