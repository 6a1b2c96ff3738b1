"""The indicator summary (`IndicatorSummary`): the counts of docs/indicators.md per day, week and month
of report, place, category and lead department, in several grains (`SPANS`), so the dashboard sums a
few thousand rows instead of reading every case.

`record(before, after)` is the only writer during normal work. `case_report` and
`workflow.case_transition` call it in their own transaction with what the case counted before and
after the change, so the summary moves exactly when the case does (a rolled-back move leaves both as
they were). `rebuild()` (`manage.py indicators_rebuild`) recomputes every row from the cases: after
bulk loads that bypass the services, after changing WANGGE_RESPONSE_HOURS / WANGGE_DISPATCH_HOURS; the
migration that brought the day spans (cases.0005) runs it when the database holds cases.

`counts()` is the one Python statement of the definitions; `indicators.count_expressions()` says the
same in SQL, and the tests hold the two together.
"""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Min, Sum, Value
from django.db.models.functions import Substr, TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from .models import Case, Channel, IndicatorSummary, Rating, Span, Status

# Channels through which problems are *found* by the government side (the problem register, 问题清单).
FOUND_CHANNELS = (Channel.GRID, Channel.VISIT, Channel.INSPECTION, Channel.LEADER)


def response_hours() -> int:
    """WANGGE_RESPONSE_HOURS (24): a case is responded to if dispatched or answered this soon."""
    return int(settings.WANGGE_RESPONSE_HOURS)


def dispatch_hours() -> int:
    """WANGGE_DISPATCH_HOURS (4): a dispatch is on time if made this soon after the report."""
    return int(settings.WANGGE_DISPATCH_HOURS)


COUNTS = (
    "reported",
    "filed",
    "responded",
    "dispatched",
    "dispatched_on_time",
    "dispatched_accurately",
    "closed",
    "closed_on_time",
    "ever_closed",
    "reopened",
    "rated",
    "solved",
    "satisfied",
    "found",
    "rectified",
)
KEY = ("span", "start", "region_key", "category_id", "department_id")
NOT_FILED = frozenset({Status.REPORTED, Status.REJECTED, Status.MERGED, Status.TRANSFERRED})
# Every span: the report dates one row covers (a day, a week from Monday, a month), how much of the
# place it keeps (key length: 6 district, 9 street, 12 community, 17 the case's own) and whether it
# keeps the category. A case adds to one row of each. The dashboard reads, for each table, the
# coarsest rows that still tell its groups apart (`indicators.summary_rows`); the day rows of the
# case's own grain answer anything and are the last resort (a grid's figures, a community's children).
SPANS = {
    Span.DAY: ("day", 17, True),
    Span.STREET_DAY: ("day", 9, False),
    Span.CATEGORY_DAY: ("day", 6, True),
    Span.WEEK: ("week", 9, False),
    Span.CATEGORY_WEEK: ("week", 9, True),
    Span.MONTH: ("month", 12, False),
    Span.CATEGORY_MONTH: ("month", 9, True),
}
UNIT = {span: unit for span, (unit, _grain, _category) in SPANS.items()}
GRAIN = {span: grain for span, (_unit, grain, _category) in SPANS.items()}
WITH_CATEGORY = frozenset(span for span, (_unit, _grain, category) in SPANS.items() if category)

Fact = tuple[tuple[date, str, int, int], tuple[int, ...]]  # (day, place, category, department), counts


def counts(case, *, respond: timedelta, dispatch: timedelta) -> tuple[int, ...]:
    """The 0/1 value of each count for one case (a merged case counts nowhere: see `fact`)."""
    filed = case.status not in NOT_FILED
    dispatched = case.first_dispatched_at is not None
    closed = case.closed_at is not None
    reported = case.reported_at
    responded = filed and (
        (dispatched and case.first_dispatched_at <= reported + respond)
        or (not dispatched and closed and case.closed_at <= reported + respond)
    )
    found = filed and case.channel in FOUND_CHANNELS
    values = (
        True,
        filed,
        responded,
        dispatched,
        dispatched and case.first_dispatched_at <= reported + dispatch,
        dispatched and case.return_count == 0,
        filed and closed,
        dispatched and closed and case.breach_count == 0,
        filed and (closed or case.reopen_count > 0),
        case.reopen_count > 0,
        case.rating != "",
        case.rating in (Rating.SATISFIED, Rating.FAIRLY),
        case.rating == Rating.SATISFIED,
        found,
        found and closed,
    )
    return tuple(int(v) for v in values)


def fact(case, *, respond: timedelta | None = None, dispatch: timedelta | None = None) -> Fact | None:
    """Where a case counts and what: None for a merged duplicate (the same problem, counted once)."""
    if case.status == Status.MERGED:
        return None
    respond = respond if respond is not None else timedelta(hours=response_hours())
    dispatch = dispatch if dispatch is not None else timedelta(hours=dispatch_hours())
    key = (
        timezone.localtime(case.reported_at).date(),
        case.region_key,
        case.category_id or 0,
        case.lead_department_id or 0,
    )
    return key, counts(case, respond=respond, dispatch=dispatch)


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def start_of(span: str, day: date) -> date:
    """The first day of the row of `span` that a day belongs to."""
    unit = UNIT[span]
    return day if unit == "day" else week_of(day) if unit == "week" else day.replace(day=1)


def rows_of(key: tuple[date, str, int, int]) -> list[tuple]:
    """The summary rows a case's key adds to: one of each span (`SPANS`)."""
    day, place, category, department = key
    return [
        (span, start_of(span, day), place[: GRAIN[span]], category if span in WITH_CATEGORY else 0, department)
        for span in SPANS
    ]


def record(before: Fact | None, after: Fact | None) -> None:
    """Move the summary from what a case counted (`before`) to what it counts now (`after`). Call in
    the transaction that changes the case. One statement; nothing when no count changed."""
    if before == after:
        return
    deltas: dict[tuple, list[int]] = {}
    for sign, one in ((-1, before), (1, after)):
        if one is None:
            continue
        key, values = one
        for row in rows_of(key):
            delta = deltas.setdefault(row, [0] * len(COUNTS))
            for i, v in enumerate(values):
                delta[i] += sign * v
    rows = sorted((row, delta) for row, delta in deltas.items() if any(delta))
    if rows:
        _add(rows)


def _add(rows: list[tuple[tuple, list[int]]]) -> None:
    # INSERT … ON CONFLICT DO UPDATE adds to the row or creates it in one statement (PostgreSQL and
    # SQLite ≥ 3.24 both speak it). Rows go in key order, so two moves lock rows in the same order.
    table = IndicatorSummary._meta.db_table
    columns = KEY + COUNTS
    adapt = connection.ops.adapt_datefield_value
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    params = []
    for (span, start, place, category, department), delta in rows:
        params += [span, adapt(start), place, category, department, *delta]
    sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COUNTS)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([placeholders] * len(rows))} "
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {sets}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# ---- rebuilding from the cases -------------------------------------------------------------------


def _months(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _lock() -> None:
    # Moves write the summary in their own transactions; while one month is rebuilt they wait, and
    # the moves that were already under way are either in what is read or applied after (PostgreSQL).
    # SQLite has one writer at a time anyway: the DELETE that follows takes its lock.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {IndicatorSummary._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")


def _insert(grouped: dict[tuple, list[int]]) -> int:
    objects = [
        IndicatorSummary(**dict(zip(KEY, key, strict=True)), **dict(zip(COUNTS, values, strict=True)))
        for key, values in grouped.items()
        if any(values)
    ]
    IndicatorSummary.objects.bulk_create(objects, batch_size=2000)
    return len(objects)


def rebuild(*, progress: Callable[[str], None] = lambda message: None, chunk: int = 2000) -> dict:
    """Recompute every summary row from the cases, one month of report dates per transaction. Safe to
    run again at any time (each month's rows are replaced), also while people work."""
    zone = timezone.get_current_timezone()
    bounds = Case.objects.aggregate(first=Min("reported_at"), last=Max("reported_at"))
    if bounds["first"] is None:
        with transaction.atomic():
            _lock()
            deleted, _ = IndicatorSummary.objects.all().delete()
        progress(f"no cases; {deleted} rows removed")
        return {"cases": 0, "rows": 0}
    first = timezone.localtime(bounds["first"]).date()
    last = timezone.localtime(bounds["last"]).date()
    # One month before the first, for the week that starts in it.
    months = _months((first.replace(day=1) - timedelta(days=1)).replace(day=1), last)
    end = (months[-1] + timedelta(days=32)).replace(day=1)
    with transaction.atomic():
        _lock()
        IndicatorSummary.objects.exclude(start__gte=months[0], start__lt=end).delete()
    from .indicators import count_expressions  # the same counts in SQL; the tests hold the two together

    expressions = count_expressions()
    total_cases = total_rows = 0
    # Day rows, straight from the cases: one grouped query a month, counted by the database.
    for month in months:
        following = (month + timedelta(days=32)).replace(day=1)
        with transaction.atomic():
            _lock()
            IndicatorSummary.objects.filter(span=Span.DAY, start__gte=month, start__lt=following).delete()
            grouped = (
                Case.objects.filter(
                    reported_at__gte=datetime.combine(month, time.min, tzinfo=zone),
                    reported_at__lt=datetime.combine(following, time.min, tzinfo=zone),
                )
                .exclude(status=Status.MERGED)
                .annotate(day=TruncDate("reported_at", tzinfo=zone))
                .values_list("day", "region_key", "category_id", "lead_department_id")
                .annotate(**{f"n_{name}": expressions[name] for name in COUNTS})
                .order_by()
            )
            rows = {}
            for day, place, category, department, *values in grouped.iterator(chunk_size=chunk):
                rows[(Span.DAY, day, place, category or 0, department or 0)] = values
            n = sum(values[0] for values in rows.values())
            added = _insert(rows)
        total_cases += n
        total_rows += added
        progress(f"{month:%Y-%m}: {n} cases, {added} day rows")
    # The coarser rows, from the day rows: those that start in a month are rebuilt with it (a week
    # that starts in it reads the first days of the next month too).
    sums = {f"n_{name}": Sum(name) for name in COUNTS}
    buckets = {"day": F("start"), "week": TruncWeek("start"), "month": TruncMonth("start")}
    for month in months:
        following = (month + timedelta(days=32)).replace(day=1)
        with transaction.atomic():
            _lock()
            IndicatorSummary.objects.exclude(span=Span.DAY).filter(start__gte=month, start__lt=following).delete()
            days = IndicatorSummary.objects.filter(span=Span.DAY).order_by()
            rows = {}
            for span, (unit, grain, with_category) in SPANS.items():
                if span == Span.DAY:
                    continue
                until = following + timedelta(days=6) if unit == "week" else following
                grouped = (
                    days.filter(start__gte=month, start__lt=until)
                    .annotate(bucket=buckets[unit], place=Substr("region_key", 1, grain))
                    .values_list("bucket", "place", "category_id" if with_category else Value(0), "department_id")
                    .annotate(**sums)
                )
                for start, place, category, department, *values in grouped:
                    start = start.date() if isinstance(start, datetime) else start
                    if month <= start < following:
                        rows[(span, start, place, category, department)] = values
            added = _insert(rows)
        total_rows += added
        progress(f"{month:%Y-%m}: {added} week, month and coarser day rows")
    return {"cases": total_cases, "rows": total_rows}


def snapshot() -> list[tuple]:
    """Every summary row with a count, in key order (rows brought back to nothing may stay as zeros):
    what a rebuild must reproduce."""
    return sorted(row for row in IndicatorSummary.objects.values_list(*KEY, *COUNTS) if any(row[len(KEY) :]))
