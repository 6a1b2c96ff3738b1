"""Case intake over HTTP: the 12345 hotline API against a real server on PostgreSQL.

    .venv/bin/python bench/intake.py                    # 16 clients, 20 s, 2 gunicorn workers × 4 threads
    .venv/bin/python bench/intake.py --quick            # a smoke run (5 s)
    .venv/bin/python bench/intake.py --clients 32 --workers 3 --seconds 30
    .venv/bin/python bench/intake.py --worker-class sync --workers 4 --new-connection   # the old set-up

What it does, in one run:
1. drops and creates its own database (default `wangge_bench`), migrates it and builds the small
   demo city; issues an API token for the demo's 12345 operator;
2. measures the reference: single-row INSERT transactions (autocommit, one row each) from Python
   on the same database, by the same number of concurrent threads, each with its own connection;
3. starts gunicorn on a free port as docs/operations.md runs it (gthread workers, keep-alive,
   persistent and prepared PostgreSQL connections) and lets N client threads POST cases to
   `/api/v1/hotline/cases` (a fresh Idempotency-Key each, points inside the demo's grids) for the
   given time, each over its own kept-alive connection; each request's latency is taken on the
   client, and the CPU time used meanwhile by the server's processes, the PostgreSQL backends
   serving it, the client threads and the whole machine is read from /proc;
4. checks that the database holds exactly as many hotline cases as were answered 201;
5. times the indicator dashboard at 1 M cases: runs bench/dashboard.py on the same database (which it
   drops and creates again) and takes its page time (`--dashboard-cases`, `--skip-dashboard`).

Prints a table and, last, one JSON object: cases_per_s, p50_ms, p99_ms, raw_insert_per_s,
dashboard_ms_1m (and the details). Targets (intake >= 0.2 x raw insert rate, p99 <= 100 ms) are shown, never asserted.
The clients run on the same machine as the server and the database, and take CPU from them.
"""

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--database-url", default="postgres://wangge:wangge-ci@127.0.0.1:5432/wangge_bench")
parser.add_argument("--clients", type=int, default=16)
parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (gthread, sync)")
parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
parser.add_argument(
    "--new-connection", action="store_true", help="open a new TCP connection per request (default: keep-alive)"
)
parser.add_argument("--seconds", type=float, default=20.0)
parser.add_argument("--quick", action="store_true")
parser.add_argument("--keep-database", action="store_true", help="reuse the database if it is built already")
parser.add_argument("--dashboard-cases", type=int, default=1_000_000, help="cases for the dashboard timing")
parser.add_argument("--skip-dashboard", action="store_true", help="do not time the dashboard")
args = parser.parse_args()
if args.quick:
    args.seconds = min(args.seconds, 5.0)

DB_URL = args.database_url
os.environ["DATABASE_URL"] = DB_URL
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ.setdefault("WANGGE_DB_CONN_MAX_AGE", "600")
os.environ.setdefault("WANGGE_DB_PREPARE", "1")  # as docs/operations.md recommends without a pooler


def log(message: str) -> None:
    print(message, flush=True)


def recreate_database() -> None:
    import psycopg

    parts = urlsplit(DB_URL)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and args.keep_database:
            return
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


recreate_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402


def setup_city() -> tuple[str, list[tuple[float, float]]]:
    """Migrate, build the demo (once), and return a hotline token and points inside grids."""
    from io import StringIO

    import shapely

    from wangge.accounts import services as account_services
    from wangge.accounts.models import User
    from wangge.regions.geometry import to_shape
    from wangge.regions.models import Level, Region

    call_command("migrate", verbosity=0)
    if not Region.objects.filter(code="510500000000").exists():
        started = time.monotonic()
        call_command("demo_city", scale="small", stdout=StringIO())
        log(f"demo city built in {time.monotonic() - started:.1f} s")
    operator = User.objects.get(username="hotline")
    _token, raw = account_services.token_create(actor=None, user=operator, name="bench")
    rng = random.Random(7)
    points = []
    for grid in Region.objects.filter(level=Level.GRID, geometry__isnull=False):
        shape = to_shape(grid.geometry)
        point = shape.representative_point()
        points.append((point.x, point.y))
        west, south, east, north = shape.bounds
        for _ in range(20):
            x, y = rng.uniform(west, east), rng.uniform(south, north)
            if shape.contains(shapely.Point(x, y)):
                points.append((x, y))
    return raw, points


def raw_insert_rate(threads: int, seconds: float) -> float:
    """Single-row INSERT transactions per second (autocommit), `threads` connections at once."""
    import psycopg

    with psycopg.connect(DB_URL, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw_insert")
        conn.execute(
            "CREATE TABLE bench_raw_insert (id bigserial PRIMARY KEY, text varchar(200) NOT NULL, "
            "at timestamptz NOT NULL DEFAULT now())"
        )
    counts = [0] * threads
    stop = time.monotonic() + seconds
    barrier = threading.Barrier(threads)

    def run(index: int):
        with psycopg.connect(DB_URL, autocommit=True) as conn:
            barrier.wait()
            n = 0
            while time.monotonic() < stop:
                conn.execute("INSERT INTO bench_raw_insert (text) VALUES (%s)", ["小区门口垃圾堆积"])
                n += 1
            counts[index] = n

    started = time.monotonic()
    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        conn.execute("DROP TABLE bench_raw_insert")
    return sum(counts) / elapsed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=DB_URL,
        WANGGE_DEBUG="0",
        WANGGE_SECRET_KEY=os.environ.get("WANGGE_SECRET_KEY", "bench-" + uuid.uuid4().hex),
        WANGGE_ALLOWED_HOSTS="127.0.0.1,localhost",
        WANGGE_LOG_LEVEL="WARNING",
        WANGGE_SECURE=os.environ.get("WANGGE_SECURE", "0"),
    )
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "config.wsgi",
        "--workers", str(args.workers),
        "--bind", f"127.0.0.1:{port}",
        "--worker-class", args.worker_class,
        "--threads", str(args.threads),
        "--keep-alive", "30",
        "--backlog", "2048",
        "--log-level", "warning",
        "--timeout", "180",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start within 30 s")


_local = threading.local()


def _connection(port: int, timeout: float) -> http.client.HTTPConnection:
    """The calling thread's connection to the server: kept open between requests (keep-alive, as
    a hotline system's connection pool would), or a new one per request with --new-connection."""
    conn = getattr(_local, "conn", None)
    if conn is None or args.new_connection:
        conn = _local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.timeout = timeout
    return conn


def post_case(
    port: int, token: str, point: tuple[float, float], n: int, timeout: float = 30
) -> tuple[int, float, bytes]:
    body = json.dumps(
        {
            "text": f"来电反映：小区门口垃圾堆积，第{n}件",
            "caller_name": "王女士",
            "caller_phone": f"139{n % 100000000:08d}",
            "lng": point[0],
            "lat": point[1],
        },
        ensure_ascii=False,
    ).encode()
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Idempotency-Key": uuid.uuid4().hex,
        "Host": "127.0.0.1",
    }
    started = time.perf_counter()
    for attempt in (1, 2):
        conn = _connection(port, timeout)
        try:
            conn.request("POST", "/api/v1/hotline/cases", body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            status = response.status
            break
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # The server closed a kept-alive connection (idle timeout, worker restart): send the
            # same request again on a new one; the Idempotency-Key makes the retry safe.
            conn.close()
            _local.conn = None
            if attempt == 2:
                raise
        finally:
            if args.new_connection:
                conn.close()
    return status, (time.perf_counter() - started) * 1000, content


TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def server_pids(server: subprocess.Popen) -> list[int]:
    """gunicorn's master and its workers."""
    pids = [server.pid]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == server.pid:
                        pids.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return pids


def database_pids() -> list[int]:
    """The PostgreSQL backends serving the benchmark's database (the server's connections)."""
    import psycopg

    with psycopg.connect(DB_URL, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [row[0] for row in rows]


def machine_busy() -> tuple[float, float]:
    """(busy CPU seconds of the whole machine, wall seconds of uptime): every process, other users' too."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return (sum(values[:8]) - idle) / TICK, uptime


class CpuMeter:
    """CPU used during the drive by the server's processes, the database backends serving it, the
    client threads (this process) and the machine as a whole."""

    def __init__(self, server: subprocess.Popen):
        self.server = server
        self.start = self._read({})

    def _read(self, known: dict) -> dict:
        servers = {pid: process_cpu(pid) for pid in server_pids(self.server)}
        backends = {pid: process_cpu(pid) for pid in set(database_pids()) | set(known.get("backends", {}))}
        return {
            "servers": servers,
            "backends": backends,
            "client": time.process_time(),
            "machine": machine_busy()[0],
        }

    def stop(self) -> dict:
        end = self._read(self.start)

        def spent(part):
            return sum(cpu - self.start[part].get(pid, 0.0) for pid, cpu in end[part].items())

        return {
            "server_cpu_s": round(spent("servers"), 2),
            "database_cpu_s": round(spent("backends"), 2),
            "client_cpu_s": round(end["client"] - self.start["client"], 2),
            "machine_cpu_s": round(end["machine"] - self.start["machine"], 2),
        }


def drive(port: int, token: str, points, clients: int, seconds: float):
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[tuple[int, bytes]] = []
    counter = iter(range(10**9))
    lock = threading.Lock()
    barrier = threading.Barrier(clients)
    stop_box = [0.0]

    def run(index: int):
        rng = random.Random(index)
        barrier.wait()
        if index == 0:
            stop_box[0] = time.monotonic() + seconds
        while not stop_box[0]:
            time.sleep(0.001)
        while time.monotonic() < stop_box[0]:
            with lock:
                n = next(counter)
            status, ms, content = post_case(port, token, rng.choice(points), n)
            if status == 201:
                latencies[index].append(ms)
            else:
                failures.append((status, content[:300]))

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return [ms for per in latencies for ms in per], failures, elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def dashboard_timing() -> dict:
    """bench/dashboard.py on this database, its last line (a JSON object)."""
    command = [
        sys.executable, str(ROOT / "bench" / "dashboard.py"),
        "--cases", str(args.dashboard_cases), "--runs", "3", "--database-url", DB_URL,
    ]  # fmt: skip
    log(f"dashboard: {args.dashboard_cases:,} cases on the same database …")
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    for line in lines[:-1]:
        log("  " + line)
    return json.loads(lines[-1])


def main():
    load_before = round(os.getloadavg()[0], 2)
    token, points = setup_city()
    from wangge.cases.models import Case, Channel

    before = Case.objects.filter(channel=Channel.HOTLINE).count()
    connection.close()
    log(f"raw INSERT reference: {args.clients} threads × {min(args.seconds, 10):.0f} s …")
    raw_rate = raw_insert_rate(args.clients, min(args.seconds, 10.0))
    port = free_port()
    server = start_server(port)
    try:
        for i in range(args.workers * 4):  # warm every worker (imports, the grid index)
            # A worker's first request imports and builds its grid index: slow on a busy machine.
            post_case(port, token, points[i % len(points)], 10**8 + i, timeout=180)
        before = Case.objects.filter(channel=Channel.HOTLINE).count()
        connection.close()
        log(
            f"intake: {args.clients} clients × {args.seconds:.0f} s against {args.workers} gunicorn "
            f"{args.worker_class} workers × {args.threads} threads, "
            f"{'new connection per request' if args.new_connection else 'keep-alive'} …"
        )
        meter = CpuMeter(server)
        latencies, failures, elapsed = drive(port, token, points, args.clients, args.seconds)
        cpu = meter.stop()
    finally:
        server.terminate()
        server.wait(timeout=30)
    filed = Case.objects.filter(channel=Channel.HOTLINE).count() - before
    ok = len(latencies)
    result = {
        "cases_per_s": round(ok / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
        "raw_insert_per_s": round(raw_rate, 1),
        "ratio": round(ok / elapsed / raw_rate, 3) if raw_rate else None,
        "cases": ok,
        "failures": len(failures),
        "cases_in_database": filed,
        "clients": args.clients,
        "workers": args.workers,
        "seconds": round(elapsed, 1),
        "cpus": os.cpu_count(),
        "worker_class": args.worker_class,
        "threads": args.threads,
        "keep_alive": not args.new_connection,
        "prepared_statements": os.environ["WANGGE_DB_PREPARE"],
        "load_before": load_before,
        **cpu,
    }
    for part in ("server", "database", "client", "machine"):
        result[f"{part}_cpu_ms_per_case"] = round(cpu[f"{part}_cpu_s"] * 1000 / ok, 2) if ok else None
    if failures:
        log(f"first failure: {failures[0][0]} {failures[0][1][:300]!r}")
    dashboard = {} if args.skip_dashboard else dashboard_timing()
    result["dashboard_ms_1m"] = dashboard.get("dashboard_ms_1m")
    result["dashboard_page_ms"] = dashboard.get("dashboard_page_ms")
    result["dashboard_cases"] = dashboard.get("cases")
    rows = [
        ("intake cases/s", result["cases_per_s"], f">= {0.2 * raw_rate:.0f} (0.2 × raw)"),
        ("intake p50 ms", result["p50_ms"], ""),
        ("intake p99 ms", result["p99_ms"], "<= 100"),
        ("raw single-row INSERT tx/s", result["raw_insert_per_s"], "reference"),
        ("intake / raw", result["ratio"], ">= 0.2"),
        ("answered 201 / in database", f"{ok} / {filed}", "equal"),
        ("failed requests", len(failures), "0"),
        ("CPU ms/case: server", result["server_cpu_ms_per_case"], "gunicorn master + workers"),
        ("CPU ms/case: database", result["database_cpu_ms_per_case"], "PostgreSQL backends of the server"),
        ("CPU ms/case: client", result["client_cpu_ms_per_case"], "the client threads"),
        ("CPU ms/case: machine", result["machine_cpu_ms_per_case"], "everything, other users too"),
        ("load average before", load_before, ""),
        (f"dashboard page ms ({result['dashboard_cases'] or 0:,} cases)", result["dashboard_page_ms"], "<= 200"),
    ]
    log(f"\n{'metric':<30} {'value':>14}  target")
    for name, value, target in rows:
        log(f"{name:<30} {value!s:>14}  {target}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
