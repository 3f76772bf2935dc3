"""Replay a ruleset over a million stored intakes in real background workers, against issue 13
§3's targets: done in 60 s or less on this 2-core machine, peak memory under 300 MB a process.

    .venv/bin/python bench/replay.py [--runs N] [--version 2026.2] [--branch north]
                                     [--skip-in-process]

PostgreSQL only: the database of BENCH_REPLAY_URL (default
postgres://postgres@127.0.0.1:5432/clinic_bench_replay), seeded with a million intakes in one
branch (`bench/seed.py --intakes 1000000 --branches 1`, see bench/README.md). Each run:

1. starts a real worker, `celery -A clinic worker --concurrency 2`, on the Redis broker of
   BENCH_REPLAY_BROKER (default redis://127.0.0.1:6379/11, a database of its own: its queue is
   purged first), and waits for it to answer a ping;
2. starts a replay through the service, as the API does (`replay_start_command`, then
   `tasks.enqueue_replay` once committed), and polls the database until it is done;
3. prints the intakes, the wall time from start to done, intakes/s, the peak RSS (VmHWM) of
   the worker's main process and of each pool process (read before the worker is stopped; the
   pool processes are checked to be the ones that started, so no recycled process hides a
   peak), the load average, and the targets beside them with PASS / FAIL;
4. runs the same replay in one process, as `manage.py replay_ruleset` does (replay_plan, then
   replay_run_part for each part in turn), in a fresh interpreter whose own peak RSS
   (resource.getrusage) is printed.

Replays left by earlier runs (started from the command line, backing no activation) are
deleted first, so the worker resumes none of them when it starts and the changes table does
not grow from run to run. Timings on a shared machine move with its load: compare runs made
back to back, and read the load average beside them.
"""

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get(
    "BENCH_REPLAY_URL", "postgres://postgres@127.0.0.1:5432/clinic_bench_replay"
)
BROKER_URL = os.environ.get("BENCH_REPLAY_BROKER", "redis://127.0.0.1:6379/11")
# The bench's own settings, read by this process and the worker alike: the bench database,
# tasks sent to the broker (never run eagerly), no debug (which would keep every query).
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "clinic.settings",
    "DJANGO_ENV": "development",
    "DJANGO_DEBUG": "false",
    "DATABASE_URL": DATABASE_URL,
    "CELERY_BROKER_URL": BROKER_URL,
    "CELERY_TASK_ALWAYS_EAGER": "false",
    "LOG_LEVEL": "WARNING",
}
os.environ.update(BENCH_ENV)

import django  # noqa: E402

django.setup()

from django.db import DatabaseError, connection, transaction  # noqa: E402

from clinic.celery import app  # noqa: E402
from clinic.models import Branch  # noqa: E402
from triage import replays, tasks  # noqa: E402
from triage.models import Intake, Replay  # noqa: E402

TARGET_SECONDS = 60.0
TARGET_MB = 300.0
STARTUP_SECONDS = 60
TIMEOUT_SECONDS = 900  # a replay slower than this is reported as not finished


def _mb(kb: int) -> float:
    return kb / 1024


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _vm_hwm_kb(pid: int) -> int:
    """The process's peak resident set (VmHWM), in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for {pid}")


def _children(pid: int) -> list[int]:
    """The pids whose parent is `pid` (the worker's pool processes)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its closing paren.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def _branch(slug: str | None) -> tuple[Branch, int]:
    """The branch to replay (the one named, or the one holding the most intakes) and its
    intakes; exits 2 with how to seed when there are none."""
    try:
        counts = {b.pk: Intake.objects.filter(branch=b).count() for b in Branch.objects.all()}
        branches = Branch.objects.filter(slug=slug) if slug else Branch.objects.all()
        branch = max(branches, key=lambda b: counts[b.pk], default=None)
    except DatabaseError:  # not migrated: no tables yet
        branch = None
    if branch is None or not counts[branch.pk]:
        print(
            f"{DATABASE_URL} holds no intakes{f' in {slug}' if slug else ''}. Seed it:\n"
            f"  createdb -h 127.0.0.1 -U postgres {urlsplit(DATABASE_URL).path.lstrip('/')}\n"
            f"  DATABASE_URL={DATABASE_URL} .venv/bin/python manage.py migrate\n"
            f"  DATABASE_URL={DATABASE_URL} .venv/bin/python bench/seed.py "
            "--intakes 1000000 --branches 1",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return branch, counts[branch.pk]


def _forget_earlier_replays() -> None:
    """Delete the replays of earlier runs (command-line ones backing no activation): a worker
    that starts would resume a running one, and their changes would pile up run after run."""
    old = Replay.objects.filter(actor="command-line", activations__isnull=True)
    deleted, _ = old.delete()
    if deleted:
        print(f"(deleted {deleted} rows of earlier bench replays)")


class Worker:
    """`celery -A clinic worker --concurrency 2`, in a process group of its own."""

    def __init__(self, log: Path) -> None:
        self.name = f"bench-replay-{uuid.uuid4().hex[:8]}"
        env = {**os.environ, **BENCH_ENV}
        with log.open("ab") as log_file:
            self.process = subprocess.Popen(  # noqa: S603 - this venv's celery, our arguments
                [sys.executable, "-m", "celery", "-A", "clinic", "worker", "-n",
                 f"{self.name}@%h", "--concurrency", "2", "--loglevel", "WARNING"],
                cwd=ROOT, env=env, stdout=log_file, stderr=log_file, start_new_session=True,
            )  # fmt: skip
        self.log = log

    def wait_ready(self) -> list[int]:
        """Once it answers a ping: its pool processes' pids."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            replies = app.control.ping(timeout=1.0) or []
            if any(node.startswith(self.name + "@") for reply in replies for node in reply):
                return _children(self.process.pid)
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker did not start; see {self.log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def run_in_worker(branch: Branch, version: str, log: Path) -> dict[str, Any]:
    _forget_earlier_replays()
    app.control.purge()  # the bench's own broker database: nothing left from an aborted run
    worker = Worker(log)
    try:
        pool = worker.wait_ready()
        load_before = _load()
        started = time.monotonic()
        with transaction.atomic():
            replay = replays.replay_start_command(branch=branch, version=version)
            transaction.on_commit(lambda: tasks.enqueue_replay(replay))
        last_print = started
        while True:
            replay.refresh_from_db()
            now = time.monotonic()
            if replay.status != Replay.Status.RUNNING:
                break
            if now - started > TIMEOUT_SECONDS:
                raise SystemExit(f"the replay did not finish in {TIMEOUT_SECONDS} s")
            if now - last_print >= 10:
                print(f"  ... {replay.processed:,} of {replay.total:,} after {now - started:.0f} s")
                last_print = now
            time.sleep(0.1)
        wall = now - started
        if replay.status != Replay.Status.DONE:
            raise SystemExit(f"the replay is {replay.status}; see {log}")
        # Read the peaks before the worker stops, from the processes that ran the replay.
        still = _children(worker.process.pid)
        peaks = {"main": _vm_hwm_kb(worker.process.pid)}
        peaks.update((f"pool {pid}", _vm_hwm_kb(pid)) for pid in still)
        return {
            "intakes": replay.processed,
            "wall": wall,
            "own_time": (replay.finished_at - replay.created_at).total_seconds(),
            "parts": replay.parts.count(),
            "peaks_kb": peaks,
            "pool_same": still == pool,
            "load_before": load_before,
            "load_after": _load(),
        }
    finally:
        worker.stop()


def in_process_child(branch_id: int, version: str) -> None:
    """Run inside a fresh interpreter: the replay_ruleset command's path, one part after the
    other; prints its figures as JSON."""
    started = time.monotonic()
    replay = replays.replay_start_command(branch=Branch.objects.get(pk=branch_id), version=version)
    for number in replays.replay_plan(replay.id):
        replays.replay_run_part(replay.id, number)
    wall = time.monotonic() - started
    replay.refresh_from_db()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    figures = {"intakes": replay.processed, "status": replay.status, "wall": wall}
    print(json.dumps({**figures, "peak_kb": peak_kb}))


def run_in_process(branch: Branch, version: str) -> dict[str, Any]:
    _forget_earlier_replays()
    connection.close()  # the child opens its own
    load_before = _load()
    out = subprocess.run(  # noqa: S603 - this interpreter, this script
        [sys.executable, __file__, "--in-process-child", str(branch.pk), "--version", version],
        cwd=ROOT, env={**os.environ, **BENCH_ENV}, check=True, capture_output=True, text=True,
    )  # fmt: skip
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    return {**figures, "load_before": load_before, "load_after": _load()}


def report_worker(n: int, r: dict[str, Any]) -> None:
    print(f"run {n}, real worker (concurrency 2, {r['parts']} parts):")
    print(f"  load average before / after:   {r['load_before']} / {r['load_after']}")
    print(f"  intakes:                       {r['intakes']:,}")
    ok = r["wall"] <= TARGET_SECONDS
    print(
        f"  wall time, start to done:      {r['wall']:7.1f} s   target <= {TARGET_SECONDS:.0f} s"
        f"   {_verdict(ok)}   (the replay's own created→finished: {r['own_time']:.1f} s)"
    )
    print(f"  intakes/s:                     {r['intakes'] / r['wall']:9,.0f}")
    for name, kb in r["peaks_kb"].items():
        mb = _mb(kb)
        print(
            f"  peak RSS {name:<20} {mb:7.1f} MB  target < {TARGET_MB:.0f} MB"
            f"   {_verdict(mb < TARGET_MB)}"
        )
    if not r["pool_same"]:
        print("  (a pool process was replaced during the run: its peak is lost)")


def report_in_process(n: int, r: dict[str, Any]) -> None:
    print(f"run {n}, in one process (manage.py replay_ruleset's path, for comparison):")
    print(f"  load average before / after:   {r['load_before']} / {r['load_after']}")
    print(f"  intakes:                       {r['intakes']:,} ({r['status']})")
    print(f"  wall time, start to done:      {r['wall']:7.1f} s")
    print(f"  intakes/s:                     {r['intakes'] / r['wall']:9,.0f}")
    mb = _mb(r["peak_kb"])
    print(f"  peak RSS (getrusage):          {mb:7.1f} MB  target < {TARGET_MB:.0f} MB"
          f"   {_verdict(mb < TARGET_MB)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--version", default="2026.2", help="the candidate ruleset")
    parser.add_argument("--branch", help="its slug (default: the branch with most intakes)")
    parser.add_argument("--skip-in-process", action="store_true")
    parser.add_argument(
        "--log",
        default="/tmp/bench-replay-worker.log",  # noqa: S108 - a local benchmark's log
        help="the worker's log",
    )
    parser.add_argument("--in-process-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process_child is not None:
        in_process_child(args.in_process_child, args.version)
        return
    if connection.vendor != "postgresql":
        raise SystemExit("PostgreSQL only: set BENCH_REPLAY_URL.")
    branch, intakes = _branch(args.branch)
    print(
        f"replay of {args.version} over {branch.slug}: {intakes:,} intakes; "
        f"{os.cpu_count()} CPUs; part size {replays.part_size():,}; broker {BROKER_URL}"
    )
    for n in range(1, args.runs + 1):
        report_worker(n, run_in_worker(branch, args.version, Path(args.log)))
        if not args.skip_in_process:
            report_in_process(n, run_in_process(branch, args.version))


if __name__ == "__main__":
    main()
