"""Indicator dashboard at scale: how long the city's dashboard takes over N cases (1 M by default).

    .venv/bin/python bench/dashboard.py                       # 1 M cases, fresh SQLite file in var/
    .venv/bin/python bench/dashboard.py --cases 100000        # a quicker run
    .venv/bin/python bench/dashboard.py --database-url postgres://…/wangge_bench_dashboard
    .venv/bin/python bench/dashboard.py --database-url postgres://…/wangge_bench_dashboard --reuse

Builds a city of 3 districts × 5 streets × 5 communities × 4 grids, a catalogue of 12 categories,
4 departments and N cases spread over one year in every status (bulk inserts: it is a bench, not the
workflow), builds the indicator summary from them (`summary.rebuild`, timed, as
`manage.py indicators_rebuild` does), then times, through the real code: the whole dashboard
computation for the city (totals, children, departments, weekly trend, categories), each table
alone, the page itself through Django's test client (the whole year, and a period that does not
start or end on a month or week boundary), a street's page and a grid's page. Prints a table and,
last, one JSON line. No timing is asserted.

A PostgreSQL database given with --database-url is dropped and created afresh, unless --reuse is
given: then the city and cases an earlier run left in it (or in the SQLite file) are kept, pending
migrations are applied, and only the timings run (add --rebuild to rebuild the summary too).
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--cases", type=int, default=1_000_000)
parser.add_argument("--runs", type=int, default=5)
parser.add_argument("--seed", type=int, default=20260401)
parser.add_argument("--database-url", default="")
parser.add_argument("--reuse", action="store_true", help="keep the city and cases of an earlier run; time only")
parser.add_argument("--rebuild", action="store_true", help="with --reuse: rebuild the summary from the cases")
args = parser.parse_args()

if not args.database_url:
    path = ROOT / "var" / "bench-dashboard.sqlite3"
    path.parent.mkdir(exist_ok=True)
    if not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    args.database_url = f"sqlite:///{path}"
elif args.database_url.startswith("postgres") and not args.reuse:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(args.database_url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin_connection:
        name = parts.path.lstrip("/")
        admin_connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin_connection.execute(f'CREATE DATABASE "{name}"')
os.environ["DATABASE_URL"] = args.database_url
os.environ.setdefault("WANGGE_DEBUG", "0")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django  # noqa: E402

django.setup()
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

t_migrate = time.perf_counter()
call_command("migrate", verbosity=0)
migrate_s = time.perf_counter() - t_migrate
if connection.vendor == "sqlite":
    with connection.cursor() as cursor:  # a throwaway database: no need to wait for the disk
        cursor.execute("PRAGMA synchronous=OFF")

from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from wangge.accounts import services as account_services  # noqa: E402
from wangge.accounts.models import User  # noqa: E402
from wangge.accounts.roles import Role  # noqa: E402
from wangge.cases import indicators, summary  # noqa: E402
from wangge.cases.models import Case, Category, Channel, IndicatorSummary, Rating, Status  # noqa: E402
from wangge.regions.models import Department, Level, Region  # noqa: E402

setup_test_environment()  # the test client on 'testserver'
# The page's static links without a collectstatic manifest (the bench times the page, not files).
override_settings(
    STORAGES={
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
).enable()
rng = random.Random(args.seed)
TZ = timezone.get_current_timezone()
YEAR = datetime(2025, 1, 1, tzinfo=TZ)


# ---- the city -------------------------------------------------------------------------------------
def build_city():
    global admin
    t_build = time.perf_counter()
    Case.objects.all().delete()
    city = Region.objects.create(code="510500000000", key="5105", name="泸州市", level=Level.CITY)
    grids = []
    for d in range(1, 4):
        district = Region.objects.create(
            code=f"5105{d:02d}000000", key=f"5105{d:02d}", name=f"第{d}区", level=Level.DISTRICT, parent=city
        )
        for s in range(1, 6):
            skey = f"{district.key}{s:03d}"
            street = Region.objects.create(
                code=f"{skey}000", key=skey, name=f"{district.name}{s}街道", level=Level.STREET, parent=district
            )
            for c in range(1, 6):
                ckey = f"{skey}{c:03d}"
                community = Region.objects.create(
                    code=ckey, key=ckey, name=f"{street.name}{c}社区", level=Level.COMMUNITY, parent=street
                )
                for g in range(1, 5):
                    gkey = f"{ckey}{g:03d}"
                    x, y = 105.4 + 0.01 * (len(grids) % 20), 28.9 + 0.01 * (len(grids) // 20)
                    square = [[[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]]
                    grids.append(
                        Region.objects.create(
                            code=gkey,
                            key=gkey,
                            name=f"{community.name}{g}网格",
                            level=Level.GRID,
                            parent=community,
                            geometry={"type": "Polygon", "coordinates": square},
                        )
                    )
    departments = [
        Department.objects.create(code=f"5105-{c}", name=n, region=city, region_key="5105")
        for c, n in (("CG", "城管局"), ("ZJ", "住建局"), ("JT", "交通局"), ("SW", "水务局"))
    ]
    parents = [Category.objects.create(region_key="5105", code=f"0{i}", name=f"大类{i}") for i in range(1, 4)]
    categories = [
        Category.objects.create(region_key="5105", code=f"0{p + 1}{j:02d}", name=f"小类{p + 1}-{j}", parent=parents[p])
        for p in range(3)
        for j in range(1, 5)
    ]
    admin = account_services.user_create(
        actor=None,
        username="bench-admin",
        password="bench-pass-2026",
        role=Role.ADMINISTRATOR,
        display_name="bench",
        region_code=city.code,
    )

    STATUSES = [
        (Status.RATED, 40),
        (Status.CLOSED, 20),
        (Status.IN_PROGRESS, 10),
        (Status.DISPATCHED, 5),
        (Status.HANDLED, 5),
        (Status.ACCEPTED, 5),
        (Status.REPORTED, 5),
        (Status.REJECTED, 4),
        (Status.MERGED, 3),
        (Status.TRANSFERRED, 3),
    ]
    status_pool = [s for s, w in STATUSES for _ in range(w)]
    channels = list(Channel.values)
    ratings = [Rating.SATISFIED] * 7 + [Rating.FAIRLY] * 2 + [Rating.UNSATISFIED]

    def make(n: int) -> Case:
        status = rng.choice(status_pool)
        reported = YEAR + timedelta(seconds=rng.randrange(0, 365 * 86400))
        dispatched = status in (Status.RATED, Status.CLOSED, Status.IN_PROGRESS, Status.DISPATCHED, Status.HANDLED)
        closed = status in (Status.RATED, Status.CLOSED)
        grid = rng.choice(grids)
        return Case(
            number=f"WG-2025-{n:07d}",
            text="bench",
            category_id=rng.choice(categories).pk,
            channel=rng.choice(channels),
            region_key=grid.key,
            grid_id=grid.pk,
            status=status,
            reported_at=reported,
            lead_department_id=rng.choice(departments).pk if dispatched and rng.random() < 0.8 else None,
            first_dispatched_at=reported + timedelta(hours=rng.uniform(0.2, 30)) if dispatched else None,
            closed_at=reported + timedelta(days=rng.uniform(1, 20)) if closed else None,
            breach_count=1 if dispatched and rng.random() < 0.1 else 0,
            return_count=1 if dispatched and rng.random() < 0.08 else 0,
            reopen_count=1 if closed and rng.random() < 0.03 else 0,
            rating=rng.choice(ratings) if status == Status.RATED else "",
            lat=28.9 + rng.random() * 0.2,
            lng=105.4 + rng.random() * 0.2,
        )

    BATCH = 10_000
    first_merged = None
    for start in range(0, args.cases, BATCH):
        batch = [make(n) for n in range(start + 1, min(start + BATCH, args.cases) + 1)]
        for case in batch:
            if case.status == Status.MERGED:
                if first_merged is None:
                    case.status = Status.ACCEPTED
                else:
                    case.merged_into_id = first_merged
            if case.status == Status.TRANSFERRED:
                case.transfer_service, case.transfer_reference = "110", f"T{case.number}"
        Case.objects.bulk_create(batch)
        if first_merged is None:
            first_merged = Case.objects.order_by("id").values_list("id", flat=True).first()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_case")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return time.perf_counter() - t_build


def rebuild_summary() -> tuple[float, int]:
    t_rebuild = time.perf_counter()
    rebuilt = summary.rebuild()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_indicatorsummary")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return time.perf_counter() - t_rebuild, rebuilt["rows"]


if args.reuse and Case.objects.exists():
    admin = User.objects.get(username="bench-admin")
    build_s = 0.0
    rebuild_s, rebuilt_rows = rebuild_summary() if args.rebuild else (0.0, IndicatorSummary.objects.count())
else:
    build_s = build_city()
    rebuild_s, rebuilt_rows = rebuild_summary()

# ---- timings ---------------------------------------------------------------------------------------
load_before = os.getloadavg()
period = indicators.Period(YEAR.date(), datetime(2025, 12, 31).date())
scope = indicators.indicator_scope(user=admin)


cpu: list[float] = []  # this process's CPU time of each timed call (median), in the order timed


def timed(fn) -> float:
    if args.runs > 1:
        fn()  # warm
    samples, cpu_samples = [], []
    for _ in range(args.runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
        cpu_samples.append((time.process_time() - c) * 1000)
    cpu.append(statistics.median(cpu_samples))
    return statistics.median(samples)


client = Client()
client.force_login(admin)
query = {"from": "2025-01-01", "to": "2025-12-31"}


def get(params: dict) -> None:
    response = client.get("/dashboard/", params)
    assert response.status_code == 200, response.status_code


def page():
    get(query)


street = Region.objects.filter(level=Level.STREET).order_by("code").first()
grid = Region.objects.filter(level=Level.GRID).order_by("code").first()
district = Region.objects.filter(level=Level.DISTRICT).order_by("code").first()
ragged = {"from": "2025-03-12", "to": "2025-11-20"}  # neither a month nor a week boundary at either end
ragged_period = indicators.Period(datetime(2025, 3, 12).date(), datetime(2025, 11, 20).date())
results = {
    "cases": Case.objects.count(),
    "build_s": round(build_s, 1),
    "rebuild_s": round(rebuild_s, 1),
    "migrate_s": round(migrate_s, 1),
    "summary_rows": rebuilt_rows,
    "totals_ms": timed(lambda: indicators.totals(scope=scope, period=period)),
    "children_ms": timed(lambda: indicators.children_rows(scope=scope, period=period)),
    "departments_ms": timed(lambda: indicators.department_rows(scope=scope, period=period)),
    "trend_ms": timed(lambda: indicators.trend_rows(scope=scope, period=period, step="week")),
    "categories_ms": timed(lambda: indicators.category_rows(scope=scope, period=period)),
    "dashboard_compute_ms": timed(lambda: indicators.dashboard(user=admin, period=period)),
    "dashboard_page_ms": timed(page),
    "ragged_page_ms": timed(lambda: get(ragged)),
    "ragged_totals_ms": timed(lambda: indicators.totals(scope=scope, period=ragged_period)),
    "ragged_children_ms": timed(lambda: indicators.children_rows(scope=scope, period=ragged_period)),
    "ragged_departments_ms": timed(lambda: indicators.department_rows(scope=scope, period=ragged_period)),
    "ragged_trend_ms": timed(lambda: indicators.trend_rows(scope=scope, period=ragged_period, step="week")),
    "ragged_categories_ms": timed(lambda: indicators.category_rows(scope=scope, period=ragged_period)),
    "district_page_ms": timed(lambda: get({**query, "region": district.code})),
    "district_ragged_page_ms": timed(lambda: get({**ragged, "region": district.code})),
    "street_page_ms": timed(lambda: get({**query, "region": street.code})),
    "street_ragged_page_ms": timed(lambda: get({**ragged, "region": street.code})),
    "grid_page_ms": timed(lambda: get({**query, "region": grid.code})),
    "grid_ragged_page_ms": timed(lambda: get({**ragged, "region": grid.code})),
}
results["dashboard_ms_1m"] = results["dashboard_page_ms"] if args.cases >= 1_000_000 else None

print(
    f"database: {connection.vendor}; cases: {results['cases']:,}; build {results['build_s']} s; "
    f"summary rebuilt in {results['rebuild_s']} s ({results['summary_rows']:,} rows); migrate {results['migrate_s']} s"
)
print(
    f"load average (1, 5, 15 min) before timing: {' '.join(f'{x:.2f}' for x in load_before)}; "
    f"after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
)
print(f"{'metric':<28}{'value':>12}  {'this process CPU':>16}  target")
timings = [key for key in results if key.endswith("_ms") and key != "dashboard_ms_1m"]
for key, cpu_ms in zip(timings, cpu, strict=True):
    target = "≤ 200 ms" if key.endswith("page_ms") else ""
    print(f"{key:<28}{results[key]:>10.1f} ms  {cpu_ms:>13.1f} ms  {target}")
results["cpu_ms"] = dict(zip(timings, (round(c, 1) for c in cpu), strict=True))
print(json.dumps({k: (round(v, 1) if isinstance(v, float) else v) for k, v in results.items()}))
