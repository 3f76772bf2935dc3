"""A slow receiver neither slows an intake POST nor holds up another endpoint's deliveries, as
deployed: gunicorn and the Procfile's two workers (`worker:`, `webhooks:` with only two
threads here, so that a slow receiver allowed more than one would starve the fast one) on
PostgreSQL and Redis, and two receivers in threads of this test: one that holds every request
until the test releases it, one that answers at once."""

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from standardwebhooks import Webhook

from clinic import webhooks
from clinic.models import Branch, Event, WebhookDelivery
from clinic.services import api_key_create
from tests.conftest import intake_body
from tests.multiprocess.servers import app_server, call
from tests.multiprocess.test_celery_worker import _worker_env
from tests.multiprocess.test_webhooks import start_worker, stop_worker

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

DEADLINE_SECONDS = 240
INTAKES = 10


@dataclass
class Receiver:
    url: str = ""
    requests: list[tuple[dict[str, str], str]] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    held: threading.Event = field(default_factory=threading.Event)  # one is being held
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> set[str]:
        with self.lock:
            return {headers["webhook-id"] for headers, _ in self.requests}


@contextmanager
def receiver(release: threading.Event | None) -> Iterator[Receiver]:
    """A receiver on a free loopback port. With `release`, every request is held until it is
    set: the status line goes at once, then a header line every 3 seconds (each well within
    the sender's 10 s socket timeout, as a slow receiver within its limits would), and the end
    of the answer only once released. Without, each is answered 204 at once."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            headers = {k.lower(): v for k, v in self.headers.items()}
            with state.lock:
                state.requests.append((headers, body))
                state.in_flight += 1
                state.most_in_flight = max(state.most_in_flight, state.in_flight)
            self.wfile.write(b"HTTP/1.0 204 No Content\r\n")
            if release is not None:
                state.held.set()
                while not release.wait(3):
                    self.wfile.write(b"X-Still-Working: yes\r\n")
            # Counted out before the answer's last bytes go: the sender cannot have its answer,
            # and send the next request, before this one has left the count.
            with state.lock:
                state.in_flight -= 1
            self.wfile.write(b"Content-Length: 0\r\n\r\n")

        def log_message(self, *args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        if release is not None:
            release.set()
        server.shutdown()
        server.server_close()


def _wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.2)


def _verified(received: Receiver, secret: str) -> set[str]:
    """The webhook-ids received, every request's signature checked (standardwebhooks)."""
    verifier = Webhook(secret)
    ids = set()
    for headers, body in received.requests:
        payload = verifier.verify(body, headers)
        assert payload["data"]["id"] == int(headers["webhook-id"])
        ids.add(headers["webhook-id"])
    return ids


def test_a_slow_receiver_holds_up_neither_intakes_nor_another_endpoint(tmp_path):
    env = _worker_env(
        tmp_path,
        REDIS_URL=settings.REDIS_URL,
        DJANGO_SECRET_KEY=settings.SECRET_KEY,  # the same key decrypts the webhooks' secrets
        WEBHOOK_SWEEP_SECONDS="1",
        WEBHOOK_WORKER_CONCURRENCY="2",
        CACHE_KEY_PREFIX=f"isolation-{uuid.uuid4().hex}",
    )
    env["CELERY_BROKER_URL"] = settings.REDIS_URL
    _, key = api_key_create(branch_slug="north", name="desk")
    north = Branch.objects.get(slug="north")
    every_type = [value for value, _ in Event.TYPES]
    log = tmp_path / "processes.log"
    release = threading.Event()

    with receiver(release) as slow, receiver(None) as fast:
        slow_endpoint, slow_secret = webhooks.webhook_create(
            branch=north, url=slow.url, event_types=every_type, description="slow",
            created_by="test",
        )  # fmt: skip
        fast_endpoint, fast_secret = webhooks.webhook_create(
            branch=north, url=fast.url, event_types=every_type, description="fast",
            created_by="test",
        )  # fmt: skip
        beat = start_worker("worker", env, log)
        sender = start_worker("webhooks", env, log)
        try:
            with app_server(env, log=log) as base:

                def post(n: int) -> None:
                    reply = call(base, "POST", "/api/v1/intakes/", key,
                                 intake_body(external_id=f"SLOW-{n}"))  # fmt: skip
                    assert reply.status == 201, reply.body

                post(0)
                _wait_until(slow.held.is_set, "the slow receiver got its first request")
                # While it holds that request, intakes are still stored and answered at once:
                # their POST only writes the deliveries, it never waits on a receiver.
                for n in range(1, INTAKES):
                    post(n)

                expected = {
                    str(i) for i in Event.objects.filter(branch=north).values_list("id", flat=True)
                }
                assert len(expected) == 2 * INTAKES  # intake.created, assessment.created each
                _wait_until(
                    lambda: fast.ids() >= expected or len(slow.requests) > 1,
                    "the fast endpoint got every event",
                )

                # The fast endpoint has had everything while the slow one is still holding its
                # first request; the slow one's other deliveries waited their turn.
                assert not release.is_set()
                assert len(slow.requests) == 1
                assert _verified(fast, fast_secret) == expected

                release.set()
                _wait_until(lambda: slow.ids() >= expected, "the slow endpoint got every event")
                _wait_until(
                    lambda: not WebhookDelivery.objects.exclude(state="delivered").exists(),
                    "every delivery recorded as delivered",
                )
        finally:
            stop_worker(sender)
            stop_worker(beat)

    assert _verified(slow, slow_secret) == expected
    # Never two requests at once to one endpoint: one thread at most for the slow receiver.
    assert slow.most_in_flight == 1
    for endpoint in (slow_endpoint, fast_endpoint):
        assert endpoint.deliveries.filter(state="delivered").count() == len(expected)
    assert "Traceback" not in log.read_text()
