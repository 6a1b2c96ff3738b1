"""manage.py import_holidays: the same service as the page; refusals list every bad line,
never a traceback."""

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from wangge.core.models import AuditEvent
from wangge.worktime.models import CalendarDay

pytestmark = pytest.mark.django_db
SHIPPED = Path(__file__).resolve().parent.parent / "data" / "holidays-2026.csv"


def test_importing_a_file(tmp_path):
    path = tmp_path / "2031.csv"
    path.write_text("日期,类型,名称\n2031-01-01,放假,元旦\n2031-01-04,上班,元旦调休上班\n", encoding="utf-8")
    out = StringIO()
    call_command("import_holidays", str(path), stdout=out)
    assert "新增 2" in out.getvalue() and "2031年" in out.getvalue()
    assert CalendarDay.objects.get(date=datetime.date(2031, 1, 4)).is_working
    event = AuditEvent.objects.filter(verb="calendar.import", target_id="2031-01-01").get()
    assert event.actor is None and event.request_id.startswith("cmd:import_holidays:")


def test_the_shipped_2026_file_changes_nothing_on_a_migrated_database():
    out = StringIO()
    call_command("import_holidays", str(SHIPPED), stdout=out)
    assert "新增 0，更新 0，未变 39，删除 0" in out.getvalue()


def test_bad_lines_are_listed_without_a_traceback(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("日期,类型,名称\n2031-02-30,放假,春节\n2031-03-01,maybe,x\n2031-03-01,放假,y\n", encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import_holidays", str(path))
    message = str(refused.value)
    assert "文件有3行错误，未导入任何数据" in message
    assert "第2行 2031-02-30：" in message and "第3行 2031-03-01：" in message and "与第3行重复" in message
    assert "Traceback" not in message
    assert not CalendarDay.objects.filter(date__year=2031).exists()


def test_a_missing_or_unreadable_file(tmp_path):
    with pytest.raises(CommandError, match="文件不存在"):
        call_command("import_holidays", str(tmp_path / "nope.csv"))
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04broken")
    with pytest.raises(CommandError, match="Excel 文件无法读取"):
        call_command("import_holidays", str(broken))


def test_replace(tmp_path):
    CalendarDay.objects.create(date=datetime.date(2026, 11, 2), is_working=False, name="误登记")
    out = StringIO()
    call_command("import_holidays", str(SHIPPED), "--replace", stdout=out)
    assert "删除 1" in out.getvalue()
    assert not CalendarDay.objects.filter(date=datetime.date(2026, 11, 2)).exists()
