"""The handler's clock, in working time (DOMAIN §4 "Time").

Every computation goes through the two functions of `wangge.worktime.clock`, so a case's deadline
follows the working calendar (working hours, weekends, holidays) whatever it is:

- on dispatch, `due_at = deadline(dispatched_at, hours|days of the category)`;
- `allowed_seconds` is the working time that gives, extensions included;
- `warn_at` is the moment the configured share of it is used up (a stored moment, so the sweep is
  one indexed query instead of a calendar computation per open case);
- suspension (and the wait for on-site verification) stops the clock: on resume, `due_at` and
  `warn_at` move on by the working time that passed while stopped;
- an approved extension moves `due_at` with `deadline(due_at, hours|days)`.
"""

from datetime import datetime, timedelta

from django.conf import settings

from wangge.worktime import clock

from .models import CLOCK_RUNNING, Case, Category, Status

PAUSED = frozenset({Status.SUSPENDED, Status.HANDLED})

# A calendar with no working time at all for this long cannot give a deadline.
_MAX_SEARCH = timedelta(days=800)
_ONE_SECOND = timedelta(seconds=1)


def warn_share() -> float:
    """Share of the allowed working time after which the handler is warned (WANGGE_SLA_WARN_SHARE)."""
    share = float(settings.WANGGE_SLA_WARN_SHARE)
    return min(max(share, 0.0), 1.0)


def add_working_seconds(start: datetime, seconds: int) -> datetime:
    """The earliest moment by which `seconds` working seconds have passed since `start`.

    The clock interface gives deadlines in whole hours or days only; suspensions and warning
    shares need seconds. Working time never runs faster than the calendar, so the answer is at
    least `seconds` after `start`; it is found by widening and then halving the window, asking
    only `working_seconds_between` (about twenty calls at most, one when no pause intervenes).
    """
    if seconds <= 0:
        return start
    low, high = start, start + timedelta(seconds=seconds)
    step = timedelta(seconds=seconds)
    while clock.working_seconds_between(start, high) < seconds:
        low, step = high, step * 2
        high = high + step
        if high - start > _MAX_SEARCH:
            raise ValueError("the working calendar has no working time in the next 800 days")
    if low == start:
        return high  # nothing paused the clock: no earlier moment can hold `seconds` working seconds
    while high - low > _ONE_SECOND:
        middle = low + (high - low) / 2
        if clock.working_seconds_between(start, middle) >= seconds:
            high = middle
        else:
            low = middle
    return high


def start_clock(*, category: Category, now: datetime) -> dict:
    """Field values for a fresh clock that starts now with the category's time limit."""
    due = clock.deadline(now, **category.limit())
    allowed = max(clock.working_seconds_between(now, due), 0)
    return {
        "dispatched_at": now,
        "due_at": due,
        "allowed_seconds": allowed,
        "warn_at": add_working_seconds(now, int(allowed * warn_share())),
        "warned_at": None,
        "breached_at": None,
        "paused_at": None,
        "paused_seconds": 0,
        "extension_hours": 0,
        "extension_days": 0,
        "extension_requested_at": None,
    }


def stop_clock() -> dict:
    """Field values for a case that leaves the handler (returned): no clock until re-dispatched."""
    return {"due_at": None, "warn_at": None, "paused_at": None, "extension_requested_at": None}


def pause_clock(*, now: datetime) -> dict:
    return {"paused_at": now}


def resume_clock(*, case: Case, now: datetime) -> dict:
    """Move the deadline (and a warning still to come) on by the working time spent paused."""
    if case.paused_at is None or case.due_at is None:
        return {"paused_at": None}
    paused = max(clock.working_seconds_between(case.paused_at, now), 0)
    changes = {"paused_at": None, "paused_seconds": case.paused_seconds + paused}
    if case.due_at > case.paused_at:  # a deadline already missed stays missed
        changes["due_at"] = add_working_seconds(case.due_at, paused)
    if case.warned_at is None and case.warn_at is not None and case.warn_at > case.paused_at:
        changes["warn_at"] = add_working_seconds(case.warn_at, paused)
    return changes


def extend_clock(*, case: Case, hours: int, days: int) -> dict:
    """An approved extension: the deadline moves by the working hours/days granted."""
    due = clock.deadline(case.due_at, hours=hours, days=days)
    extra = max(clock.working_seconds_between(case.due_at, due), 0)
    changes = {
        "due_at": due,
        "allowed_seconds": case.allowed_seconds + extra,
        "extension_hours": 0,
        "extension_days": 0,
        "extension_requested_at": None,
    }
    if case.warned_at is None and case.warn_at is not None:
        changes["warn_at"] = add_working_seconds(case.warn_at, int(extra * warn_share()))
    return changes


def time_left(case: Case, now: datetime, *, calendar=None) -> int | None:
    """Working seconds until the deadline (negative once missed); frozen while the clock is stopped;
    None when no handler's clock applies. Lists pass one `calendar` for all their rows."""
    if case.due_at is None:
        return None
    if case.status in CLOCK_RUNNING and case.paused_at is None:
        return clock.working_seconds_between(now, case.due_at, calendar=calendar)
    if case.status in PAUSED and case.paused_at is not None:
        return clock.working_seconds_between(case.paused_at, case.due_at, calendar=calendar)
    return None


def request_calendar(request):
    """The working calendar read once per request, so a list of cases costs one lookup, not one a row."""
    calendar = getattr(request, "_wangge_work_calendar", None)
    if calendar is None:
        calendar = clock.current_calendar()
        request._wangge_work_calendar = calendar
    return calendar
