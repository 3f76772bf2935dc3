"""Where one API request's time goes, in-process, against the load test's database.

    .venv/bin/python bench/http_profile.py intake-post [-n 300] [--top 40]

Runs the same request as bench/http_load.py (same settings, database `clinic_load`, keys and
bodies; run http_load.py once first to create and seed it) N times through django.test.Client,
one at a time, and prints per request:

- wall time and this process's CPU time (the rest is waiting: PostgreSQL, Redis);
- the SQL, grouped by what it is for, with count and time per request (client-side wall time:
  round trip plus PostgreSQL's work);
- the time inside each deliberate part (authentication, throttling, idempotency, audit,
  change-feed events, the engine...), inclusive, measured by wrapping those functions here;
- pyinstrument's profile: the frames with the most own time, and with the most inclusive
  time (what a frame and everything it calls took).

Requests: intake-post, evaluate, intake-list, baseline-insert, baseline-list, guarded-insert,
guarded-list (see bench/baseline/views.py), and the peer's peer-post and peer-list (bench/peer/:
run against its own settings and database, `clinic_load_peer`, with its own parts).
Nothing here changes the app: the wrappers exist only in this process.
"""

import argparse
import functools
import importlib
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import http_load  # noqa: E402

# (label, module, attribute path): wrapped with an inclusive timer. Names imported into a
# module are wrapped where they are looked up.
PARTS = (
    ("authentication (API key lookup)", "rest_framework.views", "APIView.perform_authentication"),
    ("throttling (Redis get + set)", "rest_framework.views", "APIView.check_throttles"),
    ("input validation (serializer)", "rest_framework.serializers", "BaseSerializer.is_valid"),
    ("idempotency: request hash", "clinic.idempotency", "_request_hash"),
    ("idempotency: claim key", "clinic.idempotency", "_claim"),
    ("intake_create (all)", "triage.services", "intake_create"),
    ("  engine evaluate", "triage.services", "evaluate"),
    ("  patient insert-or-keep", "triage.services", "_patient_for_intake"),
    ("  referral_open (all)", "triage.hooks", "open_referral._impl"),
    ("  change-feed write (lock, INSERT)", "clinic.events", "_write"),
    ("triage_evaluate (engine)", "triage.services", "triage_evaluate"),
    ("list: paginate (page with its count)", "rest_framework.generics",
     "GenericAPIView.paginate_queryset"),
    ("list: latest reviews", "triage.selectors", "latest_reviews"),
    ("list: items (IntakeListItems)", "triage.api.serializers", "IntakeListItems.__call__"),
    ("list: filterset (django-filter)", "django_filters.rest_framework.backends",
     "DjangoFilterBackend.filter_queryset"),
    ("  prefetch referrals, reviews", "django.db.models.query", "prefetch_related_objects"),
    ("list: serialize page", "rest_framework.serializers", "ListSerializer.to_representation"),
    ("output: IntakeSerializer", "triage.api.serializers", "IntakeSerializer.to_representation"),
    ("  get_referral", "triage.api.serializers", "IntakeSerializer.get_referral"),
    ("  get_review", "triage.api.serializers", "IntakeSerializer.get_review"),
    ("audit record", "clinic.audit", "record"),
    ("JSON render", "clinic.api.renderers", "JSONRenderer.render"),
    ("whole request (middleware in)", "clinic.request_context", "RequestIdMiddleware.__call__"),
)  # fmt: skip

# The same for the peer (bench/peer/), whose process never imports the app.
PEER_PARTS = (
    ("authentication (token lookup)", "rest_framework.views", "APIView.perform_authentication"),
    ("throttling (Redis get + set)", "rest_framework.views", "APIView.check_throttles"),
    ("input validation (serializer)", "rest_framework.serializers", "BaseSerializer.is_valid"),
    ("create (transaction, all)", "bench.peer.intakes.serializers", "IntakeSerializer.create"),
    ("  grade", "bench.peer.intakes.serializers", "grade"),
    ("  patient get_or_create", "django.db.models.query", "QuerySet.get_or_create"),
    ("list: paginate (count, page)", "rest_framework.generics", "GenericAPIView.paginate_queryset"),
    ("serialize: list page", "rest_framework.serializers", "ListSerializer.to_representation"),
    ("serialize: each intake", "bench.peer.intakes.serializers",
     "IntakeSerializer.to_representation"),
    ("JSON render", "rest_framework.renderers", "JSONRenderer.render"),
    ("whole request (handler in)", "django.core.handlers.base", "BaseHandler.get_response"),
)  # fmt: skip

SQL_KINDS = (
    ("pg_advisory_xact_lock (feed lock)", r"pg_advisory_xact_lock"),
    ("health check SELECT 1", r"^SELECT 1$"),
    ("BEGIN / COMMIT / SAVEPOINT", r"^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)"),
    ("api key SELECT", r'FROM "clinic_apikey"'),
    ("idempotency INSERT/UPDATE", r'"clinic_idempotencyrecord"'),
    ("audit INSERTs", r'"clinic_audit(event|patient)"'),
    ("event INSERT", r'INTO "clinic_event"'),
    ("COUNT(*)", r"^SELECT COUNT\(\*\)"),  # a count of its own, not one inside a page
    ("list page SELECT", r'FROM "triage_intake"'),
    ("patient SELECT/INSERT", r'"triage_patient" '),
    ("intake/assessment INSERT", r'INTO "triage_(intake|assessment)"'),
    ("referral + history INSERT", r'INTO "referrals_referral'),
    ("prefetch referrals/reviews", r'FROM "(referrals_referral|triage_review)"'),
    ("baseline INSERT", r"bench_baseline_row"),
    ("peer: token SELECT", r'FROM "authtoken_token"'),
    ("peer: intake INSERT", r'INTO "intakes_intake"'),
    ("peer: list page SELECT", r'FROM "intakes_intake"'),
    ("peer: patient SELECT/INSERT", r'"intakes_patient"'),
    ("other", r""),
)


def wrap_parts(totals: Counter, counts: Counter, cpu: Counter, parts=PARTS) -> None:
    for label, module_name, attr in parts:
        owner = importlib.import_module(module_name)
        *path, name = attr.split(".")
        for step in path:
            owner = getattr(owner, step)
        original = getattr(owner, name)

        def timed(*args, __original=original, __label=label, **kwargs):
            started, cpu_started = time.perf_counter(), time.thread_time()
            try:
                return __original(*args, **kwargs)
            finally:
                totals[__label] += time.perf_counter() - started
                cpu[__label] += time.thread_time() - cpu_started
                counts[__label] += 1

        setattr(owner, name, functools.wraps(original)(timed))


def sql_timer(totals: Counter, counts: Counter):
    patterns = [(label, re.compile(pattern)) for label, pattern in SQL_KINDS]

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            label = next(label for label, pattern in patterns if pattern.search(sql))
            totals[label] += time.perf_counter() - started
            counts[label] += 1

    return wrapper


def backend_cpu(pid: int | None) -> float | None:
    """CPU seconds used so far by the PostgreSQL backend serving this process's connection,
    when PostgreSQL runs on this machine (its /proc entry is readable)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "request",
        choices=(
            "intake-post",
            "evaluate",
            "intake-list",
            "baseline-insert",
            "baseline-list",
            "guarded-insert",
            "guarded-list",
            "peer-post",
            "peer-list",
        ),
    )
    parser.add_argument("-n", type=int, default=300, help="requests measured (after 30 warm-up)")
    parser.add_argument("--top", type=int, default=40, help="frames shown per profile table")
    parser.add_argument("--no-idempotency-key", action="store_true")
    parser.add_argument(
        "--sql", action="store_true", help="print the statements of one request, then stop"
    )
    parser.add_argument("--sql-width", type=int, default=150, help="characters per statement")
    parser.add_argument(
        "--settings",
        default="bench.baseline.settings",
        help="settings module (for experiments: one that imports bench.baseline.settings)",
    )
    args = parser.parse_args()

    sys.argv = [sys.argv[0]]
    url = http_load.configure_environment(args.settings)
    bodies = http_load.request_bodies()
    peer = args.request.startswith("peer-")
    parts = PEER_PARTS if peer else PARTS
    if peer:  # the peer's settings and database, as its gunicorn has them; the app untouched
        os.environ.update(http_load.PEER_ENV)
        http_load.ensure_database(http_load.PEER_ENV["PEER_DATABASE_URL"])
        peer_token = http_load.prepare_peer(5000)["token"]  # migrates; seeds only if it has to
        http_load.maintain_peer()  # drops earlier POSTs' intakes, VACUUM (ANALYZE), CHECKPOINT
        import django

        django.setup()
        list_key = write_key = list_branch_id = None
    else:
        http_load.ensure_database(url)
        db = http_load.prepare_database(5000, bodies)  # migrates; seeds only if it has to
        http_load.maintain()  # VACUUM (ANALYZE), CHECKPOINT
        list_key, write_key, list_branch_id = db["list_key"], db["write_key"], db["list_branch_id"]
    bodies = [text for _, text in bodies]

    from django.db import connection
    from django.test import Client
    from pyinstrument import Profiler

    client = Client(HTTP_HOST="127.0.0.1") if peer else Client()  # the peer's ALLOWED_HOSTS
    tag = f"P{os.getpid()}{int(time.time())}"
    seq = iter(range(10**9))

    def send():
        n = next(seq)
        body = bodies[n % len(bodies)].replace("__UNIQUE__", f"{tag}-{n}")
        write = {"HTTP_AUTHORIZATION": f"Api-Key {write_key}"}
        if peer:
            token = {"HTTP_AUTHORIZATION": f"Token {peer_token}"}
            if args.request == "peer-post":
                return client.post("/api/intakes/", body, "application/json", **token)
            return client.get("/api/intakes/", **token)
        if args.request == "intake-post":
            headers = dict(write)
            if not args.no_idempotency_key:
                headers["HTTP_IDEMPOTENCY_KEY"] = f"{tag}-{n}"
            return client.post("/api/v1/intakes/", body, "application/json", **headers)
        if args.request == "evaluate":
            return client.post("/api/v1/triage/evaluate/", body, "application/json", **write)
        if args.request == "intake-list":
            return client.get("/api/v1/intakes/", HTTP_AUTHORIZATION=f"Api-Key {list_key}")
        if args.request == "baseline-insert":
            return client.post("/bench/baseline/insert/", body, "application/json")
        if args.request == "guarded-insert":
            return client.post("/bench/guarded/insert/", body, "application/json", **write)
        if args.request == "guarded-list":
            return client.get("/bench/guarded/list/", HTTP_AUTHORIZATION=f"Api-Key {list_key}")
        return client.get(f"/bench/baseline/list/?branch={list_branch_id}")

    for _ in range(30):
        response = send()
        assert 200 <= response.status_code < 300, (response.status_code, response.content[:300])

    if args.sql:
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            send()
        for number, query in enumerate(queries.captured_queries, 1):
            print(f"{number:3} {query['time']:>6}s  {query['sql'][: args.sql_width]}")
        return

    # 1. Timers (wall and CPU, SQL by kind, parts), without the profiler's overhead.
    part_time, part_count, sql_time, sql_count = Counter(), Counter(), Counter(), Counter()
    part_cpu: Counter = Counter()
    wrap_parts(part_time, part_count, part_cpu, parts)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), pg_current_wal_insert_lsn()")
        backend_pid, wal_before = cursor.fetchone()
    with open("/proc/stat") as stat:
        busy_before = [int(v) for v in stat.readline().split()[1:]]
    backend_before = backend_cpu(backend_pid)
    wall_started, cpu_started = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(sql_timer(sql_time, sql_count)):
        for _ in range(args.n):
            send()
    wall = (time.perf_counter() - wall_started) / args.n
    cpu = (time.process_time() - cpu_started) / args.n
    backend_after = backend_cpu(backend_pid)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn() - %s::pg_lsn", [wal_before])
        wal_bytes = float(cursor.fetchone()[0]) / args.n
    with open("/proc/stat") as stat:
        busy_after = [int(v) for v in stat.readline().split()[1:]]
    delta = [a - b for a, b in zip(busy_after, busy_before, strict=True)]
    machine_busy = 1 - (delta[3] + delta[4]) / sum(delta[:8])

    n = args.n
    print(f"{args.request}: {n} requests, one at a time, django.test.Client in-process")
    print(f"  per request: wall {wall * 1000:.2f} ms, this process's CPU {cpu * 1000:.2f} ms")
    if backend_before is not None and backend_after is not None:
        used = (backend_after - backend_before) / args.n
        print(f"  PostgreSQL backend's CPU per request: {used * 1000:.2f} ms (pid {backend_pid})")
    print(f"  WAL written per request: {wal_bytes / 1024:.1f} KiB (the whole server's, meanwhile)")
    print(f"  machine busy meanwhile: {machine_busy:.0%} of {os.cpu_count()} cores (all processes)")
    sql_total = sum(sql_time.values())
    print(
        f"\nSQL per request: {sum(sql_count.values()) / n:.1f} statements, "
        f"{sql_total / n * 1000:.2f} ms ({sql_total / n / wall:.0%} of wall)"
    )
    for label, spent in sql_time.most_common():
        print(
            f"  {label:<36} {sql_count[label] / n:5.1f} x  {spent / n * 1000:7.3f} ms  "
            f"{spent / n / wall:5.1%}"
        )
    print(
        "\nparts per request (inclusive, nested parts indented): calls, wall ms, share of "
        "wall, CPU ms, share of CPU"
    )
    for label, _, _ in parts:
        if part_count[label]:
            spent, used = part_time[label] / n, part_cpu[label] / n
            print(
                f"  {label:<38} {part_count[label] / n:5.1f} x  {spent * 1000:7.3f} ms "
                f"{spent / wall:6.1%}  {used * 1000:7.3f} ms {used / cpu:6.1%}"
            )

    # 2. The profile.
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for _ in range(n):
        send()
    profiler.stop()
    session = profiler.last_session
    root = session.root_frame() if session else None
    if root is None:
        return
    total = root.time or 1.0
    own: Counter = Counter()
    inclusive: Counter = Counter()
    stack = [(root, frozenset())]
    while stack:
        frame, above = stack.pop()
        key = f"{frame.function}  {frame.file_path_short}:{frame.line_no}"
        own[key] += frame.total_self_time
        if key not in above:  # recursion: count the outermost call only
            inclusive[key] += frame.time
        stack.extend((child, above | {key}) for child in frame.children)
    print(f"\npyinstrument, {n} more requests: own time (top {args.top})")
    for key, spent in own.most_common(args.top):
        print(f"  {spent / total:6.1%}  {key}")
    print(f"\ninclusive time, below the view (top {args.top}; frames of 95% and more left out)")
    shown = 0
    for key, spent in inclusive.most_common():
        if spent / total >= 0.95:
            continue
        print(f"  {spent / total:6.1%}  {key}")
        shown += 1
        if shown >= args.top:
            break


if __name__ == "__main__":
    main()
