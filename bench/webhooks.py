"""Webhook latency and recovery: from an intake's commit to its delivery at a receiver.

    .venv/bin/python bench/webhooks.py [--rate 50] [--seconds 30] [--down 600] [--slow 8]
        [--port-base N]

Needs PostgreSQL and Redis, like CI's (DATABASE_URL, default `clinic_bench_hooks` on
127.0.0.1, created and migrated if missing; REDIS_URL, default redis://127.0.0.1:6379/10).
Starts gunicorn (2 gthread workers x 4 threads, as deployed on 2 cores), the Procfile's two
Celery workers (`worker:` with the sweep's beat, concurrency 2; `webhooks:`, 16 threads) and a
receiver on a loopback port (bench/webhook_receiver.py), subscribed to `intake.created` and
`assessment.created`. Then:

1. steady: intakes posted at --rate per second for --seconds (open loop: each on its own
   schedule, whatever the answers' speed), until every event is delivered; prints p50 / p99 of
   the delay from the event's commit (its `occurred_at`, written just before the commit, so the
   figure errs long) to its arrival, beside the targets (p50 < 1 s, p99 < 3 s), and of the
   intake POSTs' answers;
2. slow (--slow SECONDS; 0, the default, to skip): a second endpoint is subscribed and the
   steady run is made twice more: its receiver answering at once, then holding every request
   that long (slow, within the 10 s timeout); prints the first endpoint's commit-to-delivery
   p50 / p99 and the intake POSTs' p50 / p99 of the three runs side by side (one endpoint, a
   second one fast, a second one slow). The second endpoint is removed afterwards (its
   backlog with it);
3. down (--down SECONDS; 0 to skip): the receiver is killed, intakes are posted at --rate for
   that long, the receiver comes back, and the run waits for every event: prints how many were
   lost (must be 0), how many arrived twice (allowed only under the same webhook-id), and how
   long the backlog took to arrive once the receiver was back.

--port-base N puts gunicorn and the receivers on ports N, N+1 and N+2 instead of free ones.

Every process it starts is stopped at the end, whatever happens.
"""

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
TARGET_P50, TARGET_P99 = 1.0, 3.0
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/clinic_bench_hooks"
ANSWERS: dict = {}  # a valid set of answers with no findings, filled in by main()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="intakes per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the steady run")
    parser.add_argument(
        "--down",
        type=float,
        default=600.0,
        help="seconds the receiver is down in the second run (0: skip it)",
    )
    parser.add_argument("--wait", type=float, default=900.0,
                        help="at most this long for every event to arrive, per run")  # fmt: skip
    parser.add_argument("--slow", type=float, default=0.0,
                        help="seconds a second receiver holds each request (0: skip)")  # fmt: skip
    parser.add_argument("--port-base", type=int, default=0,
                        help="ports N..N+2 for gunicorn, receivers (0: free ones)")  # fmt: skip
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_database(url: str) -> None:
    sys.path.insert(0, str(ROOT))
    from bench.http_load import ensure_database as create

    create(url)


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path):
    with log.open("ab") as out:
        proc = subprocess.Popen(  # noqa: S603 (our own interpreter and scripts)
            args, cwd=ROOT, env=env, stdout=out, stderr=out,
                                start_new_session=True)  # fmt: skip
    try:
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_http(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{url} did not come up; see {log}") from None
            time.sleep(0.2)


def setup(env: dict[str, str], receiver_url: str) -> tuple[str, str]:
    """Migrate; a branch, its key and a webhook to the receiver. The key and the secret."""
    migrate = [PY, "manage.py", "migrate", "--noinput", "-v", "0"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True)  # noqa: S603 (our own manage.py)
    script = f"""
import json
from clinic import webhooks
from clinic.models import Branch, WebhookEndpoint
from clinic.services import api_key_create
WebhookEndpoint.objects.all().delete()
_, key = api_key_create(branch_slug="bench-hooks", name="bench")
_, secret = webhooks.webhook_create(branch=Branch.objects.get(slug="bench-hooks"),
    url={receiver_url!r}, event_types=["intake.created", "assessment.created"],
    description="bench", created_by="bench")
print(json.dumps([key, secret]))
"""
    out = subprocess.run([PY, "manage.py", "shell", "-c", script], cwd=ROOT, env=env,  # noqa: S603
                         check=True, capture_output=True, text=True).stdout  # fmt: skip
    key, secret = json.loads(out.strip().splitlines()[-1])
    return key, secret


def intake(n: int, tag: str) -> bytes:
    born = (datetime.now(UTC).date() - timedelta(days=40 * 365)).isoformat()
    body = {"patient": {"external_id": f"HOOK-{tag}-{n}", "date_of_birth": born,
                        "sex": "female"}, "answers": ANSWERS}  # fmt: skip
    return json.dumps(body).encode()


def post_at_rate(
    base: str, key: str, rate: float, seconds: float, tag: str
) -> tuple[int, int, list[float]]:
    """Open loop: intake n goes at start + n / rate, each from a thread of its own pool. The
    201s, the failures, and how long each 201 took to answer (sorted)."""
    from concurrent.futures import ThreadPoolExecutor

    total = int(rate * seconds)
    ok = failed = 0
    answered: list[float] = []
    lock = threading.Lock()

    def send(n: int) -> None:
        nonlocal ok, failed
        request = urllib.request.Request(  # noqa: S310 (loopback)
            f"{base}/api/v1/intakes/", data=intake(n, tag), method="POST",
            headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json"},
        )  # fmt: skip
        sent = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                response.read()
                good = response.status == 201
        except OSError:
            good = False
        took = time.monotonic() - sent
        with lock:
            ok, failed = ok + good, failed + (not good)
            if good:
                answered.append(took)

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        for n in range(total):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(send, n)
    return ok, failed, sorted(answered)


def received(record: Path) -> list[dict]:
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text().splitlines() if line.strip()]


def wait_for(record: Path, expected: int, seconds: float) -> float | None:
    """Until `expected` distinct webhook-ids have arrived: when the last one did, or None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = received(record)
        if len({r["headers"]["webhook-id"] for r in got}) >= expected:
            return max(r["at"] for r in got)
        time.sleep(0.5)
    return None


def latencies(records: list[dict]) -> list[float]:
    first: dict[str, dict] = {}
    for r in records:
        first.setdefault(r["headers"]["webhook-id"], r)
    out = []
    for r in first.values():
        occurred = datetime.fromisoformat(json.loads(r["body"])["data"]["occurred_at"])
        out.append(r["at"] - occurred.timestamp())
    return sorted(out)


def percentile(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def summary(records: list[dict], secret: str) -> tuple[int, int, int]:
    """(distinct ids, repeats, bad signatures); repeats must carry the same body."""
    from standardwebhooks import Webhook
    from standardwebhooks.webhooks import WebhookVerificationError

    verifier, bodies, repeats, bad = Webhook(secret), {}, 0, 0
    for r in records:
        try:
            verifier.verify(r["body"], r["headers"])
        except WebhookVerificationError:
            bad += 1  # (also a timestamp over 5 minutes old by the time this runs)
        wid = r["headers"]["webhook-id"]
        if wid in bodies:
            repeats += 1
            assert bodies[wid] == r["body"], "a repeat under the same id with another body"
        bodies[wid] = r["body"]
    return len(bodies), repeats, bad


def subscribe(env: dict[str, str], url: str) -> str:
    """Subscribe another endpoint of the bench's branch to `url`; its id."""
    script = f"""
from clinic import webhooks
from clinic.models import Branch
endpoint, _ = webhooks.webhook_create(branch=Branch.objects.get(slug="bench-hooks"),
    url={url!r}, event_types=["intake.created", "assessment.created"],
    description="bench slow", created_by="bench")
print(endpoint.pk)
"""
    out = subprocess.run([PY, "manage.py", "shell", "-c", script], cwd=ROOT, env=env,  # noqa: S603
                         check=True, capture_output=True, text=True).stdout  # fmt: skip
    return out.strip().splitlines()[-1]


def unsubscribe(env: dict[str, str], endpoint_id: str) -> None:
    script = (
        "from clinic.models import WebhookEndpoint\n"
        f"WebhookEndpoint.objects.filter(pk={endpoint_id!r}).delete()"
    )
    subprocess.run([PY, "manage.py", "shell", "-c", script], cwd=ROOT, env=env,  # noqa: S603
                   check=True, capture_output=True)  # fmt: skip


def steady_run(base: str, key: str, secret: str, args: argparse.Namespace, tag: str,
               record: Path) -> dict[str, float]:  # fmt: skip
    """Intakes at --rate for --seconds, until the receiver writing `record` has every event;
    prints what it saw, returns the p50 / p99 figures."""
    ok, failed, answered = post_at_rate(base, key, args.rate, args.seconds, tag)
    last = wait_for(record, 2 * ok, args.wait)
    records = received(record)
    distinct, repeats, bad = summary(records, secret)
    lat = latencies(records)
    print(f"  intakes 201: {ok}, failed: {failed}; events expected {2 * ok}, delivered "
          f"{distinct}, repeats {repeats}, bad signatures {bad}"
          + ("" if last else "  (NOT all delivered in time)"))  # fmt: skip
    figures: dict[str, float] = {}
    if lat:
        p50, p99 = percentile(lat, 50), percentile(lat, 99)
        figures.update(delivery_p50=p50, delivery_p99=p99)
        print(f"  commit -> delivery: p50 {p50:.3f} s (target < {TARGET_P50:g} s: "
              f"{'met' if p50 < TARGET_P50 else 'MISSED'}), p99 {p99:.3f} s (target < "
              f"{TARGET_P99:g} s: {'met' if p99 < TARGET_P99 else 'MISSED'}), max "
              f"{lat[-1]:.3f} s")  # fmt: skip
    if answered:
        figures.update(post_p50=percentile(answered, 50), post_p99=percentile(answered, 99))
        print(f"  intake POST answered: p50 {figures['post_p50']:.3f} s, "
              f"p99 {figures['post_p99']:.3f} s, max {answered[-1]:.3f} s")  # fmt: skip
    return figures


def main() -> None:
    args = parse_args()
    database_url = os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clinic_bench_hooks"
    )
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/10")
    if not database_url.startswith("postgres"):
        raise SystemExit("PostgreSQL only (DATABASE_URL=postgres://...)")
    ensure_database(database_url)
    var = Path(tempfile.mkdtemp(prefix="bench-hooks-"))
    log = var / "processes.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DJANGO_ENV="development", DJANGO_DEBUG="false", LOG_LEVEL="WARNING",
               DATABASE_URL=database_url, REDIS_URL=redis_url, CELERY_BROKER_URL=redis_url,
               CLINIC_VAR_DIR=str(var), DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
               THROTTLE_CALLER_RATE="1000000/min", WEBHOOK_SWEEP_SECONDS="1",
               CACHE_KEY_PREFIX=f"bench-hooks-{secrets.token_hex(4)}")  # fmt: skip
    sys.path.insert(0, str(ROOT))
    from tests.engine.builders import baseline_answers  # a valid set of answers, no findings

    ANSWERS.update(baseline_answers())
    if args.port_base:
        wport, rport, sport = args.port_base, args.port_base + 1, args.port_base + 2
    else:
        wport, rport, sport = free_port(), free_port(), free_port()
    receiver_url = f"http://127.0.0.1:{rport}/hook"
    key, secret = setup(env, receiver_url)
    receiver_args = [PY, str(ROOT / "bench" / "webhook_receiver.py"), str(rport)]
    print(f"PostgreSQL {database_url.rsplit('/', 1)[-1]}, Redis {redis_url}; logs in {var}")

    with ExitStack() as stack:
        warm = var / "warm.jsonl"
        receiver = stack.enter_context(process([*receiver_args, str(warm)], env, log))
        web = stack.enter_context(process(
            [PY, "-m", "gunicorn", "clinic.wsgi", "--bind", f"127.0.0.1:{wport}", "--workers",
             "2", "--threads", "4", "--worker-class", "gthread"], env, log))  # fmt: skip
        # The Procfile's two workers: replays and the beat; webhook deliveries on threads.
        stack.enter_context(process(
            [PY, "-m", "celery", "-A", "clinic", "worker", "-B", "-Q", "celery", "-n",
             "bench-worker@%h", "--concurrency", "2", "--loglevel", "WARNING"],
            env, log))  # fmt: skip
        stack.enter_context(process(
            [PY, "-m", "celery", "-A", "clinic", "worker", "-Q", "webhooks", "-n",
             "bench-webhooks@%h", "-P", "threads", "--concurrency", "16", "--loglevel",
             "WARNING"], env, log))  # fmt: skip
        base = f"http://127.0.0.1:{wport}"
        wait_http(f"{base}/healthz", web, log)
        time.sleep(3)  # the workers connect to the broker
        # Two seconds' worth first, not counted: the first requests of a fresh server and
        # workers (imports, connections) would weigh on whichever run came first.
        warmed, _, _ = post_at_rate(base, key, args.rate, 2, "warm")
        wait_for(warm, 2 * warmed, args.wait)
        stop(receiver)
        print(f"warm-up: {warmed} intakes, not counted")

        steady = var / "steady.jsonl"
        receiver = stack.enter_context(process([*receiver_args, str(steady)], env, log))
        time.sleep(1)  # listening
        print(f"\nsteady: {args.rate:g} intakes/s for {args.seconds:g} s")
        without = steady_run(base, key, secret, args, "steady", steady)
        stop(receiver)

        if args.slow > 0:
            # Against the same two endpoints, the second receiver answering at once and then
            # holding each request: the difference is the slowness alone, not the second
            # endpoint's own deliveries.
            second_url = f"http://127.0.0.1:{sport}/hook"
            second_args = [PY, str(ROOT / "bench" / "webhook_receiver.py"), str(sport)]
            second_endpoint = subscribe(env, second_url)
            columns: list[dict[str, float]] = []
            for hold in (0.0, args.slow):
                kind = f"holds each request {hold:g} s" if hold else "answers at once"
                print(f"\nslow: the same, with a second endpoint whose receiver {kind}")
                first_record = var / f"first-{hold:g}.jsonl"
                second_record = var / f"second-{hold:g}.jsonl"
                receiver = stack.enter_context(
                    process([*receiver_args, str(first_record)], env, log)
                )
                second = stack.enter_context(process(
                    [*second_args, str(second_record), str(hold)], env, log))  # fmt: skip
                time.sleep(1)  # both listening
                columns.append(steady_run(base, key, secret, args, "slow", first_record))
                if hold:
                    got = len(received(second_record))
                    print(f"  the slow receiver got {got} requests meanwhile")
                else:
                    arrived = {r["headers"]["webhook-id"] for r in received(first_record)}
                    wait_for(second_record, len(arrived), args.wait)
                stop(second)
                stop(receiver)
            unsubscribe(env, second_endpoint)
            print(f"\n  {'':36}{'one endpoint':>14}{'+ fast endpoint':>17}"
                  f"{'+ slow endpoint':>17}")  # fmt: skip
            for name, label in (("delivery_p50", "first endpoint commit->delivery p50"),
                                ("delivery_p99", "first endpoint commit->delivery p99"),
                                ("post_p50", "intake POST p50"),
                                ("post_p99", "intake POST p99")):  # fmt: skip
                shown = [f"{c[name]:.3f} s" if name in c else "-" for c in (without, *columns)]
                print(f"  {label:36}{shown[0]:>14}{shown[1]:>17}{shown[2]:>17}")

        if args.down > 0:
            print(f"\ndown: receiver down for {args.down:g} s while {args.rate:g} intakes/s "
                  "are posted, then back")  # fmt: skip
            down = var / "down.jsonl"
            ok2, failed2, _ = post_at_rate(base, key, args.rate, args.down, "down")
            back = time.time()
            stack.enter_context(process([*receiver_args, str(down)], env, log))
            last = wait_for(down, 2 * ok2, args.wait)
            records = received(down)
            distinct, repeats, bad = summary(records, secret)
            print(f"  intakes 201: {ok2}, failed: {failed2}; events expected {2 * ok2}, "
                  f"delivered {distinct}, lost {2 * ok2 - distinct}, repeats (same webhook-id) "
                  f"{repeats}, bad signatures {bad}")  # fmt: skip
            if last:
                print(f"  every event arrived {last - back:.1f} s after the receiver was back")
            else:
                print(f"  NOT all arrived within {args.wait:g} s of the receiver coming back")


if __name__ == "__main__":
    main()
