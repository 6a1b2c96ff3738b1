"""Benchmark: importing 100,000 residents from .xlsx through the real import path.

A fresh SQLite database is built with `migrate` in a temporary directory, with generated places
for the people to live in: one street of 4 communities × 4 grids, 2 compounds per grid, 10
buildings per compound, 2 units × 8 floors × 2 rooms per building (20,480 households). The
workbook is generated with xlsxwriter in the template's layout: generated names, valid ID
numbers whose order code starts with 9 (like the demo's, so never a real person's), phones
starting 170, birth dates (as date cells) agreeing with the ID numbers, genders, categories and
move-in dates — every cell is checked.

Measured (nothing here asserts on timings):

- raw read: python-calamine opening the same file and reading the sheet into Python lists
  (`to_python`), best of 3 — the floor any import of this file has to pay;
- raw write: SQLite alone writing the rows the commit wrote (see `raw_write`) — the floor of
  writing them;
- dry run: `services.import_upload` as the upload page and API call it (read, check every
  cell, duplicates, households and people looked up in the database, each row checked and each
  new person staged — encrypted, indexed, masked — half of the rows in a forked second process;
  counts; the staged rows are kept, sealed, for the commit), nothing written to the ledger;
- commit: `services.import_commit`, which opens the staged rows, checks their households again
  (still there, inside the scope), inserts them (the unique blind index refuses anyone registered
  meanwhile), copies their first residences from them, and writes the import's audit event, in one
  transaction.

Because the commit relies on the dry run's parsing, "validation + commit" — the `rows_per_s`
figure — is the dry run plus the commit; each phase is reported on its own as well.

    .venv/bin/python bench/import.py              # 100,000 rows
    .venv/bin/python bench/import.py --rows 20000 # quicker

Prints a table and, as the last line, one JSON object with the numbers.
"""

import argparse
import datetime
import gc
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

WORKDIR = Path(tempfile.mkdtemp(prefix="wangge-bench-import-"))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ["DATABASE_URL"] = f"sqlite:///{WORKDIR / 'bench.sqlite3'}"
os.environ["WANGGE_MEDIA_ROOT"] = str(WORKDIR / "media")
os.environ["WANGGE_IMPORT_INLINE_BYTES"] = str(1 << 40)  # measure the import path itself, in this process
os.environ["WANGGE_TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"

import django

django.setup()

import python_calamine
import xlsxwriter
from django.core.management import call_command

from wangge.accounts import services as account_services
from wangge.accounts.roles import Role
from wangge.core import pii
from wangge.core.models import AuditEvent
from wangge.core.validators import id_check_char
from wangge.demo import names
from wangge.regions.models import Building, Compound, Household, Level, Region
from wangge.registry.models import Resident
from wangge.sheets import services

TARGET_ROWS_PER_S = 20_000
TARGET_FRACTION_OF_RAW = 0.3
STREET = "510502001"


def build_places(rng: random.Random) -> list[tuple]:
    """Region tree down to grids (square boxes, no tiling checks needed here) and households."""
    box = {"type": "Polygon", "coordinates": [[[105.4, 28.9], [105.41, 28.9], [105.41, 28.91], [105.4, 28.9]]]}
    province = Region.objects.create(code="510000000000", key="51", name="四川省", level=Level.PROVINCE)
    city = Region.objects.create(code="510500000000", key="5105", name="泸州市", level=Level.CITY, parent=province)
    district = Region.objects.create(
        code="510502000000", key="510502", name="江阳区", level=Level.DISTRICT, parent=city
    )
    street = Region.objects.create(
        code=STREET + "000", key=STREET, name="南城街道", level=Level.STREET, parent=district
    )
    addresses = []
    for c in range(1, 5):
        community = Region.objects.create(
            code=f"{STREET}{c:03d}", key=f"{STREET}{c:03d}", name=f"第{c}社区", level=Level.COMMUNITY, parent=street
        )
        for g in range(1, 5):
            code = f"{community.code}{g:03d}"
            grid = Region.objects.create(
                code=code, key=code, name=f"第{c}社区第{g}网格", level=Level.GRID, parent=community, geometry=box
            )
            for k in range(2):
                compound = Compound.objects.create(
                    name=rng.choice(names.PLACE_WORDS) + f"{k + 1}期花园", grid=grid, region_key=code
                )
                buildings = Building.objects.bulk_create(
                    [
                        Building(compound=compound, region_key=code, name=f"{b}栋", floors=8, units=2)
                        for b in range(1, 11)
                    ]
                )
                households = [
                    Household(building=building, region_key=code, unit=unit, room=f"{floor}{room:02d}")
                    for building in buildings
                    for unit in (1, 2)
                    for floor in range(1, 9)
                    for room in (1, 2)
                ]
                Household.objects.bulk_create(households)
                for h in households:
                    addresses.append((code, compound.name, h.building.name, h.unit, h.room))
    return addresses


def person_name(rng: random.Random) -> str:
    given = "".join(rng.choice(names.GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(names.SURNAMES) + given


def write_workbook(path: Path, count: int, addresses: list[tuple], rng: random.Random) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("实有人口")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    headers = ["姓名", "身份证号", "性别", "出生日期", "手机号", "人口类别", "入住日期", "网格编码", "小区", "楼栋"]
    headers += ["单元", "房号"]
    sheet.write_row(0, 0, headers)
    used = set()
    start = datetime.date(1940, 1, 1)
    for line in range(1, count + 1):
        while True:
            birth = start + datetime.timedelta(days=rng.randrange(0, 30000))
            male = rng.random() < 0.5
            last = rng.randrange(1, 10, 2) if male else rng.randrange(0, 10, 2)
            first17 = f"510502{birth:%Y%m%d}9{rng.randrange(10)}{last}"
            number = first17 + id_check_char(first17)
            if number not in used:
                used.add(number)
                break
        grid, compound, building, unit, room = addresses[line % len(addresses)]
        moved = birth + datetime.timedelta(days=rng.randrange(0, 9000))
        moved = min(moved, datetime.date(2025, 12, 31))
        sheet.write_string(line, 0, person_name(rng))
        sheet.write_string(line, 1, number)
        sheet.write_string(line, 2, "男" if male else "女")
        sheet.write_datetime(line, 3, birth, date_format)
        if rng.random() < 0.85:
            sheet.write_string(line, 4, f"170{rng.randrange(10**8):08d}")
        sheet.write_string(line, 5, "户籍人口" if rng.random() < 0.8 else "流动人口")
        sheet.write_datetime(line, 6, moved, date_format)
        sheet.write_string(line, 7, grid)
        sheet.write_string(line, 8, compound)
        sheet.write_string(line, 9, building)
        sheet.write_number(line, 10, unit)
        sheet.write_string(line, 11, room)
    book.close()


def raw_read(path: Path) -> tuple[float, float, int]:
    best, best_cpu, rows = float("inf"), float("inf"), 0
    for _ in range(3):
        gc.collect()
        started, started_cpu = time.perf_counter(), time.process_time()
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        rows = len(workbook.get_sheet_by_index(0).to_python()) - 1
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - started_cpu)
        del workbook
    return best, best_cpu, rows


def raw_write(path: Path) -> float:
    """The second reference: SQLite alone writing the rows the commit wrote, in a copy of the
    database from which they were deleted: the residents (read back as stored, in blind-index
    order as the import sends them) with one executemany, their first residences with one
    INSERT … SELECT, and the commit, into the same tables with the same indexes and foreign keys.
    None of the import's own work is in it: it is what writing these rows costs at least."""
    import sqlite3

    copy = path.with_name("raw-write.sqlite3")
    with sqlite3.connect(path) as source, sqlite3.connect(copy) as target:
        source.backup(target)  # a consistent copy, whatever is still in the write-ahead log
    connection = sqlite3.connect(copy, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA cache_size = -65536")
    columns = [row[1] for row in connection.execute("PRAGMA table_info(registry_resident)") if row[1] != "id"]
    residence = [row[1] for row in connection.execute("PRAGMA table_info(registry_residence)") if row[1] != "id"]
    rows = connection.execute(f"SELECT {', '.join(columns)} FROM registry_resident ORDER BY id_index").fetchall()
    first_stay = connection.execute(f"SELECT {', '.join(residence)} FROM registry_residence").fetchone()
    constants = dict(zip(residence, first_stay))
    derived = {"resident_id": "id", "household_id": "household_id", "region_key": "region_key", "started": "moved_in"}
    connection.execute("DELETE FROM registry_residence")
    connection.execute("DELETE FROM registry_resident")
    gc.collect()
    started = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(
        f"INSERT INTO registry_resident ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows
    )
    connection.execute(
        f"INSERT INTO registry_residence ({', '.join(residence)}) "
        f"SELECT {', '.join(derived.get(name, '?') for name in residence)} FROM registry_resident",
        [constants[name] for name in residence if name not in derived],
    )
    connection.execute("COMMIT")
    written = time.perf_counter() - started
    connection.close()
    copy.unlink()
    return written


def cipher_costs(samples: int = 20_000) -> dict:
    from cryptography.fernet import Fernet

    fernet = Fernet(Fernet.generate_key())
    value = "510502199001019012"
    started = time.perf_counter()
    for _ in range(samples):
        fernet.encrypt(value.encode()).decode()
    fernet_us = (time.perf_counter() - started) / samples * 1e6
    started = time.perf_counter()
    for _ in range(samples):
        pii.encrypt(value)
    aead_us = (time.perf_counter() - started) / samples * 1e6
    started = time.perf_counter()
    for _ in range(samples):
        pii.blind_index(value)
    index_us = (time.perf_counter() - started) / samples * 1e6
    return {"fernet_encrypt_us": fernet_us, "aesgcm_encrypt_us": aead_us, "blind_index_us": index_us}


def _phases(timings: dict) -> str:
    return ", ".join(f"{phase} {seconds:.2f}" for phase, seconds in timings.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", action="store_true", help="cProfile the commit; top functions to stderr")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    load_at_start = os.getloadavg()[0]
    call_command("migrate", verbosity=0)
    addresses = build_places(rng)
    actor = account_services.user_create(
        actor=None, username="street", password="bench-pass-2026", role=Role.ADMINISTRATOR, region_code=STREET + "000"
    )
    path = WORKDIR / "residents.xlsx"
    started = time.perf_counter()
    write_workbook(path, args.rows, addresses, rng)
    generate_s = time.perf_counter() - started
    data = path.read_bytes()

    raw_s, raw_cpu, raw_rows = raw_read(path)
    assert raw_rows == args.rows, raw_rows

    gc.collect()
    started, started_cpu = time.perf_counter(), time.process_time()
    job = services.import_upload(actor=actor, ledger="residents", file_name=path.name, data=data)
    dry_s, dry_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    dry_phases = dict(job.timings)
    assert job.status == "ready" and job.new == args.rows, (job.status, job.message, job.first_errors[:3])

    gc.collect()
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started, started_cpu = time.perf_counter(), time.process_time()
    job = services.import_commit(actor=actor, job=job)
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(35)
    commit_s, commit_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    commit_phases = dict(job.timings)
    assert job.status == "committed", (job.status, job.message)
    stored = Resident.objects.count()
    linked = Resident.objects.filter(import_job=job).count()
    events = AuditEvent.objects.filter(verb="sheets.import", target_id=str(job.pk)).count()
    assert stored == linked == args.rows and events == 1, (stored, linked, events)
    sample = Resident.objects.order_by("?").first()
    assert pii.blind_index(pii.decrypt(sample.id_cipher)) == sample.id_index

    write_s = raw_write(WORKDIR / "bench.sqlite3")
    costs = cipher_costs()
    raw_rate = args.rows / raw_s
    total_s, total_cpu = dry_s + commit_s, dry_cpu + commit_cpu
    rate = args.rows / total_s
    result = {
        "rows": args.rows,
        "file_mb": round(len(data) / 1048576, 2),
        "raw_read_s": round(raw_s, 3),
        "raw_read_rows_per_s": round(raw_rate),
        "dry_run_s": round(dry_s, 3),
        "dry_run_rows_per_s": round(args.rows / dry_s),
        "commit_s": round(commit_s, 3),
        "commit_rows_per_s": round(args.rows / commit_s),
        "validation_and_commit_s": round(total_s, 3),
        "rows_per_s": round(rate),
        "fraction_of_raw": round(rate / raw_rate, 3),
        "cpu_s": {"raw_read": round(raw_cpu, 3), "dry_run": round(dry_cpu, 3), "commit": round(commit_cpu, 3)},
        "raw_write_s": round(write_s, 3),
        "raw_floor_s": round(raw_s + write_s, 3),
        "rows_per_cpu_s": round(args.rows / total_cpu),
        "fraction_of_raw_cpu": round(raw_cpu / total_cpu, 3),
        "dry_run_phases_s": dry_phases,
        "commit_phases_s": commit_phases,
        "generate_s": round(generate_s, 1),
        **{k: round(v, 2) for k, v in costs.items()},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        # The forked helper of the dry run; its resident set counts the pages it shares with this
        # process too, so this is an upper bound of what it added.
        "peak_rss_helper_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "load_average_1m_at_start": round(load_at_start, 2),
    }
    rows = [
        ("rows imported", f"{args.rows:,}", ""),
        ("workbook size", f"{result['file_mb']} MB", ""),
        ("raw calamine read (best of 3)", f"{raw_s:.2f} s = {raw_rate:,.0f} rows/s", "reference"),
        ("dry run (read + check, rows kept)", f"{dry_s:.2f} s = {args.rows / dry_s:,.0f} rows/s", ""),
        ("commit (re-check + write + audit)", f"{commit_s:.2f} s = {args.rows / commit_s:,.0f} rows/s", ""),
        ("raw SQLite write of the same rows", f"{write_s:.2f} s = {args.rows / write_s:,.0f} rows/s", "reference"),
        (
            "raw read + raw write (no checking)",
            f"{raw_s + write_s:.2f} s = {args.rows / (raw_s + write_s):,.0f} rows/s",
            f"the 0.3 target allows {raw_s / TARGET_FRACTION_OF_RAW:.2f} s",
        ),
        (
            "validation + commit (dry run + commit)",
            f"{total_s:.2f} s = {rate:,.0f} rows/s",
            f">= {TARGET_ROWS_PER_S:,} rows/s",
        ),
        ("validation + commit / raw read", f"{rate / raw_rate:.2f}", f">= {TARGET_FRACTION_OF_RAW}"),
        ("  dry run phases", _phases(dry_phases), ""),
        ("  commit phases", _phases(commit_phases), ""),
        (
            "CPU time: raw read / dry run / commit",
            f"{raw_cpu:.2f} / {dry_cpu:.2f} / {commit_cpu:.2f} s",
            "",
        ),
        (
            "validation + commit per CPU second, / raw",
            f"{args.rows / total_cpu:,.0f} rows/s, {raw_cpu / total_cpu:.2f}",
            "load-independent view",
        ),
        (
            "Fernet encrypt / AES-GCM encrypt",
            f"{costs['fernet_encrypt_us']:.1f} / {costs['aesgcm_encrypt_us']:.1f} µs",
            "",
        ),
        ("blind index (HMAC-SHA256)", f"{costs['blind_index_us']:.1f} µs", ""),
        ("peak memory of this process", f"{result['peak_rss_mb']} MB", ""),
        ("peak memory of the forked helper", f"{result['peak_rss_helper_mb']} MB", "shared pages counted"),
        (
            "machine",
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load {load_at_start:.2f} at start, "
            f"{result['load_average_1m']} at end",
            "",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'metric':<{width}}  {'value':<34}  target")
    for label, value, target in rows:
        print(f"{label:<{width}}  {value:<34}  {target}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
