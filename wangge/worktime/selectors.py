"""Reading the working calendar. It is national: every signed-in user may read all of it."""

import calendar as month_calendar
import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.roles import MANAGE_CALENDAR, require
from wangge.core.errors import Forbidden
from wangge.core.models import AuditEvent

from .clock import current_calendar
from .imports import FIRST_YEAR, LAST_YEAR  # noqa: F401  (the years readers and writers accept)
from .models import CalendarDay


def _require_reader(user) -> None:
    if user is not None and not (user.is_authenticated and user.is_active):
        raise Forbidden(_("请先登录"))


def calendar_days(*, user, year: int) -> QuerySet:
    """The entries (holidays and make-up days) of one year, in date order."""
    _require_reader(user)
    return CalendarDay.objects.filter(date__year=year).order_by("date")


@dataclass(frozen=True)
class Day:
    date: datetime.date
    in_month: bool
    is_working: bool
    kind: str  # workday, weekend, holiday (放假), makeup (调休上班)
    name: str
    is_today: bool


def day_kind(date: datetime.date, entry: CalendarDay | None) -> str:
    if entry is not None:
        return "makeup" if entry.is_working else "holiday"
    return "workday" if date.weekday() < 5 else "weekend"


def month_days(*, user, year: int, month: int, whole_weeks: bool = False) -> list[Day]:
    """Every day of a month with whether it is a working day and why; with `whole_weeks`, padded
    to whole weeks Monday to Sunday (for a month view). One query."""
    _require_reader(user)
    if whole_weeks:
        dates = [d for week in month_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month) for d in week]
    else:
        dates = [datetime.date(year, month, d) for d in range(1, month_calendar.monthrange(year, month)[1] + 1)]
    entries = {entry.date: entry for entry in CalendarDay.objects.filter(date__gte=dates[0], date__lte=dates[-1])}
    today = timezone.localdate()
    days = []
    for date in dates:
        entry = entries.get(date)
        kind = day_kind(date, entry)
        days.append(
            Day(
                date=date,
                in_month=date.month == month,
                is_working=kind in ("workday", "makeup"),
                kind=kind,
                name=entry.name if entry is not None else "",
                is_today=date == today,
            )
        )
    return days


@dataclass(frozen=True)
class Run:
    """Consecutive entries with the same name and kind: "10月1日至7日 国庆节 放假 7天"."""

    first: datetime.date
    last: datetime.date
    is_working: bool
    name: str
    count: int


def runs(entries) -> list[Run]:
    result: list[Run] = []
    for entry in entries:
        previous = result[-1] if result else None
        if (
            previous is not None
            and previous.name == entry.name
            and previous.is_working == entry.is_working
            and (entry.date - previous.last).days == 1
        ):
            result[-1] = Run(previous.first, entry.date, entry.is_working, entry.name, previous.count + 1)
        else:
            result.append(Run(entry.date, entry.date, entry.is_working, entry.name, 1))
    return result


def working_hours_summary() -> dict:
    """The working periods and the length of the working day, for people."""
    calendar = current_calendar()
    periods = [
        (f"{s // 3600:02d}:{s % 3600 // 60:02d}", f"{e // 3600:02d}:{e % 3600 // 60:02d}") for s, e in calendar.periods
    ]
    return {
        "periods": periods,
        "day_seconds": calendar.day_seconds,
        "day_hours": calendar.day_seconds / 3600,
        "time_zone": str(calendar.tz),
    }


def calendar_history(*, user, limit: int = 20) -> QuerySet:
    """The latest changes to the calendar, for the administrators who maintain it."""
    require(user, MANAGE_CALENDAR)
    return AuditEvent.objects.filter(target_type=CalendarDay._meta.label_lower).order_by("-at", "-id")[:limit]
