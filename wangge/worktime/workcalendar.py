"""Working time arithmetic on one snapshot of the calendar. No database, no Django: the clock
module builds a `WorkCalendar` from the database and caches it; benchmarks and property tests
build their own.

The idea: give every moment a *working position* — the number of working seconds from a fixed
origin to that moment. Then the working time between two moments is the difference of their
positions (so it is additive and antisymmetric by construction), and a deadline is the moment
whose position is the start's plus the amount (the inverse, also by construction).

The position of a moment on day n (a proleptic Gregorian ordinal) is

    W(n) × L + (working seconds of day n before the moment, if day n is a working day)

where L is the length of the working day and W(n) the number of working days before day n.
W(n) is the number of Mondays-to-Fridays before n (closed form) plus the net effect of the
exceptions before n (public holidays on weekdays −1, make-up weekend days +1), kept as a sorted
list with prefix sums. So both directions cost two or three binary searches over the
exceptions, whatever the distance: no walking day by day.
"""

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, tzinfo

DEFAULT_WORK_HOURS = "09:00-12:00,13:30-17:30"

_PERIOD = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_work_hours(text: str) -> tuple[tuple[int, int], ...]:
    """ "09:00-12:00,13:30-17:30" → ((32400, 43200), (48600, 63000)): seconds after midnight.

    Periods must be in order and must not overlap; 24:00 may end the last one."""
    periods = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        match = _PERIOD.match(part)
        if not match:
            raise ValueError(f"working period {part.strip()!r} is not HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if m1 > 59 or m2 > 59 or h1 > 23 or h2 > 24 or (h2 == 24 and m2 != 0):
            raise ValueError(f"working period {part.strip()!r} has a time that does not exist")
        start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
        if end <= start:
            raise ValueError(f"working period {part.strip()!r} ends before it starts")
        if periods and start < periods[-1][1]:
            raise ValueError(f"working period {part.strip()!r} overlaps or precedes the one before it")
        periods.append((start, end))
    if not periods:
        raise ValueError("no working period given (expected e.g. 09:00-12:00,13:30-17:30)")
    return tuple(periods)


def format_work_hours(periods: Iterable[tuple[int, int]]) -> str:
    def hhmm(seconds: int) -> str:
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"

    return ",".join(f"{hhmm(s)}-{hhmm(e)}" for s, e in periods)


def weekday_is_working(ordinal: int) -> bool:
    """Monday to Friday, by default. Ordinal 1 (0001-01-01) is a Monday."""
    return (ordinal - 1) % 7 < 5


def _weekdays_before(n: int) -> int:
    """Mondays-to-Fridays among the ordinals before n (counted from ordinal 1; negative below it)."""
    k = n - 1
    return (k // 7) * 5 + min(k % 7, 5)


def _first_with_weekdays_before(v: int) -> int:
    """The smallest n with at least v Mondays-to-Fridays before it."""
    q, r = divmod(v, 5)
    k = 7 * q - 2 if r == 0 else 7 * q + r
    return k + 1


class WorkCalendar:
    """Working periods of a day, in local time of `tz`, plus the exceptions to "Monday to Friday
    are working days": {date: is_working}. Immutable; cheap to query; thread-safe."""

    def __init__(self, *, periods: Iterable[tuple[int, int]], exceptions: Mapping[date, bool], tz: tzinfo):
        self.periods = tuple(periods)
        if not self.periods:
            raise ValueError("a working day needs at least one working period")
        self.tz = tz
        self._starts = [start for start, _ in self.periods]
        self._worked_before_period = []
        self._worked_by_period_end = []
        total = 0
        for start, end in self.periods:
            self._worked_before_period.append(total)
            total += end - start
            self._worked_by_period_end.append(total)
        self.day_seconds = total
        # Only exceptions that change something matter to the arithmetic (a holiday on a Saturday
        # changes nothing); the others are still listed for people.
        self.exceptions = dict(exceptions)
        flips = sorted(d.toordinal() for d, working in self.exceptions.items() if working != (d.weekday() < 5))
        self._flips = flips
        self._flip_set = frozenset(flips)
        self._prefix = [0]
        for ordinal in flips:
            self._prefix.append(self._prefix[-1] + (-1 if weekday_is_working(ordinal) else 1))
        # Working days before each flipped day; non-decreasing, so it can be searched.
        self._days_before_flip = [_weekdays_before(o) + self._prefix[i] for i, o in enumerate(flips)]

    # Days -----------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        return self._is_working_ordinal(day.toordinal())

    def _is_working_ordinal(self, ordinal: int) -> bool:
        return weekday_is_working(ordinal) != (ordinal in self._flip_set)

    def working_days_before(self, ordinal: int) -> int:
        """W(n): working days before day n, counted from the origin (only differences matter)."""
        return _weekdays_before(ordinal) + self._prefix[bisect_left(self._flips, ordinal)]

    def _working_day_number(self, j: int) -> int:
        """The ordinal of the working day with exactly j working days before it."""
        wanted = j + 1  # the smallest m with W(m) ≥ j + 1 is the day after it
        segment = bisect_left(self._days_before_flip, wanted)
        m = _first_with_weekdays_before(wanted - self._prefix[segment])
        if segment > 0:
            m = max(m, self._flips[segment - 1] + 1)
        return m - 1

    def working_days_between(self, first: date, last: date) -> int:
        """Working days in [first, last], both included (0 if last < first)."""
        if last < first:
            return 0
        return self.working_days_before(last.toordinal() + 1) - self.working_days_before(first.toordinal())

    # Moments --------------------------------------------------------------------------------

    def local(self, moment: datetime) -> datetime:
        """The moment as local wall time of the calendar's zone; a naive value is taken as local."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            return moment.replace(tzinfo=self.tz)
        return moment.astimezone(self.tz)

    def _worked_before(self, second_of_day: int) -> int:
        for start, end, before in zip(self._starts, (e for _, e in self.periods), self._worked_before_period):
            if second_of_day <= start:
                return before
            if second_of_day < end:
                return before + second_of_day - start
        return self.day_seconds

    def position(self, moment: datetime) -> int:
        """Working seconds from the origin to `moment` (sub-second parts are dropped)."""
        local = self.local(moment)
        ordinal = local.toordinal()
        position = self.working_days_before(ordinal) * self.day_seconds
        if self._is_working_ordinal(ordinal):
            position += self._worked_before(local.hour * 3600 + local.minute * 60 + local.second)
        return position

    def is_working_time(self, moment: datetime) -> bool:
        """True when the working clock runs at this moment: a working day, inside a period
        (a period's start counts as working, its end does not)."""
        local = self.local(moment)
        if not self._is_working_ordinal(local.toordinal()):
            return False
        second = local.hour * 3600 + local.minute * 60 + local.second
        return any(start <= second < end for start, end in self.periods)

    def _moment(self, ordinal: int, second_of_day: int) -> datetime:
        wall = datetime.fromordinal(ordinal) + timedelta(seconds=second_of_day)
        return wall.replace(tzinfo=self.tz)

    def moment_at(self, position: int, *, earliest: bool) -> datetime:
        """The moment whose working position is `position`. Between two working periods many
        moments share one position: `earliest` picks the end of the earlier period (17:30),
        otherwise the start of the later one (next morning's 09:00)."""
        length = self.day_seconds
        if earliest:
            j, offset = divmod(position - 1, length)
            offset += 1  # 1 … L: a whole day's worth lands on the end of that day
            i = bisect_left(self._worked_by_period_end, offset)
        else:
            j, offset = divmod(position, length)  # 0 … L-1
            i = bisect_left(self._worked_by_period_end, offset + 1)
        second = self._starts[i] + offset - self._worked_before_period[i]
        return self._moment(self._working_day_number(j), second)

    def add(self, start: datetime, seconds: int) -> datetime:
        """`seconds` working seconds after `start` (before it, when negative).

        Counting starts at the next working moment. A positive amount lands on the earliest
        moment the amount is reached, so using up a period exactly ends at its end (12:00,
        17:30); a negative one lands on the latest such moment (a period's start). Zero returns
        `start` itself."""
        if seconds == 0:
            return self.local(start)
        return self.moment_at(self.position(start) + seconds, earliest=seconds > 0)

    def seconds_between(self, start: datetime, end: datetime) -> int:
        """Working seconds from start to end; negative when end is before start."""
        return self.position(end) - self.position(start)

    def next_working_moment(self, moment: datetime) -> datetime:
        """`moment` itself in working time, else the start of the next working period."""
        if self.is_working_time(moment):
            return self.local(moment)
        return self.moment_at(self.position(moment), earliest=False)
