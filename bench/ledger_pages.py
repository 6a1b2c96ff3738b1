"""Benchmark: the resident ledger's pages on a city-scale SQLite demo (about a million residents).

Builds the city-scale demo city once into var/bench-city.sqlite3 (`manage.py migrate` and
`demo_city --scale city`, about 7 minutes) or reuses it; a database built before the ledgers
existed is migrated and given the ledgers' demo data. Static files are collected into
var/bench-static and Django runs with WANGGE_DEBUG=0, as the demo server does (cached
templates, manifest static files).

Each case is a real request through Django's test client, logged in as one of the demo users:

    gridworker  专职网格员, one grid          (scope 510502001001001)
    community   社区工作者, one community      (scope 510502001001)
    admin       管理员, the whole city         (scope 5105; leaders have no VIEW_PEOPLE, so the
                                               city-wide reader of residents is the administrator)

Cases: the resident list's first page and a deep page (keyset cursor at 90 % of the user's
residents), search by name (a common surname's prefix, and one person's full name), by full ID
number and by phone (exact, through the blind indexes; posted like the page does), and by grid.
Every case is also asked of the JSON API (/api/v1/residents, GET; POST /residents/search for
numbers). After two warm-up requests each case runs --repeat times; median, p95 and max are
reported. The first request of each user (cold templates and translations) is reported apart.

Reference: the page's main query (the resident SELECT Django ran, captured) timed as raw SQL
with Python's sqlite3 module on its own connection, fetching every row; and, for the deep page,
the same page fetched with LIMIT/OFFSET, which keyset pagination avoids.

    .venv/bin/python bench/ledger_pages.py               # reuse or build var/bench-city.sqlite3
    .venv/bin/python bench/ledger_pages.py --fresh       # rebuild the database first
    .venv/bin/python bench/ledger_pages.py --repeat 5    # quicker, noisier

Prints a table and, as the last line, one JSON object with the numbers. Nothing asserts on
timings; the target (300 ms) is shown for reading.
"""

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

TARGET_MS = 300.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=str(REPO_ROOT / "var" / "bench-city.sqlite3"))
    parser.add_argument("--fresh", action="store_true", help="delete and rebuild the database")
    parser.add_argument("--repeat", type=int, default=15)
    return parser.parse_args()


ARGS = parse_args()
DB = Path(ARGS.db).resolve()
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ["WANGGE_DEBUG"] = "0"
os.environ.setdefault("WANGGE_STATIC_ROOT", str(REPO_ROOT / "var" / "bench-static"))
os.environ.setdefault("WANGGE_SECRET_KEY", "insecure-demo-key-set-WANGGE_SECRET_KEY-in-production")

if ARGS.fresh:
    for suffix in ("", "-wal", "-shm"):
        Path(str(DB) + suffix).unlink(missing_ok=True)
DB.parent.mkdir(parents=True, exist_ok=True)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from wangge.accounts.models import User  # noqa: E402
from wangge.core import pii  # noqa: E402
from wangge.regions.models import Region  # noqa: E402
from wangge.registry.models import Residence, Resident  # noqa: E402
from wangge.registry.query import _encode, _next_digit_string  # noqa: E402

USERS = [("gridworker", "510502001001001"), ("community", "510502001001"), ("admin", "5105")]


def prepare() -> dict:
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    built = False
    if not Region.objects.filter(code="510500000000").exists():
        print("building the city-scale demo (about 7 minutes) …", flush=True)
        call_command("demo_city", "--scale", "city", stdout=sys.stderr)
        built = True
    elif not Residence.objects.exists():
        from types import SimpleNamespace

        from wangge.registry.demo import build_registry_demo

        print("adding the ledgers' demo data to the existing city …", flush=True)
        with transaction.atomic():
            build_registry_demo(SimpleNamespace(seed=1, counts={}))
    call_command("collectstatic", "--noinput", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registry_resident")
        residents = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM regions_household")
        households = cursor.fetchone()[0]
    return {
        "built_now": built,
        "prepare_s": round(time.monotonic() - started, 1),
        "residents": residents,
        "households": households,
        "db_mb": round(DB.stat().st_size / 2**20),
    }


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(
            next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1]
        )
    except (OSError, StopIteration, ValueError):
        mem_kb = 0
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "ram_gib": round(mem_kb / 2**20, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "django": django.get_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def scope_bounds(key: str) -> tuple[str, str]:
    return key, _next_digit_string(key) or "~"


def sample(key: str) -> dict:
    """A present resident with a phone in the middle of the scope, and the deep-page cursor."""
    low, high = scope_bounds(key)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM registry_resident WHERE region_key >= %s AND region_key < %s AND left_on IS NULL",
            [low, high],
        )
        count = cursor.fetchone()[0]
        cursor.execute(
            "SELECT region_key, id FROM registry_resident WHERE region_key >= %s AND region_key < %s "
            "AND left_on IS NULL ORDER BY region_key, id LIMIT 1 OFFSET %s",
            [low, high, int(count * 0.9)],
        )
        deep_key, deep_id = cursor.fetchone()
        cursor.execute(
            "SELECT id FROM registry_resident WHERE region_key >= %s AND region_key < %s AND left_on IS NULL "
            "AND phone_cipher <> '' ORDER BY region_key, id LIMIT 1 OFFSET %s",
            [low, high, count // 2],
        )
        person = Resident.objects.get(pk=cursor.fetchone()[0])
    grid = Region.objects.filter(level=6, key__startswith=key).order_by("key")[
        min(3, Region.objects.filter(level=6, key__startswith=key).count() - 1)
    ]
    return {
        "count": count,
        "deep_offset": int(count * 0.9),
        "cursor": _encode([deep_key, deep_id]),
        "person": person,
        "id_number": pii.decrypt(person.id_cipher),
        "phone": pii.decrypt(person.phone_cipher),
        "grid": grid.code,
    }


def timed(fn, repeat: int) -> list[float]:
    fn()
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))], 1),
        "max_ms": round(ordered[-1], 1),
    }


def main_query(client: Client, request) -> tuple[str, int, str]:
    """Run the request once, capturing the resident SELECT; answer (sql, status, body)."""
    with CaptureQueriesContext(connection) as captured:
        response = request(client)
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT "registry_resident"')]
    return (selects[-1] if selects else ""), response.status_code, response.content.decode()


def raw_times(sql: str, repeat: int) -> list[float]:
    raw = sqlite3.connect(str(DB))
    try:
        return timed(lambda: raw.execute(sql).fetchall(), repeat)
    finally:
        raw.close()


def cases(s: dict) -> list[tuple[str, object, object, str]]:
    """(name, page request, API request, text the answer must contain)."""
    person = s["person"]
    surname = person.name[0]

    def get(url, data=None):
        return lambda c: c.get(url, data or {})

    def post_page(q):
        return lambda c: c.post("/registry/", {"q": q})

    def post_api(q):
        return lambda c: c.post("/api/v1/residents/search", json.dumps({"q": q}), content_type="application/json")

    return [
        ("list, first page", get("/registry/"), get("/api/v1/residents"), "/registry/residents/"),
        (
            f"list, deep page (row {s['deep_offset']:,})",
            get("/registry/", {"cursor": s["cursor"]}),
            get("/api/v1/residents", {"cursor": s["cursor"]}),
            "/registry/residents/",
        ),
        (
            f"name prefix “{surname}”",
            get("/registry/", {"q": surname}),
            get("/api/v1/residents", {"q": surname}),
            surname,
        ),
        (
            "full name",
            get("/registry/", {"q": person.name}),
            get("/api/v1/residents", {"q": person.name}),
            person.name,
        ),
        ("full ID number (blind index)", post_page(s["id_number"]), post_api(s["id_number"]), person.name),
        ("phone (blind index)", post_page(s["phone"]), post_api(s["phone"]), person.name),
        (
            f"grid {s['grid']}",
            get("/registry/", {"region": s["grid"]}),
            get("/api/v1/residents", {"region": s["grid"]}),
            "/registry/residents/",
        ),
    ]


def offset_reference(key: str, offset: int, repeat: int) -> list[float]:
    """The deep page as LIMIT/OFFSET would fetch it (what keyset pagination avoids)."""
    low, high = scope_bounds(key)
    sql = (
        "SELECT id, name, id_masked, region_key FROM registry_resident WHERE region_key >= ? AND region_key < ? "
        "AND left_on IS NULL ORDER BY region_key, id LIMIT 51 OFFSET ?"
    )
    raw = sqlite3.connect(str(DB))
    try:
        return timed(lambda: raw.execute(sql, [low, high, offset]).fetchall(), repeat)
    finally:
        raw.close()


def main():
    prepared = prepare()
    info = machine()
    results = []
    cold = {}
    for username, key in USERS:
        s = sample(key)
        client = Client()
        client.force_login(User.objects.get(username=username))
        started = time.perf_counter()
        first = client.get("/registry/")
        cold[username] = round((time.perf_counter() - started) * 1000, 1)
        assert first.status_code == 200, (username, first.status_code)
        for name, page, api, expect in cases(s):
            sql, status, body = main_query(client, page)
            found = status == 200 and expect in body
            page_times = timed(lambda p=page, c=client: p(c), ARGS.repeat)
            api_times = timed(lambda a=api, c=client: a(c), ARGS.repeat)
            raw = raw_times(sql, ARGS.repeat) if sql else []
            row = {
                "user": username,
                "scope_residents": s["count"],
                "case": name,
                "found": found,
                "page": summary(page_times),
                "api": summary(api_times),
                "raw_sql": summary(raw) if raw else None,
            }
            if name.startswith("list, deep"):
                row["offset_sql"] = summary(offset_reference(key, s["deep_offset"], ARGS.repeat))
            results.append(row)
            print(".", end="", flush=True, file=sys.stderr)
    print(file=sys.stderr)

    print(
        f"database: {DB.name}, {prepared['residents']:,} residents, {prepared['households']:,} households, "
        f"{prepared['db_mb']:,} MB; prepared in {prepared['prepare_s']} s"
    )
    print(
        f"machine: {info['cpus']} × {info['cpu']}, {info['ram_gib']} GiB; Python {info['python']}, "
        f"SQLite {info['sqlite']}, Django {info['django']}; load average at start {info['load_average']}"
    )
    print("first request after login (cold): " + ", ".join(f"{u} {ms} ms" for u, ms in cold.items()))
    print()
    header = f"{'user':<11} {'case':<36} {'page med':>9} {'p95':>7} {'max':>7} {'api med':>8} {'raw SQL':>8}  ok"
    print(header)
    print("-" * len(header))
    for row in results:
        raw = f"{row['raw_sql']['median_ms']:>8.1f}" if row["raw_sql"] else f"{'—':>8}"
        ok = "✓" if row["found"] and row["page"]["p95_ms"] < TARGET_MS and row["api"]["p95_ms"] < TARGET_MS else "✗"
        print(
            f"{row['user']:<11} {row['case'][:36]:<36} {row['page']['median_ms']:>9.1f} {row['page']['p95_ms']:>7.1f} "
            f"{row['page']['max_ms']:>7.1f} {row['api']['median_ms']:>8.1f} {raw}  {ok}"
        )
        if "offset_sql" in row:
            print(
                f"{'':<11} {'  same page by OFFSET, raw SQL':<36} {'':>9} {'':>7} {'':>7} {'':>8} "
                f"{row['offset_sql']['median_ms']:>8.1f}"
            )
    print()
    worst = max(max(r["page"]["p95_ms"], r["api"]["p95_ms"]) for r in results)
    print(
        f"all times in ms; {ARGS.repeat} runs per case after 2 warm-ups; target: p95 < {TARGET_MS:.0f} ms; "
        f"worst p95 {worst:.1f} ms; every answer contained what was searched: {all(r['found'] for r in results)}"
    )
    print(
        json.dumps(
            {
                "benchmark": "ledger_pages",
                "target_ms": TARGET_MS,
                "worst_p95_ms": worst,
                "all_found": all(r["found"] for r in results),
                "cold_first_request_ms": cold,
                "database": prepared,
                "machine": info,
                "repeat": ARGS.repeat,
                "results": results,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
