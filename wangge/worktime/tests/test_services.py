"""Changing the calendar: administrators only, audited, the version token replaced; imports are
all or nothing with every bad row named."""

import datetime
import io

import openpyxl
import pytest

from wangge.core.errors import DomainError, Forbidden, NotFound
from wangge.core.models import AuditEvent
from wangge.worktime import services
from wangge.worktime.models import CalendarDay, CalendarVersion

pytestmark = pytest.mark.django_db
D = datetime.date


def token() -> str:
    return CalendarVersion.objects.get(pk=1).token


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# Setting and removing one day ------------------------------------------------------------------


def test_an_administrator_sets_changes_and_removes_a_day(users):
    admin = users["admin"]
    before = token()
    day = services.calendar_day_set(actor=admin, date=D(2031, 3, 11), is_working=False, name=" 测试假日 ")
    assert (day.is_working, day.name) == (False, "测试假日")
    assert token() != before
    event = AuditEvent.objects.get(verb="calendar.set")
    assert event.actor == admin and event.target_id == "2031-03-11" and event.before is None
    assert event.after == {"date": "2031-03-11", "is_working": False, "name": "测试假日"}
    assert event.scope_key == admin.scope_key

    services.calendar_day_set(actor=admin, date=D(2031, 3, 11), is_working=False, name="另一个名字")
    changed = AuditEvent.objects.filter(verb="calendar.set").order_by("-id").first()
    assert changed.before["name"] == "测试假日" and changed.after["name"] == "另一个名字"

    unchanged_token = token()
    services.calendar_day_set(actor=admin, date=D(2031, 3, 11), is_working=False, name="另一个名字")
    assert token() == unchanged_token and AuditEvent.objects.filter(verb="calendar.set").count() == 2

    services.calendar_day_delete(actor=admin, date=D(2031, 3, 11))
    assert not CalendarDay.objects.filter(date=D(2031, 3, 11)).exists()
    removed = AuditEvent.objects.get(verb="calendar.delete")
    assert removed.before["name"] == "另一个名字" and removed.after is None
    assert token() != unchanged_token


def test_a_make_up_day_must_fall_on_a_weekend(users):
    saturday = services.calendar_day_set(actor=users["admin"], date=D(2031, 3, 15), is_working=True, name="调休上班")
    assert saturday.is_working
    with pytest.raises(DomainError) as refused:
        services.calendar_day_set(actor=users["admin"], date=D(2031, 3, 12), is_working=True, name="调休上班")
    assert refused.value.field == "is_working" and "周六或周日" in refused.value.message
    assert not CalendarDay.objects.filter(date=D(2031, 3, 12)).exists()


@pytest.mark.parametrize("name", ["", "   ", "名" * 51, "国庆\x00节"])
def test_a_day_needs_a_sensible_name(users, name):
    with pytest.raises(DomainError) as refused:
        services.calendar_day_set(actor=users["admin"], date=D(2031, 3, 11), is_working=False, name=name)
    assert refused.value.field == "name"
    assert not CalendarDay.objects.filter(date=D(2031, 3, 11)).exists()


@pytest.mark.parametrize("date", [D(1989, 12, 30), D(2101, 1, 1), D(1, 1, 6)])
def test_a_day_outside_the_years_the_calendar_covers_is_refused(users, date):
    # The import and every reader (list, month page) stop at these years: a day entered outside
    # them could be neither seen nor removed from the page.
    with pytest.raises(DomainError) as refused:
        services.calendar_day_set(actor=users["admin"], date=date, is_working=False, name="假日")
    assert refused.value.field == "date" and "1990" in refused.value.message
    assert not CalendarDay.objects.filter(date=date).exists()


@pytest.mark.parametrize("who", ["dispatcher_a", "gridworker_a", "handler", "resident_a"])
def test_only_administrators_change_the_calendar(users, who):
    actor = users[who]
    with pytest.raises(Forbidden):
        services.calendar_day_set(actor=actor, date=D(2031, 3, 11), is_working=False, name="假日")
    with pytest.raises(Forbidden):
        services.calendar_day_delete(actor=actor, date=D(2026, 10, 1))
    with pytest.raises(Forbidden):
        services.import_calendar(data=csv_bytes("日期,类型,名称\n2031-03-11,放假,假日\n"), actor=actor)
    assert CalendarDay.objects.filter(date=D(2026, 10, 1)).exists()
    assert not CalendarDay.objects.filter(date=D(2031, 3, 11)).exists()


def test_removing_a_day_that_is_not_there(users):
    with pytest.raises(NotFound):
        services.calendar_day_delete(actor=users["admin"], date=D(2031, 3, 11))


def test_the_database_refuses_a_second_entry_for_a_date_and_an_empty_name():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarDay.objects.create(date=D(2026, 10, 1), is_working=False, name="重复")
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarDay.objects.create(date=D(2031, 1, 1), is_working=False, name="")


# Imports ---------------------------------------------------------------------------------------

GOOD_CSV = """日期,类型,名称
2031-01-01,放假,元旦
2031/1/4,上班,元旦调休上班
2031年2月3日,休,春节
20310204,holiday,春节
"""


def test_a_csv_file_is_imported_and_a_second_run_changes_nothing(users):
    before = token()
    report = services.import_calendar(data=csv_bytes(GOOD_CSV), filename="2031.csv", actor=users["admin"])
    assert (report.created, report.updated, report.unchanged, report.removed, report.years) == (4, 0, 0, 0, (2031,))
    assert CalendarDay.objects.get(date=D(2031, 1, 4)).is_working  # a Saturday
    assert token() != before
    assert AuditEvent.objects.filter(verb="calendar.import", note="2031.csv").count() == 4
    again = token()
    report = services.import_calendar(data=csv_bytes(GOOD_CSV), filename="2031.csv", actor=users["admin"])
    assert (report.created, report.unchanged) == (0, 4) and token() == again


def test_gb18030_csv_from_excel_on_chinese_windows(users):
    report = services.import_calendar(data=csv_bytes(GOOD_CSV, "gb18030"), filename="2031.csv", actor=users["admin"])
    assert report.created == 4 and CalendarDay.objects.get(date=D(2031, 1, 1)).name == "元旦"


def test_english_headers_other_columns_and_blank_lines_are_fine(users):
    text = "note,date,name,type\nx,2031-05-01,Labour Day,off\n,,,\ny,2031-05-10,Make-up,workday\n"
    report = services.import_calendar(data=csv_bytes(text), actor=users["admin"])
    assert report.created == 2
    assert CalendarDay.objects.get(date=D(2031, 5, 10)).is_working


def test_an_xlsx_file_with_date_cells_and_text_cells(users):
    data = xlsx_bytes(
        [
            ["日期", "类型", "名称"],
            [datetime.datetime(2031, 10, 1), "放假", "国庆节"],
            ["2031-10-02", "放假", "国庆节"],
            [D(2031, 10, 11), 1, "国庆节调休上班"],
        ]
    )
    report = services.import_calendar(data=data, filename="2031.xlsx", actor=users["admin"])
    assert report.created == 3
    assert CalendarDay.objects.get(date=D(2031, 10, 11)).is_working


def test_every_bad_row_is_named_and_nothing_is_written(users):
    text = """日期,类型,名称
2031-01-01,放假,元旦
2031-02-30,放假,春节
yesterday,放假,春节
2031-01-01,放假,元旦
2031-03-03,maybe,测试
2031-03-05,上班,调休
2031-03-06,放假,
1931-03-07,放假,太早
"""
    with pytest.raises(DomainError) as refused:
        services.import_calendar(data=csv_bytes(text), filename="bad.csv", actor=users["admin"])
    error = refused.value
    assert error.code == "rows_invalid" and "7行错误" in error.message
    by_line = {detail["line"]: detail["reasons"] for detail in error.details}
    assert sorted(by_line) == [3, 4, 5, 6, 7, 8, 9]
    assert "这一天不存在" in by_line[3][0]
    assert "无法识别“yesterday”" in by_line[4][0]
    assert "与第2行重复" in by_line[5][0]
    assert "无法识别“maybe”" in by_line[6][0]
    assert "星期三" in by_line[7][0] and "周六、周日" in by_line[7][0]
    assert "名称" in by_line[8][0]
    assert "年份" in by_line[9][0]
    assert not CalendarDay.objects.filter(date__year=2031).exists()
    assert not AuditEvent.objects.filter(verb="calendar.import").exists()


def test_an_xlsx_row_error_names_the_excel_row(users):
    data = xlsx_bytes(
        [["说明"], [], ["日期", "类型", "名称"], [D(2031, 10, 1), "放假", "国庆节"], ["2031-13-01", "放假", "x"]]
    )
    with pytest.raises(DomainError) as refused:
        services.import_calendar(data=data, filename="bad.xlsx", actor=users["admin"])
    # The first non-empty row is the header: here the note row, so the columns are missing.
    assert refused.value.code == "missing_columns"
    data = xlsx_bytes([["日期", "类型", "名称"], [D(2031, 10, 1), "放假", "国庆节"], [], ["2031-13-01", "放假", "x"]])
    with pytest.raises(DomainError) as refused:
        services.import_calendar(data=data, filename="bad.xlsx", actor=users["admin"])
    assert [(d["line"], d["code"]) for d in refused.value.details] == [(4, "2031-13-01")]


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"", "empty.csv", "empty_file"),
        (b"\n\n", "empty.csv", "empty_file"),
        ("日期,类型,名称\n".encode(), "header-only.csv", "empty_file"),
        ("日期,名称\n2031-01-01,元旦\n".encode(), "no-kind.csv", "missing_columns"),
        (b"\xff\xfe\x00garbage\x81", "weird.csv", "bad_encoding"),
        (b"PK\x03\x04 not really a zip", "broken.xlsx", "bad_excel"),
        (b"plain text", "named.xlsx", "bad_excel"),
        (b"x" * (2 * 1024 * 1024 + 1), "big.csv", "too_large"),
    ],
)
def test_unusable_files_are_refused_with_a_reason(users, data, filename, code):
    with pytest.raises(DomainError) as refused:
        services.import_calendar(data=data, filename=filename, actor=users["admin"])
    assert refused.value.code == code
    assert not CalendarDay.objects.filter(date__year=2031).exists()


def test_replace_removes_entries_of_the_covered_years_that_the_file_leaves_out(users):
    admin = users["admin"]
    services.calendar_day_set(actor=admin, date=D(2031, 6, 2), is_working=False, name="误登记")
    services.calendar_day_set(actor=admin, date=D(2032, 6, 2), is_working=False, name="另一年")
    text = "日期,类型,名称\n2031-01-01,放假,元旦\n"
    kept = services.import_calendar(data=csv_bytes(text), actor=admin)
    assert kept.removed == 0 and CalendarDay.objects.filter(date=D(2031, 6, 2)).exists()
    replaced = services.import_calendar(data=csv_bytes(text), filename="fixed.csv", actor=admin, replace=True)
    assert (replaced.unchanged, replaced.removed) == (1, 1)
    assert not CalendarDay.objects.filter(date=D(2031, 6, 2)).exists()
    assert CalendarDay.objects.filter(date=D(2032, 6, 2)).exists()  # a year the file does not cover
    assert AuditEvent.objects.filter(verb="calendar.delete", target_id="2031-06-02").exists()


def test_an_import_updates_a_changed_day(users):
    text = "日期,类型,名称\n2026-10-08,放假,国庆节延长\n"
    report = services.import_calendar(data=csv_bytes(text), actor=users["admin"])
    assert report.created == 1
    text = "日期,类型,名称\n2026-10-07,放假,国庆节（更名）\n"
    report = services.import_calendar(data=csv_bytes(text), actor=users["admin"])
    assert report.updated == 1 and CalendarDay.objects.get(date=D(2026, 10, 7)).name == "国庆节（更名）"
    event = AuditEvent.objects.filter(verb="calendar.import", target_id="2026-10-07").get()
    assert event.before["name"] == "国庆节" and event.after["name"] == "国庆节（更名）"
