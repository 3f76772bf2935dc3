"""A closed-loop HTTP load generator, run as its own process by bench/http_load.py.

    python bench/loadgen.py SPEC.json     (prints one JSON result on standard output)

N connections (threads, each with one keep-alive `http.client` connection) send one request,
read the whole response, and send the next, for a warm-up and then the measured seconds. Only
requests started and finished inside the measured window count. Every response's status is
checked: anything but 2xx (and any connection error) is an error, counted and sampled.

The spec (JSON):
    host, port, connections, warmup, seconds, method, path, headers {name: value},
    bodies [str] or null (sent in turn; "__UNIQUE__" in a body is replaced by an id unique to
    the request), unique_prefix (str), idempotency_key (bool: a unique Idempotency-Key header),
    server_pids [int] (CPU use of these is reported as "server"), database (str: PostgreSQL
    backends of other databases count as "other"), server_workers (int), probe_path (str).

Connections are spread evenly over the server's worker processes before the run starts. With
keep-alive, a connection stays with the worker that accepted it, and which worker accepts is a
race: left alone, all 8 connections sometimes went to one worker, which then served the whole
run on one core while the other idled (a run of the intake list measured 47-53 req/s that way,
against 83-106 when spread). Each connection first sends `probe_path` (GET) and reads the
worker's pid from the `X-Served-By` header (bench/baseline/middleware.py); a connection that
lands on a worker that already has its share is held open while another is made, then closed.

Standard library only: it must not share the server's imports or its process.
"""

import http.client
import json
import os
import resource
import sys
import threading
import time
from collections import Counter

PLACEHOLDER = b"__UNIQUE__"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _postgres_database(pid: str) -> str | None:
    """The database a PostgreSQL backend serves (from its process title), None for the
    server's own processes (checkpointer, WAL writer, autovacuum...)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            title = cmdline.read().replace(b"\0", b" ").decode(errors="replace").split()
    except OSError:
        return None
    # "postgres: 15/main: <user> <database> <host>(<port>) <state>"
    if len(title) >= 5 and title[0] == "postgres:" and "(" in title[4]:
        return title[3]
    # "postgres: 15/main: parallel worker for PID <leader>": the leader's database
    if title[2:6] == ["parallel", "worker", "for", "PID"] and len(title) > 6:
        return _postgres_database(title[6])
    # "postgres: 15/main: autovacuum worker <database>"
    if title[2:4] == ["autovacuum", "worker"] and len(title) > 4:
        return title[4]
    return None


def _proc_cpu(server_pids: set[int], database: str | None) -> dict[int, tuple[str, int]]:
    """{pid: (what, CPU ticks used so far)} for the server's processes, PostgreSQL (its own
    processes and the backends of `database`), Redis, and other PostgreSQL backends."""
    used: dict[int, tuple[str, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                raw = stat.read().decode()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        ticks = int(fields[11]) + int(fields[12])  # utime + stime
        if pid in server_pids:
            used[pid] = ("server", ticks)
        elif comm == "postgres":
            serves = _postgres_database(entry)
            used[pid] = ("postgres" if serves in (None, database) else "postgres_other", ticks)
        elif comm.startswith("redis-server"):
            used[pid] = ("redis", ticks)
    return used


def _cpu_between(before: dict, after: dict) -> Counter:
    """CPU seconds per kind between two samples (a process that ended in between is lost)."""
    spent: Counter = Counter()
    for pid, (kind, ticks) in after.items():
        earlier = before.get(pid)
        spent[kind] += (ticks - earlier[1] if earlier and earlier[0] == kind else ticks) / CLK_TCK
    return spent


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, summed over cores."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return (total - idle) / CLK_TCK, total / CLK_TCK


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _connect(spec: dict) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(spec["host"], spec["port"], timeout=60)


def _served_by(conn: http.client.HTTPConnection, path: str) -> str:
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response.getheader("X-Served-By") or "?"


def balanced_connections(spec: dict) -> tuple[list[http.client.HTTPConnection], dict[str, int]]:
    """`connections` open keep-alive connections, as evenly spread over the server's workers as
    the accept race allows within a bounded number of attempts; and how many each worker has."""
    wanted, workers = spec["connections"], max(1, spec.get("server_workers") or 1)
    share = -(-wanted // workers)  # the most any worker should hold
    probe = spec.get("probe_path") or "/"
    kept: list[http.client.HTTPConnection] = []
    held: list[http.client.HTTPConnection] = []
    per_worker: Counter = Counter()
    for _ in range(50 * wanted):
        if len(kept) == wanted:
            break
        conn = _connect(spec)
        pid = _served_by(conn, probe)
        if pid != "?" and per_worker[pid] >= share:
            held.append(conn)  # kept open, so that this worker holds it and not the next one
            continue
        per_worker[pid] += 1
        kept.append(conn)
    while len(kept) < wanted:  # gave up balancing: take what comes
        conn = _connect(spec)
        per_worker[_served_by(conn, probe)] += 1
        kept.append(conn)
    for conn in held:
        conn.close()
    return kept, dict(per_worker)


class Worker(threading.Thread):
    def __init__(
        self,
        index: int,
        spec: dict,
        conn: http.client.HTTPConnection,
        start_at: float,
        measure_at: float,
        end_at: float,
    ):
        super().__init__(daemon=True)
        self.index = index
        self.spec = spec
        self.conn = conn
        self.start_at, self.measure_at, self.end_at = start_at, measure_at, end_at
        self.latencies: list[float] = []
        self.statuses: Counter = Counter()
        self.error_samples: list[str] = []
        self.warmup_requests = 0

    def _connect(self) -> http.client.HTTPConnection:
        return _connect(self.spec)

    def run(self) -> None:
        spec = self.spec
        bodies = [b.encode() for b in spec["bodies"]] if spec.get("bodies") else None
        base_headers = dict(spec.get("headers") or {})
        if bodies:
            base_headers["Content-Type"] = "application/json"
        prefix = f"{spec.get('unique_prefix', 'L')}-{self.index}"
        conn = self.conn
        seq = 0
        while time.perf_counter() < self.start_at:
            time.sleep(0.001)
        while True:
            started = time.perf_counter()
            if started >= self.end_at:
                break
            seq += 1
            unique = f"{prefix}-{seq}"
            headers = dict(base_headers)
            body = None
            if bodies:
                body = bodies[seq % len(bodies)].replace(PLACEHOLDER, unique.encode())
            if spec.get("idempotency_key"):
                headers["Idempotency-Key"] = unique
            try:
                conn.request(spec["method"], spec["path"], body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                status = str(response.status)
                if response.will_close:
                    conn.close()
                    conn = self._connect()
            except (OSError, http.client.HTTPException) as exc:
                status, payload = f"conn:{type(exc).__name__}", str(exc).encode()
                conn.close()
                conn = self._connect()
            finished = time.perf_counter()
            if started < self.measure_at:
                self.warmup_requests += 1
                if not status.startswith("2"):
                    self._sample(f"(warm-up) {status}", payload)
                continue
            if finished > self.end_at:
                break
            self.statuses[status] += 1
            if status.startswith("2"):
                self.latencies.append(finished - started)
            else:
                self._sample(status, payload)
        conn.close()

    def _sample(self, status: str, payload: bytes) -> None:
        if len(self.error_samples) < 3:
            self.error_samples.append(f"{status}: {payload[:300].decode(errors='replace')}")


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    rank = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def run(spec: dict) -> dict:
    server_pids = set(spec.get("server_pids") or ())
    database = spec.get("database")
    connections, per_worker = balanced_connections(spec)
    start_at = time.perf_counter() + 0.2
    measure_at = start_at + spec["warmup"]
    end_at = measure_at + spec["seconds"]
    workers = [
        Worker(i, spec, conn, start_at, measure_at, end_at) for i, conn in enumerate(connections)
    ]
    for worker in workers:
        worker.start()
    time.sleep(max(0.0, measure_at - time.perf_counter()))
    cpu_before, self_before, machine_before = (
        _proc_cpu(server_pids, database),
        _self_cpu(),
        _machine_busy(),
    )
    time.sleep(max(0.0, end_at - time.perf_counter()))
    cpu_after, self_after, machine_after = (
        _proc_cpu(server_pids, database),
        _self_cpu(),
        _machine_busy(),
    )
    for worker in workers:
        worker.join()
    window = spec["seconds"]
    latencies = sorted(lat for worker in workers for lat in worker.latencies)
    statuses: Counter = Counter()
    for worker in workers:
        statuses.update(worker.statuses)
    errors = sum(n for status, n in statuses.items() if not status.startswith("2"))
    spent = _cpu_between(cpu_before, cpu_after)
    cpu = {name: spent[name] / window for name in ("server", "postgres", "redis", "postgres_other")}
    cpu["loadgen"] = (self_after - self_before) / window
    busy = machine_after[0] - machine_before[0]
    total = machine_after[1] - machine_before[1]
    cpu["machine_busy_cores"] = busy / window
    cpu["machine_busy_share"] = busy / total if total else float("nan")
    ours = sum(cpu[name] for name in ("server", "postgres", "redis", "loadgen"))
    cpu["other"] = max(0.0, cpu["machine_busy_cores"] - ours)  # everything else on the machine
    return {
        "requests": sum(statuses.values()),
        "ok": len(latencies),
        "errors": errors,
        "seconds": window,
        "throughput": len(latencies) / window,
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p90_ms": _percentile(latencies, 0.90) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
        "max_ms": (latencies[-1] * 1000) if latencies else float("nan"),
        "statuses": dict(statuses),
        "warmup_requests": sum(worker.warmup_requests for worker in workers),
        "error_samples": [sample for worker in workers for sample in worker.error_samples][:5],
        "cpu_cores": cpu,
        "connections_per_worker": sorted(per_worker.values(), reverse=True),
    }


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1]) as spec_file:
        spec = json.load(spec_file)
    json.dump(run(spec), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
