"""Server time of the review dashboard and the admin pages on a realistically large database.

    .venv/bin/python bench/admin_at_scale.py [--intakes 100000] [--runs 7] [--explain] [--profile]

Needs PostgreSQL: DATABASE_URL, by default postgres://postgres@127.0.0.1:5432/clinic_bench.
Creates that database if missing, migrates it, tops it up to --intakes intakes with
bench/seed.py, and runs VACUUM ANALYZE (what autovacuum would have done to a live database).
Then, in-process with django.test.Client, requests every page below as a clinician of `north`
and as a superuser: one warm-up, then --runs timed requests. Server time is the wall time of
client.get around the whole Django request (middleware, sessions, queries, templates), with no
network and no browser. The query count comes from one more request under
CaptureQueriesContext, so capturing never slows the timed ones. Target: median <= 300 ms.
--explain prints EXPLAIN ANALYZE of the slowest queries of each page that misses it (of every
page, with --only); --profile prints a pyinstrument profile of each such page.
"""

import argparse
import math
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import environ
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The pages, as a clinician and an admin open them. {patient}, {intake} and {referral} are
# filled with real records of the branch `north`. Filter names follow the admin's list_filter
# and change as it does: edit here.
URLS = [
    "/admin/dashboard/",
    "/admin/dashboard/?period=90",
    # The worklist searched and filtered (the dashboard's own filters).
    "/admin/dashboard/?q={patient}",
    "/admin/dashboard/?service=clinician_callback&urgency=urgent",
    "/admin/triage/intake/",
    "/admin/triage/intake/?assessment__disposition__exact=medical_referral",
    "/admin/triage/intake/?assessment__urgency__exact=emergency",
    "/admin/triage/intake/?q={patient}",
    "/admin/referrals/referral/",
    "/admin/referrals/referral/?status__exact=open",
    "/admin/referrals/referral/?overdue=yes",
    "/admin/triage/intake/{intake}/change/",
    "/admin/referrals/referral/{referral}/change/",
    "/admin/clinic/auditevent/",
    # The API at scale (as the same signed-in person): the filtered intake list and the feed.
    "/api/v1/intakes/",
    "/api/v1/intakes/?disposition=medical_referral",
    "/api/v1/intakes/?urgency=emergency&red_flags=true",
    "/api/v1/referrals/?overdue=true",
    "/api/v1/events/?limit=100",
    "/api/v1/events/?after={recent_event}&limit=100",
]
TARGET_MS = 300
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/clinic_bench"
CLINICIAN_BRANCH = "north"


def database_url() -> str:
    """DATABASE_URL, or the default; refuses anything but PostgreSQL."""
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        raise SystemExit(
            f"at_scale measures PostgreSQL, the production database, not "
            f"{config['ENGINE'].rsplit('.', 1)[-1]} ({url}).\n"
            f"Unset DATABASE_URL to use {DEFAULT_DATABASE_URL}."
        )
    os.environ["DATABASE_URL"] = url
    return url


def create_database_if_missing(url: str) -> bool:
    config = environ.Env.db_url_config(url)
    params = {
        "dbname": "postgres",
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
    return not exists


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intakes", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7, help="timed requests per page")
    parser.add_argument("--only", default="", help="only the URLs containing this text")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE slow pages")
    parser.add_argument("--profile", action="store_true", help="pyinstrument slow pages")
    args = parser.parse_args()

    url = database_url()
    created = create_database_if_missing(url)
    os.environ.setdefault("DJANGO_ENV", "development")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # no access line per request
    run(args, created)


def run(args, created: bool) -> None:
    # Imported here: bench.seed sets Django up, on the database chosen above.
    import django
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench import seed
    from bench.machine import cpu_model
    from clinic.models import ApiKey, Event
    from referrals.models import Referral
    from triage.models import Intake, Patient

    db = connection.settings_dict
    print(
        f"database: {db['NAME']} on {db['HOST']}:{db['PORT']}" + (" (created)" if created else "")
    )
    call_command("migrate", interactive=False, verbosity=0)
    have = Intake.objects.count()
    if have and not ApiKey.objects.filter(name=seed.KEY_NAME).exists():
        raise SystemExit(
            f"{db['NAME']} holds {have:,} intakes that bench/seed.py did not make: refusing to "
            "add to it or create users in it. Point DATABASE_URL at a scratch database."
        )
    if have < args.intakes:
        missing = args.intakes - have
        print(f"seeding {missing:,} intakes (the database has {have:,})", flush=True)
        started = time.perf_counter()
        seed.seed_database(intakes=missing, append=have > 0)
        print(f"seeded in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    print(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")

    users = get_user_model().objects
    if not users.filter(username=seed.clinician_username(CLINICIAN_BRANCH)).exists():
        seed.ensure_people(3)
    clinician = users.get(username=seed.clinician_username(CLINICIAN_BRANCH))
    superuser = users.get(username=seed.SUPERUSER)

    north = {"branch__slug": CLINICIAN_BRANCH}
    patient = (
        Patient.objects.filter(**north).annotate(n=Count("intakes")).order_by("-n", "id").first()
    )
    intake = (
        Intake.objects.filter(**north, reviews__isnull=False, referrals__isnull=False)
        .order_by("-submitted_at")
        .first()
    ) or Intake.objects.filter(**north).first()
    referral = (
        Referral.objects.filter(**north).annotate(n=Count("history")).order_by("-n", "id").first()
    )
    # A feed reader that is nearly up to date: a few hundred events behind the newest of the
    # branch. The feed accepts only a cursor it could have given the caller (an event they
    # can see), so the clinician of `north` gets one of north's.
    newest = Event.objects.filter(**north).order_by("-id").values_list("id", flat=True)
    recent_event = next(iter(newest[500:501]), 0)
    ids = {"patient": patient.external_id, "intake": intake.pk, "referral": referral.pk,
           "recent_event": recent_event}  # fmt: skip
    urls = [u.format(**ids) for u in URLS if args.only in u]

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        db_size = cursor.fetchone()[0]
    counts = seed.row_counts()

    print()
    print(f"date:     {datetime.now(UTC):%Y-%m-%d %H:%M UTC}")
    print(f"command:  {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"machine:  {os.cpu_count()} cores, {cpu_model()}, {platform.machine()}")
    print(f"software: PostgreSQL {pg_version}, Python {platform.python_version()}, "
          f"Django {django.get_version()}")  # fmt: skip
    print(f"data:     {db_size}; " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    print(f"records:  patient {ids['patient']} ({patient.n} intakes), intake {ids['intake']}, "
          f"referral {ids['referral']} ({referral.n} history rows)")  # fmt: skip
    print(f"method:   in-process django.test.Client, server time = wall time of client.get; "
          f"1 warm-up + {args.runs} runs per page; target median <= {TARGET_MS} ms")  # fmt: skip
    print()

    rows, slow = [], []
    for who, user in ((f"clinician@{CLINICIAN_BRANCH}", clinician), ("superuser", superuser)):
        client = Client()
        client.force_login(user)
        for url in urls:
            result = measure(client, url, args.runs, connection, CaptureQueriesContext)
            rows.append((who, url, *result))
            if args.only or (result[1] is not None and result[1] > TARGET_MS):
                slow.append((who, client, url))
    print_table(rows)

    if slow and (args.explain or args.profile):
        for who, client, url in slow:
            print(f"\n=== {who} {url}")
            if args.explain:
                explain(client, url, connection, CaptureQueriesContext)
            if args.profile:
                profile(client, url)


def measure(client, url, runs, connection, capture):
    """(status, median ms, p90 ms, max ms, queries, ms in those queries) of one page."""
    try:
        client.get(url)  # warm-up
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        with capture(connection) as queries:
            client.get(url)
    except Exception as error:  # a page that crashes is a result too
        return (f"EXC {type(error).__name__}", None, None, None, None, None)
    return (
        response.status_code,
        statistics.median(times),
        percentile(times, 0.9),
        max(times),
        len(queries),
        sum(float(q["time"]) for q in queries.captured_queries) * 1000,
    )


def print_table(rows) -> None:
    header = ("user", "url", "status", "median ms", "p90 ms", "max ms", "queries", "db ms",
              "300 ms")  # fmt: skip
    cells = []
    for who, url, status, median, p90, worst, queries, db_ms in rows:
        verdict = "-" if median is None else "PASS" if median <= TARGET_MS else "MISS"

        def ms(value):
            return "-" if value is None else f"{value:,.0f}"

        cells.append((who, url, str(status), ms(median), ms(p90), ms(worst),
                      "-" if queries is None else str(queries), ms(db_ms), verdict))  # fmt: skip
    widths = [max(len(str(row[i])) for row in [header, *cells]) for i in range(len(header))]
    left = {0, 1}
    for row in [header, *cells]:
        print("  ".join(
            str(c).ljust(w) if i in left else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip())  # fmt: skip
    misses = sum(1 for c in cells if c[-1] == "MISS")
    print(f"\n{len(cells) - misses} of {len(cells)} pages within {TARGET_MS} ms (median)")
    print("db ms: time in SQL during one extra request, whose queries are counted")


def explain(client, url, connection, capture, top: int = 3) -> None:
    """The page's queries by time, and EXPLAIN ANALYZE of the slowest."""
    with capture(connection) as queries:
        client.get(url)
    timed = sorted(queries.captured_queries, key=lambda q: float(q["time"]), reverse=True)
    total = sum(float(q["time"]) for q in timed) * 1000
    print(f"{len(timed)} queries, {total:.0f} ms in the database; slowest:")
    for q in timed[:top]:
        print(f"\n-- {float(q['time']) * 1000:.0f} ms\n{q['sql']}")
        if q["sql"].lstrip().upper().startswith("SELECT"):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                print("\n".join(row[0] for row in cursor.fetchall()))


def profile(client, url) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    client.get(url)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
