"""Working-time clock: how long a deadline and an elapsed-time computation take, against a naive
minute-by-minute reference, and what the cross-process cache check costs.

    .venv/bin/python bench/worktime.py            # about 40 s
    .venv/bin/python bench/worktime.py --quick    # a smoke run, about 5 s
    .venv/bin/python bench/worktime.py --database-url postgres://…/wangge_bench   # token read on PostgreSQL

Prints a table (metric, value, target) and, last, one JSON line with the same numbers. Uses an
in-memory SQLite database (migrated, so it holds the 2026 national schedule) unless
--database-url names another one; no timing is asserted anywhere.
"""

import argparse
import datetime
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--quick", action="store_true")
parser.add_argument("--seed", type=int, default=20261001)
parser.add_argument("--database-url", default="sqlite://:memory:")
args = parser.parse_args()

os.environ["DATABASE_URL"] = args.database_url
# Production settings for the database layer: with DEBUG on, Django records every query.
os.environ.setdefault("WANGGE_DEBUG", "0")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django  # noqa: E402

django.setup()
from django.core.management import call_command  # noqa: E402

call_command("migrate", verbosity=0)

from wangge.worktime import clock  # noqa: E402
from wangge.worktime.workcalendar import WorkCalendar  # noqa: E402

CALLS = 2_000 if args.quick else 20_000
PASSES = 2 if args.quick else 5
NAIVE_CALLS = 10 if args.quick else 100
CHECKS = 20 if args.quick else 300
rng = random.Random(args.seed)
calendar = clock.current_calendar()
TZ = calendar.tz
DAY = calendar.day_seconds


def random_start(minute_aligned: bool = False) -> datetime.datetime:
    """A moment in the first ten months of 2026 (so 15 working days later is still in 2026)."""
    second = rng.randrange(0, 300 * 86400)
    if minute_aligned:
        second -= second % 60
    return datetime.datetime(2026, 1, 1, tzinfo=TZ) + datetime.timedelta(seconds=second)


# The naive reference: one step per minute, asking of each minute "is this working time?" ----------

exceptions = dict(calendar.exceptions)
periods_minutes = [(start // 60, end // 60) for start, end in calendar.periods]


def minute_is_working(local: datetime.datetime) -> bool:
    day = local.date()
    if not exceptions.get(day, day.weekday() < 5):
        return False
    minute = local.hour * 60 + local.minute
    return any(start <= minute < end for start, end in periods_minutes)


def naive_deadline(start: datetime.datetime, minutes: int) -> datetime.datetime:
    local = start.astimezone(TZ).replace(tzinfo=None)
    step = datetime.timedelta(minutes=1)
    while minutes:
        if minute_is_working(local):
            minutes -= 1
        local += step
    # Step back over the idle minutes after the last working one: the earliest moment.
    while not minute_is_working(local - step):
        local -= step
    return local.replace(tzinfo=TZ)


def naive_between(start: datetime.datetime, end: datetime.datetime) -> int:
    local, stop = start.astimezone(TZ).replace(tzinfo=None), end.astimezone(TZ).replace(tzinfo=None)
    step = datetime.timedelta(minutes=1)
    count = 0
    while local < stop:
        count += minute_is_working(local)
        local += step
    return count * 60


# Timing helpers -----------------------------------------------------------------------------------


def per_call(function, inputs, passes: int) -> tuple[list[float], list[float]]:
    """Per-call times in µs over all passes, and each pass' median."""
    for item in inputs[: min(len(inputs), 500)]:
        function(item)  # warm up
    samples, medians = [], []
    clock_ns = time.perf_counter_ns
    for _ in range(passes):
        this_pass = []
        for item in inputs:
            t0 = clock_ns()
            function(item)
            this_pass.append((clock_ns() - t0) / 1000)
        samples.extend(this_pass)
        medians.append(statistics.median(this_pass))
    return samples, medians


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


timer_overhead = statistics.median([-(time.perf_counter_ns() - time.perf_counter_ns()) / 1000 for _ in range(10_000)])

starts = [random_start() for _ in range(CALLS)]
fifteen_days = 15 * DAY

# 1. The arithmetic alone, on a calendar already in memory.
deadline_pure, deadline_pure_passes = per_call(lambda s: calendar.add(s, fifteen_days), starts, PASSES)
ends = [calendar.add(s, fifteen_days) for s in starts]
pairs = list(zip(starts, ends))
between_pure, _ = per_call(lambda p: calendar.seconds_between(p[0], p[1]), pairs, PASSES)
year_pure, _ = per_call(lambda s: calendar.add(s, 250 * DAY), starts, PASSES)

# 2. What the case workflow calls: clock.deadline, which first reads the version token.
deadline_clock, _ = per_call(lambda s: clock.deadline(s, days=15), starts[: CALLS // 4], PASSES)
token_read, _ = per_call(lambda _: clock._version_token(), starts[: CALLS // 4], PASSES)


# 3. The alternative without a token: read the whole calendar from the database on every call.
def reload_every_call(start):
    fresh = clock._build(clock.work_hours_setting(), str(TZ))
    return fresh.add(start, fifteen_days)


deadline_reload, _ = per_call(reload_every_call, starts[: max(200, CALLS // 20)], 1)

# 4. The naive reference.
naive_starts = [random_start(minute_aligned=True) for _ in range(NAIVE_CALLS)]
t0 = time.perf_counter()
naive_results = [naive_deadline(s, fifteen_days // 60) for s in naive_starts]
naive_deadline_us = (time.perf_counter() - t0) / NAIVE_CALLS * 1e6
t0 = time.perf_counter()
naive_spans = [naive_between(s, e) for s, e in zip(naive_starts, naive_results)]
naive_between_us = (time.perf_counter() - t0) / NAIVE_CALLS * 1e6

# Correctness: the reference and the clock agree on every checked start.
check_starts = [random_start(minute_aligned=True) for _ in range(CHECKS)]
mismatches = 0
for index, start in enumerate(check_starts):
    minutes = rng.randrange(1, 15 * DAY // 60 + 1) if index % 2 else 15 * DAY // 60
    expected = naive_deadline(start, minutes)
    got = calendar.add(start, minutes * 60)
    if got != expected or naive_between(start, got) != calendar.seconds_between(start, got):
        mismatches += 1
for start, result in zip(naive_starts, naive_results):
    if calendar.add(start, fifteen_days) != result:
        mismatches += 1
correct = mismatches == 0

# A WorkCalendar with many more exceptions (30 years of holidays) costs the same per call.
many = {}
for year in range(2010, 2040):
    for month, day in ((1, 1), (5, 1), (5, 2), (5, 3), (10, 1), (10, 2), (10, 3), (10, 4), (10, 5), (10, 6), (10, 7)):
        many[datetime.date(year, month, day)] = False
big_calendar = WorkCalendar(periods=calendar.periods, exceptions=many, tz=TZ)
deadline_big, _ = per_call(lambda s: big_calendar.add(s, fifteen_days), starts, 1)

results = {
    "calendar_entries": len(calendar.exceptions),
    "working_day_hours": DAY / 3600,
    "deadline_15d_pure_median_us": round(statistics.median(deadline_pure), 2),
    "deadline_15d_pure_p99_us": round(pct(deadline_pure, 0.99), 2),
    "deadline_15d_pure_pass_medians_us": [round(m, 2) for m in deadline_pure_passes],
    "between_15d_pure_median_us": round(statistics.median(between_pure), 2),
    "deadline_250d_pure_median_us": round(statistics.median(year_pure), 2),
    "deadline_15d_330_entries_median_us": round(statistics.median(deadline_big), 2),
    "deadline_15d_clock_median_us": round(statistics.median(deadline_clock), 2),
    "token_read_median_us": round(statistics.median(token_read), 2),
    "deadline_15d_reload_every_call_median_us": round(statistics.median(deadline_reload), 2),
    "naive_deadline_15d_us": round(naive_deadline_us, 1),
    "naive_between_15d_us": round(naive_between_us, 1),
    "speedup_deadline_pure_vs_naive": round(naive_deadline_us / statistics.median(deadline_pure)),
    "speedup_deadline_clock_vs_naive": round(naive_deadline_us / statistics.median(deadline_clock)),
    "timer_overhead_us": round(timer_overhead, 3),
    "checked_starts": CHECKS + NAIVE_CALLS,
    "correct": correct,
    "database": django.db.connection.vendor,
    "quick": args.quick,
}

rows = [
    ("calendar entries (2026 national schedule)", f"{results['calendar_entries']}", ""),
    ("working day", f"{results['working_day_hours']:g} h", ""),
    ("deadline 15 working days, in memory, median", f"{results['deadline_15d_pure_median_us']:.2f} µs", "µs, not ms"),
    ("  p99", f"{results['deadline_15d_pure_p99_us']:.2f} µs", ""),
    (
        "  (median of each pass: min-max)",
        f"{min(deadline_pure_passes):.2f}-{max(deadline_pure_passes):.2f} µs",
        "",
    ),
    ("working seconds over 15 days, in memory, median", f"{results['between_15d_pure_median_us']:.2f} µs", ""),
    ("deadline 250 working days, in memory, median", f"{results['deadline_250d_pure_median_us']:.2f} µs", "same as 15"),
    ("deadline 15 days, 330 entries, median", f"{results['deadline_15d_330_entries_median_us']:.2f} µs", ""),
    (
        f"clock.deadline(days=15) incl. token read ({results['database']})",
        f"{results['deadline_15d_clock_median_us']:.2f} µs",
        "",
    ),
    ("  of which the token read", f"{results['token_read_median_us']:.2f} µs", ""),
    ("reload the calendar on every call instead", f"{results['deadline_15d_reload_every_call_median_us']:.1f} µs", ""),
    ("naive minute-by-minute deadline, 15 days", f"{results['naive_deadline_15d_us'] / 1000:.2f} ms", ""),
    ("naive minute-by-minute between, 15 days", f"{results['naive_between_15d_us'] / 1000:.2f} ms", ""),
    ("speed-up, in memory vs naive", f"{results['speedup_deadline_pure_vs_naive']:,}x", ""),
    ("speed-up, clock.deadline vs naive", f"{results['speedup_deadline_clock_vs_naive']:,}x", ""),
    ("timer overhead per call (included)", f"{results['timer_overhead_us']:.3f} µs", ""),
    ("correct (vs naive, starts checked)", f"{correct} ({results['checked_starts']:,})", "True"),
]
width = max(len(r[0]) for r in rows)
print(f"{'metric':<{width}}  {'value':>14}  target")
print(f"{'-' * width}  {'-' * 14}  {'-' * 10}")
for metric, value, target in rows:
    print(f"{metric:<{width}}  {value:>14}  {target}")
print(json.dumps(results, ensure_ascii=False))
