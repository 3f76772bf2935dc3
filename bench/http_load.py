"""Throughput and latency of the API under gunicorn and PostgreSQL, beside a plain-DRF peer.

    .venv/bin/python bench/http_load.py [--seconds 10] [--connections 8] [--workers 2]

Sets up a PostgreSQL database (`clinic_load`, or DATABASE_URL; SQLite is refused): migrates it,
issues API keys, seeds a branch's intakes for the list. Starts gunicorn (gthread) on the app's
URLs plus the baseline views (bench/baseline/). Sets up the peer (bench/peer/: the same job as
a typical DRF service without our guarantees, a Django project of its own) on its own database
(`clinic_load_peer`, or PEER_DATABASE_URL): migrated, a token issued, as many intakes seeded
as the listed branch holds; and starts it in a second gunicorn with the same settings, on a
port in 8700-8799. Then loads them from a separate process (bench/loadgen.py: N keep-alive
connections in a closed loop, after a warm-up) with, in turn:

    baseline insert   POST /bench/baseline/insert/   one single-row INSERT, plain Django view
    guarded insert    POST /bench/guarded/insert/    the same, with API key, throttle and audit
    intake POST       POST /api/v1/intakes/          a new patient each time
    peer POST         POST /api/intakes/ (peer)      the same bodies, a new patient each time
    evaluate          POST /api/v1/triage/evaluate/
    baseline list     GET  /bench/baseline/list/     one page of intakes with .values()
    guarded list      GET  /bench/guarded/list/      the same, with API key, throttle and audit
    intake list       GET  /api/v1/intakes/          the same branch's first page
    peer list         GET  /api/intakes/ (peer)      its first page, as many intakes in all

and prints them side by side: requests/s, p50, p99, errors, the API's throughput and p99
beside the peer's against the targets (intake POST and the list: >= 1.0x the peer's
requests/s, p99 <= 1.2x the peer's), the CPU each part used, and each gunicorn worker's peak
memory (VmHWM; ours < 120 MB). Below the table, for information, each API's share of its
baseline and of its guarded baseline: what the rules every API call must follow
(authentication, throttling, audit) leave the rest of the work. Both gunicorns are stopped at
the end, whatever happens (errors, Ctrl-C, SIGTERM).

The machine may be shared: before each run it waits (--quiet-wait) for other processes to leave
it idle, and the "other" CPU column says how much they took anyway (NOISY above 0.15 cores).
--rounds N repeats everything; with 2 or more, a table of the medians over the rounds follows
and the targets are judged on it. A verdict counts only if no run of any round was NOISY.
Before each run its database gets VACUUM (ANALYZE) and CHECKPOINT, as a maintained production
database would have had; the peer's first loses the intakes earlier peer POST runs added, so
its list always counts the seeded intakes, as ours counts its listed branch's.

gunicorn defaults, for 2 cores: 2 gthread workers (one process per core: a Python process runs
one thread at a time) x 4 threads (a thread waiting on PostgreSQL or Redis leaves its core to
another request), so 8 connections meet 8 server threads and nothing queues inside gunicorn.
4 x 2 and 1 x 8 measured no better. See bench/http_profile.py for where a request's time goes.
"""

import argparse
import contextlib
import json
import math
import os
import platform
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.machine import cpu_model  # noqa: E402 (needs the repository on the path)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/clinic_load"
# THROTTLE_CALLER_RATE: far above anything this machine can serve, so throttling never answers
# 429. Per second, so the throttle's request history in Redis holds at most one second.
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.baseline.settings",
    "DJANGO_ENV": "development",
    "REDIS_URL": "redis://127.0.0.1:6379/13",
    "THROTTLE_CALLER_RATE": "1000000000/s",
    "LOG_LEVEL": "WARNING",  # the per-request access line is INFO: keep it out of the timing
    # Connections live through a whole invocation: with the default 60 s they would all be
    # recycled at once in the middle of some run, and a backend that exits takes its CPU time
    # out of the "pg" column (into "other"). The reconnects saved cost nothing measurable.
    "DB_CONN_MAX_AGE": "3600",
    "CLINIC_VAR_DIR": "/tmp/load_var",  # noqa: S108 - scratch state of a local benchmark
}
PEER_DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/clinic_load_peer"
PEER_PORTS = range(8700, 8800)
# The peer's server: its own settings and database; the same Redis, an equally unreachable
# throttle rate, the same log level and connection lifetime as ours.
PEER_ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.peer.load_settings",
    "PEER_REDIS_URL": SERVER_ENV["REDIS_URL"],
    "PEER_THROTTLE_USER_RATE": SERVER_ENV["THROTTLE_CALLER_RATE"],
    "LOG_LEVEL": SERVER_ENV["LOG_LEVEL"],
    "DB_CONN_MAX_AGE": SERVER_ENV["DB_CONN_MAX_AGE"],
}
LIST_BRANCH = "load-list"  # seeded once; only read during the runs, so every list page is alike
WRITE_BRANCH = "load-write"  # the POSTs' branch, so they never grow the listed branch
# run: (the peer's run, least share of its requests/s, most multiple of its p99)
TARGETS = {"intake POST": ("peer POST", 1.0, 1.2), "intake list": ("peer list", 1.0, 1.2)}
BASELINES = {"intake POST": "baseline insert", "intake list": "baseline list"}  # information
GUARDED = {"intake POST": "guarded insert", "intake list": "guarded list"}  # for information
MEMORY_TARGET_KB = 120_000_000 // 1024  # 120 MB per worker (ours), in /proc's kB (KiB)
NOISY_CORES = 0.15


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per run")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--intakes", type=int, default=5000, help="intakes in the listed branch")
    parser.add_argument(
        "--no-idempotency-key",
        action="store_true",
        help="send intake POSTs without an Idempotency-Key (integrators are told to send one)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120.0,
        help="before each run, wait up to this many seconds for the machine to be idle",
    )
    parser.add_argument(
        "--settings",
        default="bench.baseline.settings",
        help="the server's settings module (for experiments: import bench.baseline.settings)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat all runs; with 2 or more the targets are judged on the medians",
    )
    parser.add_argument(
        "--only", nargs="+", metavar="RUN", help="run only these (e.g. 'intake POST')"
    )
    return parser.parse_args()


def configure_environment(settings_module: str = "bench.baseline.settings") -> str:
    SERVER_ENV["DJANGO_SETTINGS_MODULE"] = settings_module
    for name, value in SERVER_ENV.items():
        if name in (
            "DJANGO_SETTINGS_MODULE",
            "THROTTLE_CALLER_RATE",
            "LOG_LEVEL",
            "DB_CONN_MAX_AGE",
        ):
            os.environ[name] = value  # these make the measurement what it says it is
        else:
            os.environ.setdefault(name, value)
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        sys.exit(f"http_load.py measures PostgreSQL only; DATABASE_URL is {url.split(':')[0]}:")
    Path(os.environ["CLINIC_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    PEER_ENV["PEER_DATABASE_URL"] = os.environ.get("PEER_DATABASE_URL", PEER_DEFAULT_DATABASE_URL)
    return url


def _conninfo(url: str) -> dict:
    import environ

    cfg = environ.Env.db_url_config(url)
    return {
        "dbname": cfg["NAME"],
        "host": cfg.get("HOST") or None,
        "port": cfg.get("PORT") or None,
        "user": cfg.get("USER") or None,
        "password": cfg.get("PASSWORD") or None,
    }


def ensure_database(url: str) -> None:
    """Create the database if it is missing (connecting to the `postgres` database)."""
    import psycopg
    from psycopg import sql

    conninfo = _conninfo(url)
    name = conninfo.pop("dbname")
    with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"created database {name}")


# --- request bodies -------------------------------------------------------------------------


def _body(answers: dict) -> dict:
    born = datetime.now(UTC).date() - timedelta(days=round(40.5 * 365.25))
    return {
        "patient": {
            "external_id": "__UNIQUE__",
            "date_of_birth": born.isoformat(),
            "sex": "female",
        },
        "answers": answers,
    }


def request_bodies() -> list[tuple[str, str]]:
    """The intake mix, (expected disposition, JSON), in a 3:2:1 cycle: home care, physiotherapy
    (opens a referral), routine medical referral (opens a referral)."""
    from tests.engine.builders import baseline_answers, baseline_startback

    home = baseline_answers()
    physio = baseline_answers(
        startback=baseline_startback(
            leg_pain=True, walks_short_distances_only=True, dresses_slowly=True,
            worrying_thoughts=True, bothersomeness="moderately",
        )
    )  # fmt: skip
    referral = baseline_answers(bilateral_leg_symptoms=True, pain_duration_days=60)
    mix = [("home_care", home)] * 3 + [("physiotherapy", physio)] * 2
    mix += [("medical_referral", referral)]
    return [(expected, json.dumps(_body(answers))) for expected, answers in mix]


# --- the database ---------------------------------------------------------------------------


def prepare_database(intakes: int, bodies: list[tuple[str, str]]) -> dict:
    """Migrate, create the baseline table, issue keys, seed the listed branch. Returns what the
    runs need: keys, the listed branch's id, and how long seeding took."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.baseline.views import CREATE_TABLE
    from clinic.callers import KeyCaller
    from clinic.services import api_key_create
    from triage import services
    from triage.engine import evaluate
    from triage.models import Intake

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE)
    for expected, text in bodies:  # the mix is what it claims to be
        decided = evaluate(json.loads(text)["answers"], 40).disposition
        assert decided == expected, (expected, decided)

    list_key, list_plain = api_key_create(branch_slug=LIST_BRANCH, name="http_load list")
    _, write_plain = api_key_create(branch_slug=WRITE_BRANCH, name="http_load write")
    have = Intake.objects.filter(branch_id=list_key.branch_id).count()
    seeded, started = 0, time.perf_counter()
    if have < intakes:
        from triage.api.serializers import IntakeInputSerializer

        caller = KeyCaller(list_key)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        for n in range(have, intakes):
            text = bodies[n % len(bodies)][1].replace("__UNIQUE__", f"SEED-{stamp}-{n}")
            data = IntakeInputSerializer(data=json.loads(text))
            data.is_valid(raise_exception=True)
            services.intake_create(caller=caller, **data.validated_data)
            seeded += 1
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    seed_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (pg_version,) = cursor.fetchone()
        cursor.execute("SHOW autovacuum")
        (autovacuum,) = cursor.fetchone()
        cursor.execute("SHOW synchronous_commit")
        (synchronous_commit,) = cursor.fetchone()
    connection.close()
    return {
        "list_key": list_plain,
        "write_key": write_plain,
        "list_branch_id": list_key.branch_id,
        "listed_intakes": max(have, intakes),
        "seeded": seeded,
        "seed_seconds": seed_seconds,
        "pg_version": pg_version,
        "autovacuum": autovacuum,
        "synchronous_commit": synchronous_commit,
    }


def prepare_peer(intakes: int) -> dict:
    """Migrate the peer's database, issue its token, seed its intakes: in a process of its
    own (bench/peer/prepare.py), since this one is set up with the app's settings."""
    done = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, str(ROOT / "bench" / "peer" / "prepare.py"), f"--intakes={intakes}"],
        cwd=ROOT, env={**os.environ, **PEER_ENV}, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"preparing the peer failed:\n{done.stderr}")
    return json.loads(done.stdout)


def machine_busy(seconds: float = 1.0) -> float:
    """Cores busy on the whole machine over `seconds`."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        return sum(values[:8]) - values[3] - values[4], sum(values[:8])

    busy, total = sample()
    time.sleep(seconds)
    busy_after, total_after = sample()
    return (busy_after - busy) / max(1, total_after - total) * (os.cpu_count() or 1)


def wait_until_quiet(limit: float) -> str:
    """Wait (up to `limit` seconds) until other processes leave the machine nearly idle: it
    is shared, and another job's CPU would be counted against whichever run it overlaps."""
    started = time.monotonic()
    quiet = 0
    busy = 0.0
    while time.monotonic() - started < limit:
        busy = machine_busy()
        quiet = quiet + 1 if busy < 0.10 else 0
        if quiet >= 2:
            return ""
    return f"machine still busy ({busy:.2f} cores) after waiting {limit:.0f} s"


def maintain() -> None:
    """Before each run: VACUUM (ANALYZE), as autovacuum would have done (it may be off, as on
    CI servers: then the planner works from stale statistics and COUNT(*) cannot use an
    index-only scan), then CHECKPOINT, so one run's checkpoint does not land in the next."""
    from django.db import DatabaseError, connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
        with contextlib.suppress(DatabaseError):  # not a superuser: a little more noise
            cursor.execute("CHECKPOINT")
    connection.close()


def maintain_peer() -> None:
    """maintain() for the peer's database, after deleting what earlier peer POST runs added:
    its list then counts the seeded intakes, as ours counts only its listed branch's."""
    import psycopg

    from bench.peer.prepare import SEED_PREFIX

    with psycopg.connect(autocommit=True, **_conninfo(PEER_ENV["PEER_DATABASE_URL"])) as conn:
        posted = "SELECT id FROM intakes_patient WHERE external_id NOT LIKE %s"
        conn.execute(f"DELETE FROM intakes_intake WHERE patient_id IN ({posted})",  # noqa: S608
                     [f"{SEED_PREFIX}%"])  # fmt: skip
        conn.execute(
            "DELETE FROM intakes_patient WHERE external_id NOT LIKE %s", [f"{SEED_PREFIX}%"]
        )
        conn.execute("VACUUM (ANALYZE)")
        with contextlib.suppress(psycopg.Error):
            conn.execute("CHECKPOINT")


# --- gunicorn -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_peer_port() -> int:
    """The first free port in 8700-8799: the peer's, on a range this machine keeps for it."""
    for port in PEER_PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port for the peer in {PEER_PORTS.start}-{PEER_PORTS.stop - 1}")


def gunicorn_command(
    args: argparse.Namespace, port: int, log: Path, app: str = "clinic.wsgi:application"
) -> list[str]:
    """The same command for both servers, but for the WSGI application."""
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        app,
        f"--bind=127.0.0.1:{port}",
        "--worker-class=gthread",
        f"--workers={args.workers}",
        f"--threads={args.threads}",
        "--keep-alive=30",
        "--timeout=60",
        "--graceful-timeout=5",
        "--log-level=warning",
        f"--error-logfile={log}",
    ]


def start_gunicorn(
    command: list[str], port: int, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen:
    server = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn, our arguments
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches us; we stop it, in order
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{tail(log)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within 60 s:\n{tail(log)}")


def stop_gunicorn(server: subprocess.Popen | None) -> None:
    if server is None or server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if fields.get("PPid", "").strip() == str(master):
            pids.append(int(entry))
    return sorted(pids)


def memory(pid: int) -> dict[str, str]:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {name: fields[name].strip() for name in ("VmHWM", "VmRSS")}


# --- runs -----------------------------------------------------------------------------------


def plan_runs(args: argparse.Namespace, db: dict, bodies: list[tuple[str, str]]) -> list[dict]:
    """The runs in order; each peer run right after the API's run it is compared with, so that
    the two see the machine as alike as possible. `server` says which gunicorn serves it."""
    write = {"Authorization": f"Api-Key {db['write_key']}"}
    read = {"Authorization": f"Api-Key {db['list_key']}"}
    peer = {"Authorization": f"Token {db.get('peer_token', '')}"}  # none: no peer run
    texts = [text for _, text in bodies]
    runs = [
        {"name": "baseline insert", "method": "POST", "path": "/bench/baseline/insert/",
         "headers": {}, "bodies": texts},
        {"name": "guarded insert", "method": "POST", "path": "/bench/guarded/insert/",
         "headers": write, "bodies": texts},
        {"name": "intake POST", "method": "POST", "path": "/api/v1/intakes/",
         "headers": write, "bodies": texts, "idempotency_key": not args.no_idempotency_key},
        {"name": "peer POST", "method": "POST", "path": "/api/intakes/", "headers": peer,
         "bodies": texts, "server": "peer"},
        {"name": "evaluate", "method": "POST", "path": "/api/v1/triage/evaluate/",
         "headers": write, "bodies": texts},
        {"name": "baseline list", "method": "GET",
         "path": f"/bench/baseline/list/?branch={db['list_branch_id']}", "headers": {},
         "bodies": None},
        {"name": "guarded list", "method": "GET", "path": "/bench/guarded/list/",
         "headers": read, "bodies": None},
        {"name": "intake list", "method": "GET", "path": "/api/v1/intakes/", "headers": read,
         "bodies": None},
        {"name": "peer list", "method": "GET", "path": "/api/intakes/", "headers": peer,
         "bodies": None, "server": "peer"},
    ]  # fmt: skip
    if args.only:
        runs = [run for run in runs if run["name"] in args.only]
    return runs


def database_name() -> str:
    from django.conf import settings

    return settings.DATABASES["default"]["NAME"]


def load(
    run: dict, args: argparse.Namespace, port: int, server_pids: list[int], database: str
) -> dict:
    spec = {
        **run,
        "host": "127.0.0.1",
        "port": port,
        "connections": args.connections,
        "warmup": args.warmup,
        "seconds": args.seconds,
        "unique_prefix": f"L{os.getpid()}{int(time.time())}{run['name'][:1]}",
        "server_pids": server_pids,
        "server_workers": len(server_pids) - 1,  # the master is first
        "probe_path": "/healthz",
        "database": database,  # PostgreSQL backends of any other database count as "other"
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec_file:
        json.dump(spec, spec_file)
    try:
        done = subprocess.run(  # noqa: S603 - this interpreter, our own script
            [sys.executable, str(ROOT / "bench" / "loadgen.py"), spec_file.name],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        os.unlink(spec_file.name)
    return json.loads(done.stdout)


# --- the report -----------------------------------------------------------------------------


def code_version() -> str:
    """The commit and how far the working tree is from it: the server runs the tree as is."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.splitlines()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    return f"git {head}" + (f" + {len(status)} modified files (uncommitted)" if status else "")


def _seeded(info: dict) -> str:
    if info["seeded"]:
        return f"{info['seeded']} seeded now in {info['seed_seconds']:.1f} s"
    return "already there"


def print_header(args, db, command, port, peer_command, peer_port) -> None:
    import django
    import gunicorn

    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    print(f"date        {datetime.now(UTC).isoformat(timespec='seconds')}")
    print(f"command     {shlex.join([Path(sys.executable).name, *sys.argv])}")
    print(f"code        {code_version()}")
    print(f"machine     {cores} cores ({usable} usable), {cpu_model()}, {platform.platform()}")
    print(
        f"software    Python {platform.python_version()}, Django {django.get_version()}, "
        f"gunicorn {gunicorn.__version__}, PostgreSQL {db['pg_version']} (same machine), "
        "Redis (same machine)"
    )
    print(
        f"gunicorn    {args.workers} workers x {args.threads} threads (gthread), keep-alive "
        f"30 s, no access log, LOG_LEVEL=WARNING, port {port}"
    )
    print(f"            {shlex.join(command[1:])}")
    env = " ".join(f"{name}={os.environ[name]}" for name in SERVER_ENV)
    print(f"server env  {env}")
    if peer_command:
        print(f"peer        the same gunicorn settings, port {peer_port} (bench/peer/)")
        print(f"            {shlex.join(peer_command[1:])}")
        print(f"peer env    {' '.join(f'{name}={value}' for name, value in PEER_ENV.items())}")
    print(
        f"load        {args.connections} keep-alive connections, closed loop, "
        f"{args.warmup:g} s warm-up + {args.seconds:g} s measured per run, from a separate "
        "process (bench/loadgen.py) on the same 2-core machine"
    )
    idem = "no Idempotency-Key" if args.no_idempotency_key else "a unique Idempotency-Key each"
    print(
        "bodies      intake POST: a new patient (unique external_id) per request, "
        f"{idem}; decisions cycle 3 home_care : 2 physiotherapy : 1 medical_referral "
        "(the last two open a referral); evaluate and peer POST: the same bodies"
    )
    print(
        f"list        branch {LIST_BRANCH!r}: {db['listed_intakes']} intakes ({_seeded(db)}); "
        f"first page of 25, newest first; POSTs go to branch {WRITE_BRANCH!r}"
    )
    if "peer" in db:
        print(
            f"peer list   {db['peer']['listed_intakes']} intakes ({_seeded(db['peer'])}), the "
            "peer POSTs' deleted before each peer run; first page of 25, newest first, "
            "with its count"
        )
    print(
        f"database    {os.environ['DATABASE_URL']}, CONN_MAX_AGE {os.environ['DB_CONN_MAX_AGE']} "
        "s (one connection per server thread for the whole invocation); "
        f"synchronous_commit {db['synchronous_commit']}, autovacuum {db['autovacuum']}: "
        "VACUUM (ANALYZE) and CHECKPOINT before each run"
    )
    if "peer" in db:
        print(f"            peer: {PEER_ENV['PEER_DATABASE_URL']}, the same server and settings")
    print()


def judge(results: dict[str, dict]) -> dict[str, tuple[float, float, str]]:
    """{run: (its requests/s / the peer's, its p99 / the peer's, PASS or MISS)} for each
    targeted run whose peer run is in `results`."""
    verdicts = {}
    for name, (peer, least, most) in TARGETS.items():
        if name not in results or peer not in results:
            continue
        ours, theirs = results[name], results[peer]
        speed = ours["throughput"] / theirs["throughput"] if theirs["throughput"] else math.inf
        tail_ = ours["p99_ms"] / theirs["p99_ms"] if theirs["p99_ms"] else math.inf
        clean = ours["errors"] == 0 and theirs["errors"] == 0
        passed = clean and speed >= least and tail_ <= most
        verdicts[name] = (speed, tail_, "PASS" if passed else "MISS")
    return verdicts


def noisy_runs(results: dict[str, dict]) -> dict[str, float]:
    others = {name: res["cpu_cores"]["other"] for name, res in results.items()}
    return {name: other for name, other in others.items() if other > NOISY_CORES}


def print_results(results: dict[str, dict], title: str, noisy: dict[str, float] | None = None):
    head = (
        f"{'run':<16} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}  "
        f"{'x peer':>6} {'p99 x':>6} {'result':<6} | CPU cores: "
        f"{'server':>6} {'pg':>5} {'redis':>5} {'loadgen':>7} {'other':>5} {'total':>5}"
    )
    verdicts = judge(results)
    print(title)
    print(head)
    print("-" * len(head))
    for name, res in results.items():
        speed = tail_ = verdict = ""
        if name in verdicts:
            ratio, p99_ratio, verdict = verdicts[name]
            speed, tail_ = f"{ratio:.2f}x", f"{p99_ratio:.2f}x"
        cpu = res["cpu_cores"]
        print(
            f"{name:<16} {res['throughput']:>8.1f} {res['p50_ms']:>8.1f} {res['p99_ms']:>8.1f} "
            f"{res['errors']:>6}  {speed:>6} {tail_:>6} {verdict:<6} |            "
            f"{cpu['server']:>6.2f} {cpu['postgres']:>5.2f} {cpu['redis']:>5.2f} "
            f"{cpu['loadgen']:>7.2f} {cpu['other']:>5.2f} {cpu['machine_busy_cores']:>5.2f}"
        )
    spread = ", ".join(
        f"{name} {'+'.join(map(str, res.get('connections_per_worker', [])))}"
        for name, res in results.items()
        if res.get("connections_per_worker")
    )
    if spread:
        print(f"  connections per worker: {spread}")
    for label, bases in (("baselines (bare Django)", BASELINES), ("guarded baselines", GUARDED)):
        shares = [
            f"{name} {results[name]['throughput'] / results[base]['throughput']:.0%} of {base}"
            for name, base in bases.items()
            if name in results and base in results
        ]
        if shares:
            print(f"  beside the {label}, for information: {', '.join(shares)}")
    for name, res in results.items():
        if res.get("note"):
            print(f"  {name}: {res['note']}")
        if res["errors"] or res.get("error_samples"):
            print(f"  {name}: statuses {res['statuses']}")
            for sample in res.get("error_samples", []):
                print(f"    {sample}")
    noisy = noisy_runs(results) if noisy is None else noisy
    if noisy:
        worst = ", ".join(f"{name} {other:.2f}" for name, other in noisy.items())
        print(f"  NOISY: other processes on this machine used CPU during: {worst} (cores)")
    print()


def medians(rounds: list[dict[str, dict]]) -> dict[str, dict]:
    """Each run's median over the rounds: of requests/s, p50, p99 and each CPU column, each
    taken on its own; errors summed."""
    merged: dict[str, dict] = {}
    for name in rounds[0]:
        runs = [results[name] for results in rounds if name in results]
        merged[name] = {
            "throughput": statistics.median(run["throughput"] for run in runs),
            "p50_ms": statistics.median(run["p50_ms"] for run in runs),
            "p99_ms": statistics.median(run["p99_ms"] for run in runs),
            "errors": sum(run["errors"] for run in runs),
            "statuses": dict(sum((Counter(run["statuses"]) for run in runs), Counter())),
            "cpu_cores": {
                column: statistics.median(run["cpu_cores"][column] for run in runs)
                for column in runs[0]["cpu_cores"]
            },
        }
    return merged


def print_verdict(results: dict[str, dict], rounds: list[dict[str, dict]]) -> None:
    """The targets on `results` (the medians, or the one round), valid only if no run of any
    round was NOISY."""
    noisy = [
        f"{name} (round {number})"
        for number, round_results in enumerate(rounds, 1)
        for name in noisy_runs(round_results)
    ]
    basis = f"the medians of {len(rounds)} rounds" if len(rounds) > 1 else "one round"
    for name, (speed, tail_, verdict) in judge(results).items():
        peer, least, most = TARGETS[name]
        print(
            f"target      {name}: {speed:.2f}x {peer}'s requests/s (>= {least:.1f}x), p99 "
            f"{tail_:.2f}x its p99 (<= {most:.1f}x): {verdict}, on {basis}"
        )
    if len(rounds) < 2:
        print("            (one round: the targets need the medians of at least two)")
    if noisy:
        print(f"            not valid: NOISY runs: {', '.join(noisy)}")
    else:
        print("            no run was NOISY")


def print_memory(label: str, master: int, workers: list[int], target_kb: int | None) -> None:
    print(f"\nmemory      {label}: VmHWM (peak RSS) and VmRSS after all runs")
    for role, pid in [("master", master)] + [("worker", pid) for pid in workers]:
        mem = memory(pid)
        verdict = ""
        if target_kb is not None and role == "worker":
            peak = int(mem["VmHWM"].split()[0])
            verdict = f"  {'PASS' if peak < target_kb else 'MISS'} (< 120 MB = {target_kb} kB)"
        print(f"  {role}  pid {pid:<8} VmHWM {mem['VmHWM']:>10}  VmRSS {mem['VmRSS']:>10}{verdict}")


def _interrupted(signum, frame) -> None:
    raise KeyboardInterrupt  # so that `finally` stops gunicorn on SIGTERM and SIGINT alike


def main() -> None:
    args = parse_args()
    url = configure_environment(args.settings)
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGINT, _interrupted)  # even if started with SIGINT ignored (`cmd &`)
    ensure_database(url)
    bodies = request_bodies()
    db = prepare_database(args.intakes, bodies)
    with_peer = not args.only or any(name.startswith("peer ") for name in args.only)
    if with_peer:
        ensure_database(PEER_ENV["PEER_DATABASE_URL"])
        db["peer"] = prepare_peer(db["listed_intakes"])  # as many as our listed branch holds
        db["peer_token"] = db["peer"]["token"]
    var_dir = Path(os.environ["CLINIC_VAR_DIR"])
    port = free_port()
    log = var_dir / "http_load-gunicorn.log"
    log.write_text("")
    command = gunicorn_command(args, port, log)
    peer_port = free_peer_port() if with_peer else None
    peer_log = var_dir / "http_load-peer-gunicorn.log"
    peer_log.write_text("")
    peer_command = (
        gunicorn_command(args, peer_port, peer_log, app="bench.peer.wsgi:application")
        if peer_port
        else []
    )
    server = peer_server = None
    try:
        server = start_gunicorn(command, port, log)
        workers = worker_pids(server.pid)
        servers = {"api": (server, port, workers, database_name(), log)}
        if peer_port:
            peer_server = start_gunicorn(peer_command, peer_port, peer_log, PEER_ENV)
            peer_workers = worker_pids(peer_server.pid)
            peer_database = _conninfo(PEER_ENV["PEER_DATABASE_URL"])["dbname"]
            servers["peer"] = (peer_server, peer_port, peer_workers, peer_database, peer_log)
        print_header(args, db, command, port, peer_command, peer_port)
        rounds = []
        for number in range(1, args.rounds + 1):
            results = {}
            for run in plan_runs(args, db, bodies):
                proc, run_port, run_workers, database, run_log = servers[run.get("server", "api")]
                if run.get("server") == "peer":
                    maintain_peer()
                else:
                    maintain()
                note = wait_until_quiet(args.quiet_wait)
                results[run["name"]] = load(run, args, run_port, [proc.pid, *run_workers], database)
                results[run["name"]]["note"] = note
                if proc.poll() is not None:
                    raise RuntimeError(f"gunicorn died during {run['name']}:\n{tail(run_log)}")
            rounds.append(results)
            print_results(results, f"round {number} of {args.rounds}")
        judged = rounds[-1]
        if args.rounds > 1:
            judged = medians(rounds)
            noisy = {
                f"{name} (round {n})": other
                for n, round_results in enumerate(rounds, 1)
                for name, other in noisy_runs(round_results).items()
            }
            print_results(judged, f"medians over the {args.rounds} rounds", noisy)
        print_verdict(judged, rounds)
        print(
            "\nreq/s: 2xx responses completed inside the measured window; p50/p99 over those. "
            "x peer: req/s as a multiple of\nthe peer's (intake POST: peer POST; intake list: "
            "peer list); p99 x: p99 as a multiple of the peer's. CPU: cores\nused on average "
            f"in the window, out of {os.cpu_count()}; pg = the loaded server's database's "
            "backends and PostgreSQL's\nown processes; other = everything else on the machine "
            "(other people's tests, other databases' backends):\nabove "
            f"{NOISY_CORES} the run is marked NOISY."
        )
        print_memory("ours", server.pid, worker_pids(server.pid), MEMORY_TARGET_KB)
        if worker_pids(server.pid) != workers:
            print("  (a worker was replaced during the runs: its peak is not shown)")
        if peer_server is not None:
            print_memory("the peer", peer_server.pid, worker_pids(peer_server.pid), None)
            if worker_pids(peer_server.pid) != servers["peer"][2]:
                print("  (a worker was replaced during the runs: its peak is not shown)")
        for name, path in (("gunicorn", log), ("the peer's gunicorn", peer_log)):
            log_text = tail(path, 10)
            if log_text.strip():
                print(f"\n{name} log (last lines):\n{log_text}")
    except subprocess.CalledProcessError as exc:
        sys.exit(f"the load generator failed:\n{exc.stderr}")
    finally:
        try:
            stop_gunicorn(peer_server)
        finally:
            stop_gunicorn(server)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted (gunicorn stopped)")
