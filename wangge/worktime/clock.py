"""Working time: deadlines and elapsed time that count only working hours on working days.

This is the interface the case workflow's SLA clocks call. Working days are Monday to Friday,
except the public holidays and make-up working days (调休上班) in the calendar (CalendarDay);
the working day's hours come from WANGGE_WORK_HOURS, in the local time of settings.TIME_ZONE.
The rules are in docs/worktime.md; the arithmetic in workcalendar.py.

Each process keeps the calendar in memory and checks one token row per call (CalendarVersion)
to know whether another process changed it; a batch (an SLA sweep over thousands of cases) can
take `current_calendar()` once and pass it as `calendar=` to skip even that read.
"""

import threading
import zoneinfo
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections

from .models import CalendarDay, CalendarVersion
from .workcalendar import DEFAULT_WORK_HOURS, WorkCalendar, parse_work_hours


def work_hours_setting() -> str:
    """WANGGE_WORK_HOURS from settings (read from the environment there), else the built-in day."""
    return settings.WANGGE_WORK_HOURS or DEFAULT_WORK_HOURS


def work_periods() -> tuple[tuple[int, int], ...]:
    text = work_hours_setting()
    try:
        return parse_work_hours(text)
    except ValueError as error:
        raise ImproperlyConfigured(f"WANGGE_WORK_HOURS={text!r}: {error}") from None


_lock = threading.Lock()
_cached: tuple[tuple, WorkCalendar] | None = None


def _version_token() -> str:
    # Raw SQL on the connection object itself: this runs on every call, and the ORM's query
    # building (and the connection proxy's lookups) cost more than the query.
    db = connections[DEFAULT_DB_ALIAS]
    with db.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {db.ops.quote_name(CalendarVersion._meta.db_table)} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else ""


def _build(hours_text: str, zone_name: str) -> WorkCalendar:
    exceptions = dict(CalendarDay.objects.values_list("date", "is_working"))
    return WorkCalendar(periods=work_periods(), exceptions=exceptions, tz=zoneinfo.ZoneInfo(zone_name))


def current_calendar() -> WorkCalendar:
    """The calendar as the database has it now (one primary-key read; a reload only after a change)."""
    global _cached
    # The token is read before the days: a change committed in between is then cached under the
    # old token and reloaded on the next call, never the other way round.
    key = (_version_token(), work_hours_setting(), settings.TIME_ZONE)
    cached = _cached
    if cached is not None and cached[0] == key:
        return cached[1]
    with _lock:
        if _cached is None or _cached[0] != key:
            _cached = (key, _build(key[1], key[2]))
        return _cached[1]


def deadline(
    start: datetime, *, hours: int = 0, days: int = 0, seconds: int = 0, calendar: WorkCalendar | None = None
) -> datetime:
    """The moment `hours` working hours plus `days` working days (each the length of one working
    day in working hours) plus `seconds` working seconds after `start` have passed.

    Counting starts at the next working moment; an amount that uses up a working period exactly
    ends at the period's end (17:30, not 09:00 the next working day). Negative amounts count
    backwards. Returns an aware datetime in settings.TIME_ZONE; a naive `start` is taken as local
    time there. Inverse of working_seconds_between for whole-second starts."""
    calendar = calendar or current_calendar()
    total = round(hours * 3600 + days * calendar.day_seconds + seconds)
    return calendar.add(start, total)


def working_seconds_between(start: datetime, end: datetime, *, calendar: WorkCalendar | None = None) -> int:
    """Working seconds from `start` to `end`; negative when `end` is before `start`. Additive:
    between(a, b) + between(b, c) == between(a, c). Sub-second parts are ignored."""
    calendar = calendar or current_calendar()
    return calendar.seconds_between(start, end)


def is_working_time(moment: datetime, *, calendar: WorkCalendar | None = None) -> bool:
    """True when the working clock runs at `moment` (a period's start counts, its end does not)."""
    return (calendar or current_calendar()).is_working_time(moment)


def next_working_moment(moment: datetime, *, calendar: WorkCalendar | None = None) -> datetime:
    """`moment` itself when the clock runs then, else the start of the next working period."""
    return (calendar or current_calendar()).next_working_moment(moment)


def working_day_seconds() -> int:
    """The length of one working day in seconds (what `days=1` means): 7 hours by default."""
    return sum(end - start for start, end in work_periods())
