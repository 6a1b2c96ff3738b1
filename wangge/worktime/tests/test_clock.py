"""The clock the case workflow calls: the calendar comes from the database (the 2026 national
schedule is loaded by a migration), is cached per process and reloaded after every change."""

import datetime
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from wangge.worktime import clock, services
from wangge.worktime.models import CalendarDay, CalendarVersion

from .reference import SHANGHAI, national_2026

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parent.parent / "data"
HOUR = 3600


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def test_the_2026_national_schedule_is_in_the_database():
    assert dict(CalendarDay.objects.values_list("date", "is_working")) == national_2026()
    assert CalendarDay.objects.get(date=datetime.date(2026, 10, 1)).name == "国庆节"
    assert CalendarDay.objects.get(date=datetime.date(2026, 10, 10)).name == "国庆节调休上班"
    assert CalendarDay.objects.filter(is_working=True).count() == 6
    assert CalendarVersion.objects.get(pk=1).token


def test_the_shipped_import_file_says_the_same_as_the_migration():
    report = services.import_calendar(data=(DATA / "holidays-2026.csv").read_bytes(), filename="holidays-2026.csv")
    assert (report.created, report.updated, report.unchanged, report.removed) == (0, 0, 39, 0)


def test_signatures_the_case_workflow_uses():
    start = at(2026, 9, 30, 16)
    due = clock.deadline(start, hours=2)
    assert due == at(2026, 10, 8, 9, 30)  # 国庆 week skipped
    assert clock.working_seconds_between(start, due) == 2 * HOUR
    assert clock.working_seconds_between(due, start) == -2 * HOUR
    assert clock.deadline(at(2026, 3, 2, 9), days=15) == at(2026, 3, 20, 17, 30)
    assert clock.deadline(at(2026, 3, 10, 10), days=1, hours=1) == at(2026, 3, 11, 11)
    assert clock.deadline(at(2026, 3, 10, 10), seconds=90) == at(2026, 3, 10, 10, 1, 30)
    assert due.tzinfo is not None and due.utcoffset() == datetime.timedelta(hours=8)
    assert clock.is_working_time(at(2026, 10, 10, 10))  # make-up Saturday
    assert clock.next_working_moment(at(2026, 10, 3, 12)) == at(2026, 10, 8, 9)
    assert clock.working_day_seconds() == 7 * HOUR


def test_a_change_takes_effect_at_once_and_costs_one_query_when_unchanged(django_assert_num_queries, users):
    start = at(2031, 3, 10, 17)  # a Monday of a year without entries
    assert clock.deadline(start, hours=1) == at(2031, 3, 11, 9, 30)
    with django_assert_num_queries(1):  # the version token; the calendar itself is cached
        clock.deadline(start, hours=1)
    services.calendar_day_set(actor=users["admin"], date=datetime.date(2031, 3, 11), is_working=False, name="测试假日")
    assert clock.deadline(start, hours=1) == at(2031, 3, 12, 9, 30)
    services.calendar_day_delete(actor=users["admin"], date=datetime.date(2031, 3, 11))
    assert clock.deadline(start, hours=1) == at(2031, 3, 11, 9, 30)


def test_a_change_made_by_another_process_is_seen_through_the_token():
    start = at(2031, 3, 10, 17)
    assert clock.deadline(start, hours=1) == at(2031, 3, 11, 9, 30)
    # Another process commits a change: its rows and a new token, nothing in this process' memory.
    CalendarDay.objects.create(date=datetime.date(2031, 3, 11), is_working=False, name="别处登记")
    assert clock.deadline(start, hours=1) == at(2031, 3, 11, 9, 30)  # same token: still cached
    CalendarVersion.objects.filter(pk=1).update(token="changed-elsewhere")
    assert clock.deadline(start, hours=1) == at(2031, 3, 12, 9, 30)


def test_a_batch_can_reuse_one_calendar_without_queries(django_assert_num_queries):
    calendar = clock.current_calendar()
    with django_assert_num_queries(0):
        for day in range(1, 29):
            start = at(2026, 2, day, 10)
            due = clock.deadline(start, days=3, calendar=calendar)
            assert clock.working_seconds_between(start, due, calendar=calendar) == 3 * 7 * HOUR


def test_working_hours_come_from_the_setting(settings):
    settings.WANGGE_WORK_HOURS = "08:00-12:00,14:00-18:00"
    assert clock.working_day_seconds() == 8 * HOUR
    assert clock.deadline(at(2026, 3, 10, 11), hours=2) == at(2026, 3, 10, 15)
    assert clock.deadline(at(2026, 3, 10, 8), days=1) == at(2026, 3, 10, 18)
    settings.WANGGE_WORK_HOURS = "9 to 5"
    with pytest.raises(ImproperlyConfigured, match="WANGGE_WORK_HOURS"):
        clock.deadline(at(2026, 3, 10, 11), hours=2)


def test_the_environment_variable_reaches_the_settings(monkeypatch):
    import importlib

    import config.settings

    monkeypatch.setenv("WANGGE_WORK_HOURS", "10:00-16:00")
    try:
        assert importlib.reload(config.settings).WANGGE_WORK_HOURS == "10:00-16:00"
    finally:
        monkeypatch.delenv("WANGGE_WORK_HOURS")
        importlib.reload(config.settings)


def test_an_empty_setting_means_the_built_in_day(settings):
    settings.WANGGE_WORK_HOURS = "10:00-16:00"
    assert clock.working_day_seconds() == 6 * HOUR
    assert clock.deadline(at(2026, 3, 10, 15), hours=2) == at(2026, 3, 11, 11)
    settings.WANGGE_WORK_HOURS = ""
    assert clock.working_day_seconds() == 7 * HOUR  # 09:00-12:00 and 13:30-17:30


def test_a_bad_setting_is_reported_by_the_system_check(settings):
    from wangge.worktime.checks import check_work_hours

    assert check_work_hours(None) == []
    settings.WANGGE_WORK_HOURS = "09:00-12:00,11:00-13:00"
    assert [problem.id for problem in check_work_hours(None)] == ["wangge.worktime.E001"]
