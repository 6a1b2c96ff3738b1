"""The calendar page: anonymous → login; everyone signed in sees the month view; only
administrators see and use the forms (others get 403 and nothing is written)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from wangge.worktime.models import CalendarDay

pytestmark = pytest.mark.django_db
URL = "/calendar/"


def test_anonymous_visitors_are_sent_to_the_login_page(tree):
    client = Client()
    for url in (URL, URL + "?month=2026-10", URL + "export.csv?year=2026"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    for url in (URL + "days/", URL + "days/2026-10-01/delete/", URL + "import/"):
        response = client.post(url, {})
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    assert CalendarDay.objects.filter(date=datetime.date(2026, 10, 1)).exists()


@pytest.mark.parametrize("who", ["resident_a", "dispatcher_b", "handler"])
def test_everyone_signed_in_sees_the_month_but_not_the_forms(client_for, who):
    client = client_for(who)
    html = client.get(URL + "?month=2026-10").content.decode()
    assert "2026年10月" in html
    assert 'class="day holiday" role="gridcell" data-date="2026-10-01"' in html
    assert 'class="day makeup" role="gridcell" data-date="2026-10-10"' in html
    assert 'class="day weekend" role="gridcell" data-date="2026-10-11"' in html
    assert "国庆节调休上班" in html and "09:00–12:00" in html
    assert "?month=2026-09" in html and "?month=2026-11" in html
    assert "登记一天" not in html and 'action="/calendar/import/"' not in html
    assert 'href="/calendar/"' in client.get("/locate/").content.decode()  # in the navigation bar


@pytest.mark.parametrize("who", ["resident_a", "dispatcher_a", "gridworker_a"])
def test_non_administrators_cannot_post(client_for, who):
    client = client_for(who)
    response = client.post(URL + "days/", {"date": "2031-03-11", "is_working": "0", "name": "假日"})
    assert response.status_code == 403 and "管理员" in response.content.decode()
    assert client.post(URL + "days/2026-10-01/delete/").status_code == 403
    upload = SimpleUploadedFile("h.csv", "日期,类型,名称\n2031-03-11,放假,x\n".encode())
    assert client.post(URL + "import/", {"file": upload}).status_code == 403
    assert not CalendarDay.objects.filter(date=datetime.date(2031, 3, 11)).exists()
    assert CalendarDay.objects.filter(date=datetime.date(2026, 10, 1)).exists()


def test_an_administrator_sets_and_removes_a_day_on_the_page(client_for):
    client = client_for("admin")
    html = client.get(URL + "?month=2026-10").content.decode()
    assert "登记一天" in html and "导入节假日安排" in html and "最近修改" in html
    response = client.post(URL + "days/", {"date": "2031-03-11", "is_working": "0", "name": "假日"}, follow=True)
    assert response.redirect_chain[-1][0] == URL + "?month=2031-03"
    html = response.content.decode()
    assert "已登记 2031-03-11" in html and 'class="day holiday" role="gridcell" data-date="2031-03-11"' in html
    assert "登记" in html.split("最近修改")[1]  # the change shows in the page's history
    response = client.post(URL + "days/2031-03-11/delete/", follow=True)
    assert "已删除 2031-03-11" in response.content.decode()
    assert not CalendarDay.objects.filter(date=datetime.date(2031, 3, 11)).exists()


def test_form_errors_are_shown_beside_the_field(client_for):
    client = client_for("admin")
    weekday = client.post(URL + "days/", {"date": "2031-03-12", "is_working": "1", "name": "调休"})
    assert weekday.status_code == 200 and "周六或周日" in weekday.content.decode()
    bad = client.post(URL + "days/", {"date": "2031-02-30", "is_working": "2", "name": ""})
    assert bad.status_code == 200
    html = bad.content.decode()
    assert html.count('class="invalid"') == 3
    assert client.post(URL + "days/not-a-date/delete/").status_code == 404
    assert client.post(URL + "days/2031-03-11/delete/").status_code == 404
    assert not CalendarDay.objects.filter(date__year=2031).exists()


def test_an_administrator_imports_a_file_and_sees_every_bad_row(client_for):
    client = client_for("admin")
    good = SimpleUploadedFile("2031.csv", "日期,类型,名称\n2031-01-01,放假,元旦\n2031-01-04,上班,调休\n".encode())
    response = client.post(URL + "import/", {"file": good, "month": "2031-01"}, follow=True)
    assert response.redirect_chain[-1][0] == URL + "?month=2031-01"
    assert "新增 2" in response.content.decode()
    bad = SimpleUploadedFile("bad.csv", "日期,类型,名称\n2031-02-30,放假,x\n2031-03-01,maybe,y\n".encode())
    response = client.post(URL + "import/", {"file": bad})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="import-errors"' in html
    assert "第2行" in html and "这一天不存在" in html and "第3行" in html and "maybe" in html
    assert not CalendarDay.objects.filter(date=datetime.date(2031, 3, 1)).exists()
    broken = SimpleUploadedFile("x.xlsx", b"PK\x03\x04broken")
    assert "Excel 文件无法读取" in client.post(URL + "import/", {"file": broken}).content.decode()
    missing = client.post(URL + "import/", {})
    assert missing.status_code == 200 and 'class="invalid"' in missing.content.decode()


def test_odd_month_parameters_show_this_month(client_for):
    client = client_for("resident_a")
    for month in ("", "2026-13", "banana", "99999-01", "0001-01"):
        assert client.get(URL, {"month": month}).status_code == 200, month
    html = client.get(URL + "?month=2100-12").content.decode()
    assert "?month=2101-01" not in html  # no link past the last supported year


def test_a_year_without_entries_says_so(client_for):
    html = client_for("resident_a").get(URL + "?month=2031-05").content.decode()
    assert "2031年还没有登记节假日安排" in html and "请联系管理员导入" in html


def test_the_export_is_an_import_file(client_for):
    response = client_for("resident_a").get(URL + "export.csv?year=2026")
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0] == "日期,类型,名称" and len(lines) == 40
    assert "2026-10-10,上班,国庆节调休上班" in lines


def test_the_page_stays_within_a_query_budget(client_for, django_assert_max_num_queries):
    client = client_for("admin")
    client.get(URL)
    with django_assert_max_num_queries(12):
        assert client.get(URL + "?month=2026-10").status_code == 200
