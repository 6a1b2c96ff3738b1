"""The working-time arithmetic: properties checked by hypothesis on random calendars against a
day-by-day reference, and worked examples on the 2026 national calendar. No database."""

import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from wangge.worktime.workcalendar import WorkCalendar, format_work_hours, parse_work_hours

from . import reference
from .reference import SHANGHAI, calendar_2026

UTC = datetime.UTC
FIRST, LAST = datetime.date(2025, 12, 1), datetime.date(2027, 3, 31)


def at(y, mo, d, h=0, mi=0, s=0, tz=SHANGHAI) -> datetime.datetime:
    return datetime.datetime(y, mo, d, h, mi, s, tzinfo=tz)


# Strategies -------------------------------------------------------------------------------------


@st.composite
def periods(draw):
    """One to three working periods at minute resolution, in order, not overlapping."""
    count = draw(st.integers(1, 3))
    cuts = sorted(draw(st.sets(st.integers(0, 24 * 60), min_size=2 * count, max_size=2 * count)))
    return tuple((cuts[2 * i] * 60, cuts[2 * i + 1] * 60) for i in range(count))


exception_sets = st.dictionaries(st.dates(FIRST, LAST), st.booleans(), max_size=60)


@st.composite
def calendars(draw):
    chosen = draw(periods())
    exceptions = draw(exception_sets)
    # A calendar with no working day at all in the range would make deadlines run off the edge.
    return chosen, exceptions, WorkCalendar(periods=chosen, exceptions=exceptions, tz=SHANGHAI)


moments = st.datetimes(
    min_value=datetime.datetime(2026, 1, 1), max_value=datetime.datetime(2026, 12, 31, 23, 59, 59)
).map(lambda naive: naive.replace(microsecond=0, tzinfo=SHANGHAI))
amounts = st.integers(1, 40 * 7 * 3600)


# Against the reference ----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(calendars(), moments, moments)
def test_working_seconds_match_the_day_by_day_reference(cal, a, b):
    chosen, exceptions, calendar = cal
    assert calendar.seconds_between(a, b) == reference.between(a, b, chosen, exceptions)


@settings(max_examples=300, deadline=None)
@given(calendars(), moments, amounts)
def test_deadlines_match_the_day_by_day_reference(cal, start, seconds):
    chosen, exceptions, calendar = cal
    assert calendar.add(start, seconds) == reference.deadline(start, seconds, chosen, exceptions)


# Properties ---------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(calendars(), moments, st.integers(-40 * 7 * 3600, 40 * 7 * 3600))
def test_deadline_and_between_are_inverse(cal, start, seconds):
    _, _, calendar = cal
    end = calendar.add(start, seconds)
    assert calendar.seconds_between(start, end) == seconds
    assert (end >= start) if seconds >= 0 else (end < start)


@settings(max_examples=300, deadline=None)
@given(calendars(), moments, moments, moments)
def test_between_is_additive_and_antisymmetric(cal, a, b, c):
    _, _, calendar = cal
    assert calendar.seconds_between(a, b) + calendar.seconds_between(b, c) == calendar.seconds_between(a, c)
    assert calendar.seconds_between(b, a) == -calendar.seconds_between(a, b)
    assert calendar.seconds_between(a, a) == 0


@settings(max_examples=300, deadline=None)
@given(calendars(), moments, moments, amounts, amounts)
def test_monotone_in_start_and_in_amount(cal, a, b, s1, s2):
    _, _, calendar = cal
    a, b = min(a, b), max(a, b)
    s1, s2 = min(s1, s2), max(s1, s2)
    assert calendar.seconds_between(a, b) >= 0
    assert calendar.add(a, s1) <= calendar.add(b, s1)
    assert calendar.add(a, s1) <= calendar.add(a, s2)


def _is_end_of_a_period(calendar: WorkCalendar, moment: datetime.datetime) -> bool:
    local = calendar.local(moment)
    second = local.hour * 3600 + local.minute * 60 + local.second
    if second == 0:  # a period ending at 24:00 ends at the next day's midnight
        day, second = local.date() - timedelta(days=1), 86400
    else:
        day = local.date()
    return calendar.is_working_day(day) and any(end == second for _, end in calendar.periods)


@settings(max_examples=300, deadline=None)
@given(calendars(), moments, st.integers(-40 * 7 * 3600, 40 * 7 * 3600).filter(bool))
def test_never_lands_outside_working_time_except_at_a_periods_end(cal, start, seconds):
    _, _, calendar = cal
    end = calendar.add(start, seconds)
    if seconds > 0:
        assert calendar.is_working_time(end) or _is_end_of_a_period(calendar, end)
    else:
        assert calendar.is_working_time(end)  # backwards lands on a period's start, which is working


@settings(max_examples=200, deadline=None)
@given(calendars(), moments, st.integers(0, 400))
def test_whole_days_respect_weekends_holidays_and_make_up_days(cal, start, days):
    chosen, exceptions, calendar = cal
    assume(calendar.is_working_time(start))
    end = calendar.add(start, days * calendar.day_seconds)
    # From inside working time, N working days later is the same wall time on the N-th working
    # day after (or the end of the previous period when start sits on a period's start).
    assert calendar.working_days_between(start.date() + timedelta(days=1), end.date()) in (days, days - 1)
    for day_offset in range(1, (end.date() - start.date()).days):
        day = start.date() + timedelta(days=day_offset)
        expected = exceptions.get(day, day.weekday() < 5)
        assert calendar.is_working_day(day) == expected


@settings(max_examples=300, deadline=None)
@given(exception_sets, st.integers(-50, 500))
def test_the_nth_working_day_matches_counting(exceptions, j):
    calendar = WorkCalendar(periods=((0, 3600),), exceptions=exceptions, tz=SHANGHAI)
    origin = FIRST.toordinal()
    target = calendar.working_days_before(origin) + j
    found = calendar._working_day_number(target)
    assert calendar._is_working_ordinal(found)
    assert calendar.working_days_before(found) == target


@settings(max_examples=100, deadline=None)
@given(calendars(), moments, st.sampled_from(["UTC", "Asia/Tokyo", "America/New_York"]))
def test_the_time_zone_of_the_input_does_not_matter(cal, moment, zone):
    _, _, calendar = cal
    elsewhere = moment.astimezone(ZoneInfo(zone))
    assert calendar.position(elsewhere) == calendar.position(moment)
    assert calendar.add(elsewhere, 3600) == calendar.add(moment, 3600)
    assert calendar.add(elsewhere, 3600).tzinfo == SHANGHAI


# Worked examples on the 2026 national calendar (09:00-12:00, 13:30-17:30; 7 hours a day) ----------

HOUR = 3600
DAY = 7 * HOUR


@pytest.mark.parametrize(
    ("start", "seconds", "expected", "why"),
    [
        (at(2026, 3, 10, 10), HOUR, at(2026, 3, 10, 11), "inside the morning"),
        (at(2026, 3, 10, 11, 30), HOUR, at(2026, 3, 10, 14), "across lunch"),
        (at(2026, 3, 10, 11), HOUR, at(2026, 3, 10, 12), "using up the morning ends at 12:00"),
        (at(2026, 3, 10, 16, 30), HOUR, at(2026, 3, 10, 17, 30), "using up the day ends at 17:30"),
        (at(2026, 3, 10, 17), HOUR, at(2026, 3, 11, 9, 30), "overnight"),
        (at(2026, 3, 10, 22), HOUR, at(2026, 3, 11, 10), "a start at night counts from 09:00"),
        (at(2026, 3, 11, 3), HOUR, at(2026, 3, 11, 10), "a start before dawn counts from 09:00"),
        (at(2026, 3, 10, 12, 45), HOUR, at(2026, 3, 10, 14, 30), "a start at lunch counts from 13:30"),
        (at(2026, 3, 13, 17), HOUR, at(2026, 3, 16, 9, 30), "Friday evening to Monday morning"),
        (at(2026, 3, 14, 10), HOUR, at(2026, 3, 16, 10), "a start on Saturday counts from Monday"),
        (at(2026, 3, 10, 10), DAY, at(2026, 3, 11, 10), "one working day is seven working hours"),
        (at(2026, 3, 13, 10), DAY, at(2026, 3, 16, 10), "one working day over a weekend"),
        (at(2026, 3, 2, 9), 15 * DAY, at(2026, 3, 20, 17, 30), "15 working days from a Monday 09:00"),
        (at(2026, 9, 30, 16), 2 * HOUR, at(2026, 10, 8, 9, 30), "国庆: Sept 30 to Oct 8 skips the whole week"),
        (at(2026, 10, 3, 10), HOUR, at(2026, 10, 8, 10), "a start inside the 国庆 holiday"),
        (at(2026, 9, 30, 10), 3 * DAY, at(2026, 10, 10, 10), "the make-up Saturday Oct 10 is a working day"),
        (at(2026, 10, 9, 17), HOUR, at(2026, 10, 10, 9, 30), "Friday Oct 9 evening → make-up Saturday"),
        (at(2026, 9, 18, 20), HOUR, at(2026, 9, 20, 10), "the make-up Sunday Sept 20 is a working day"),
        (at(2026, 2, 13, 17), HOUR, at(2026, 2, 14, 9, 30), "春节: make-up Saturday Feb 14 before the holiday"),
        (at(2026, 2, 14, 17), HOUR, at(2026, 2, 24, 9, 30), "春节: Feb 15–23 off"),
        (at(2026, 12, 31, 17), HOUR, at(2027, 1, 1, 9, 30), "2027 has no entries yet: only weekends are off"),
    ],
)
def test_national_calendar_examples(start, seconds, expected, why):
    calendar = calendar_2026()
    assert calendar.add(start, seconds) == expected, why
    assert calendar.seconds_between(start, expected) == seconds, why


def test_national_calendar_days_and_between():
    calendar = calendar_2026()
    assert not calendar.is_working_day(datetime.date(2026, 10, 5))  # Monday in 国庆
    assert calendar.is_working_day(datetime.date(2026, 10, 10))  # make-up Saturday
    assert calendar.is_working_day(datetime.date(2026, 9, 20))  # make-up Sunday
    assert not calendar.is_working_day(datetime.date(2026, 10, 11))  # an ordinary Sunday
    # September 2026: 22 weekdays, minus 中秋 Friday the 25th, plus make-up Sunday the 20th.
    assert calendar.working_days_between(datetime.date(2026, 9, 1), datetime.date(2026, 9, 30)) == 22
    assert calendar.working_days_between(datetime.date(2026, 10, 1), datetime.date(2026, 10, 31)) == 18
    # A whole year: 261 weekdays, 19 of them holidays, 6 make-up weekend days.
    assert calendar.working_days_between(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)) == 261 - 19 + 6
    assert calendar.seconds_between(at(2026, 9, 30, 9), at(2026, 10, 8, 9)) == DAY
    assert calendar.seconds_between(at(2026, 10, 8, 9), at(2026, 9, 30, 9)) == -DAY


def test_negative_amounts_count_backwards_to_a_periods_start():
    calendar = calendar_2026()
    assert calendar.add(at(2026, 10, 8, 10), -HOUR) == at(2026, 10, 8, 9)
    assert calendar.add(at(2026, 10, 8, 9), -HOUR) == at(2026, 9, 30, 16, 30)
    assert calendar.add(at(2026, 10, 8, 14), -HOUR) == at(2026, 10, 8, 11, 30)
    assert calendar.add(at(2026, 3, 11, 10), -DAY) == at(2026, 3, 10, 10)


def test_zero_returns_the_start_itself_and_sub_seconds_are_dropped():
    calendar = calendar_2026()
    start = at(2026, 3, 10, 10).replace(microsecond=700_000)
    assert calendar.add(start, 0) == start
    assert calendar.add(start, 1) == at(2026, 3, 10, 10, 0, 1)
    assert calendar.seconds_between(start, at(2026, 3, 10, 10, 0, 1)) == 1
    night = at(2026, 3, 10, 20)
    assert calendar.add(night, 0) == night  # zero does not move to the next working moment


def test_naive_and_foreign_inputs_are_read_as_what_they_mean():
    calendar = calendar_2026()
    assert calendar.add(datetime.datetime(2026, 3, 10, 10), HOUR) == at(2026, 3, 10, 11)  # naive = local
    assert calendar.add(at(2026, 3, 10, 2, tz=UTC), HOUR) == at(2026, 3, 10, 11)  # 02:00 UTC = 10:00 Shanghai


def test_next_working_moment_and_is_working_time():
    calendar = calendar_2026()
    assert calendar.next_working_moment(at(2026, 10, 3, 12)) == at(2026, 10, 8, 9)
    assert calendar.next_working_moment(at(2026, 10, 8, 12)) == at(2026, 10, 8, 13, 30)
    assert calendar.next_working_moment(at(2026, 10, 8, 10)) == at(2026, 10, 8, 10)
    assert calendar.is_working_time(at(2026, 10, 8, 9)) and not calendar.is_working_time(at(2026, 10, 8, 12))
    assert not calendar.is_working_time(at(2026, 10, 5, 10))


def test_other_working_hours():
    calendar = calendar_2026("08:30-12:00,14:00-17:30")
    assert calendar.day_seconds == DAY
    assert calendar.add(at(2026, 3, 10, 11), 2 * HOUR) == at(2026, 3, 10, 15)
    round_the_clock = calendar_2026("00:00-24:00")
    assert round_the_clock.add(at(2026, 3, 13, 23), 2 * HOUR) == at(2026, 3, 16, 1)
    assert round_the_clock.add(at(2026, 3, 13, 23), HOUR) == at(2026, 3, 14, 0)  # Friday's end, at 24:00


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00-12:00,13:30-17:30", ((32400, 43200), (48600, 63000))),
        (" 9:00 - 12:00 ", ((32400, 43200),)),
        ("00:00-24:00", ((0, 86400),)),
        ("08:00-12:00,12:00-16:00", ((28800, 43200), (43200, 57600))),
    ],
)
def test_parse_work_hours(text, expected):
    assert parse_work_hours(text) == expected
    assert parse_work_hours(format_work_hours(expected)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "9-12",
        "09:00-12:00,11:00-13:00",
        "12:00-09:00",
        "25:00-26:00",
        "09:60-10:00",
        "24:30-24:45",
        "13:00-14:00,09:00-12:00",
    ],
)
def test_bad_work_hours_are_refused(text):
    with pytest.raises(ValueError):
        parse_work_hours(text)
