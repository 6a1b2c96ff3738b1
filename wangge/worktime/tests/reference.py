"""A deliberately simple reference for working time: walk day by day, period by period, in
naive local wall time. Slow and obviously right; the tests compare WorkCalendar against it."""

import datetime
import importlib
from zoneinfo import ZoneInfo

from wangge.worktime.workcalendar import DEFAULT_WORK_HOURS, WorkCalendar, parse_work_hours

SHANGHAI = ZoneInfo("Asia/Shanghai")


def national_2026() -> dict[datetime.date, bool]:
    migration = importlib.import_module("wangge.worktime.migrations.0002_national_2026")
    return {day: is_working for day, is_working, _name in migration.days()}


def calendar_2026(hours: str = DEFAULT_WORK_HOURS) -> WorkCalendar:
    return WorkCalendar(periods=parse_work_hours(hours), exceptions=national_2026(), tz=SHANGHAI)


def is_working_day(day: datetime.date, exceptions: dict) -> bool:
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def segments(day: datetime.date, periods, exceptions):
    """The working periods of one day as naive local datetimes."""
    if not is_working_day(day, exceptions):
        return []
    midnight = datetime.datetime.combine(day, datetime.time())
    return [(midnight + datetime.timedelta(seconds=s), midnight + datetime.timedelta(seconds=e)) for s, e in periods]


def naive_local(moment: datetime.datetime, tz=SHANGHAI) -> datetime.datetime:
    return moment.astimezone(tz).replace(tzinfo=None, microsecond=0)


def between(a: datetime.datetime, b: datetime.datetime, periods, exceptions) -> int:
    a, b = naive_local(a), naive_local(b)
    if b < a:
        return -between_naive(b, a, periods, exceptions)
    return between_naive(a, b, periods, exceptions)


def between_naive(a, b, periods, exceptions) -> int:
    total = 0
    day = a.date()
    while day <= b.date():
        for start, end in segments(day, periods, exceptions):
            lo, hi = max(start, a), min(end, b)
            if hi > lo:
                total += int((hi - lo).total_seconds())
        day += datetime.timedelta(days=1)
    return total


def deadline(start: datetime.datetime, seconds: int, periods, exceptions) -> datetime.datetime:
    """The earliest moment at which `seconds` (> 0) working seconds after `start` have passed."""
    assert seconds > 0
    cursor = naive_local(start)
    remaining = seconds
    day = cursor.date()
    while True:
        for begin, end in segments(day, periods, exceptions):
            if end <= cursor:
                continue
            begin = max(begin, cursor)
            available = int((end - begin).total_seconds())
            if remaining <= available:
                return (begin + datetime.timedelta(seconds=remaining)).replace(tzinfo=SHANGHAI)
            remaining -= available
        day += datetime.timedelta(days=1)
