"""The calendar API: anonymous → 401; everyone signed in reads (the calendar is national);
only administrators change it (others → 403, nothing written)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from wangge.accounts.services import token_create
from wangge.worktime.models import CalendarDay

pytestmark = pytest.mark.django_db

READS = [
    "/api/v1/calendar/days?year=2026",
    "/api/v1/calendar/month?year=2026&month=10",
    "/api/v1/calendar/hours",
    "/api/v1/calendar/deadline?start=2026-09-30T16:00:00%2B08:00&hours=2",
    "/api/v1/calendar/working-seconds?start=2026-09-30T09:00:00%2B08:00&end=2026-10-08T09:00:00%2B08:00",
]


def upload(client, text: str, **extra):
    return client.post(
        "/api/v1/calendar/import", {"file": SimpleUploadedFile("h.csv", text.encode()), **extra}, format="multipart"
    )


def test_anonymous_callers_get_401_everywhere(tree):
    client = Client()
    for url in READS:
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.json()["code"] == "unauthenticated"
    assert client.put("/api/v1/calendar/days/2031-03-11", {}, content_type="application/json").status_code == 401
    assert client.delete("/api/v1/calendar/days/2026-10-01").status_code == 401
    assert upload(client, "日期,类型,名称\n2031-03-11,放假,x\n").status_code == 401
    assert CalendarDay.objects.filter(date=datetime.date(2026, 10, 1)).exists()


@pytest.mark.parametrize("who", ["resident_a", "gridworker_a", "dispatcher_b", "handler", "admin_a"])
def test_everyone_signed_in_reads_the_whole_calendar(client_for, who):
    client = client_for(who)
    for url in READS:
        assert client.get(url).status_code == 200, url
    days = client.get("/api/v1/calendar/days?year=2026").json()
    assert len(days) == 39
    assert days[0] == {"date": "2026-01-01", "is_working": False, "kind": "holiday", "name": "元旦"}
    assert {"date": "2026-10-10", "is_working": True, "kind": "makeup", "name": "国庆节调休上班"} in days


def test_month_lists_every_day_with_its_reason(client_for):
    days = client_for("resident_a").get("/api/v1/calendar/month?year=2026&month=10").json()
    assert len(days) == 31
    by_date = {day["date"]: day for day in days}
    assert by_date["2026-10-01"] == {"date": "2026-10-01", "is_working": False, "kind": "holiday", "name": "国庆节"}
    assert by_date["2026-10-10"]["kind"] == "makeup" and by_date["2026-10-10"]["is_working"]
    assert by_date["2026-10-11"] == {"date": "2026-10-11", "is_working": False, "kind": "weekend", "name": ""}
    assert by_date["2026-10-12"] == {"date": "2026-10-12", "is_working": True, "kind": "workday", "name": ""}


def test_reads_stay_within_a_query_budget(client_for, django_assert_max_num_queries):
    client = client_for("dispatcher_a")
    client.get("/api/v1/calendar/hours")  # warm the calendar cache of this process
    for url in READS:
        with django_assert_max_num_queries(6):  # session, user, scope, the data (or token)
            assert client.get(url).status_code == 200


def test_deadline_and_working_seconds(client_for):
    client = client_for("handler")
    body = client.get(READS[3]).json()
    assert body == {
        "start": "2026-09-30T16:00:00+08:00",
        "deadline": "2026-10-08T09:30:00+08:00",
        "working_seconds": 7200,
    }
    naive_utc = client.get("/api/v1/calendar/deadline?start=2026-09-30T08:00:00Z&days=1").json()
    assert naive_utc["start"] == "2026-09-30T16:00:00+08:00" and naive_utc["deadline"] == "2026-10-08T16:00:00+08:00"
    between = client.get(READS[4]).json()
    assert between["working_seconds"] == 7 * 3600
    assert client.get("/api/v1/calendar/hours").json() == {
        "periods": [["09:00", "12:00"], ["13:30", "17:30"]],
        "day_seconds": 25200,
        "time_zone": "Asia/Shanghai",
    }


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/calendar/deadline?start=soon&hours=2", "start"),
        ("/api/v1/calendar/deadline?start=2026-09-30T16:00:00&hours=99999999", "hours"),
        ("/api/v1/calendar/deadline?start=2026-09-30T16:00:00&days=x", "days"),
        ("/api/v1/calendar/working-seconds?start=2026-09-30T16:00:00", "end"),
        ("/api/v1/calendar/month?year=2026&month=13", "month"),
        ("/api/v1/calendar/month?year=99999&month=1", "year"),
        ("/api/v1/calendar/days?year=3000", "year"),
    ],
)
def test_bad_queries_name_the_field(client_for, url, field):
    response = client_for("dispatcher_a").get(url)
    assert response.status_code in (400, 422), url
    assert response.json()["field"] == field


@pytest.mark.parametrize("who", ["resident_a", "dispatcher_a", "gridworker_a", "handler"])
def test_non_administrators_cannot_change_anything(client_for, who):
    client = client_for(who)
    put = client.put(
        "/api/v1/calendar/days/2031-03-11", {"is_working": False, "name": "假日"}, content_type="application/json"
    )
    assert put.status_code == 403 and put.json()["code"] == "forbidden"
    assert client.delete("/api/v1/calendar/days/2026-10-01").status_code == 403
    assert upload(client, "日期,类型,名称\n2031-03-11,放假,x\n").status_code == 403
    assert not CalendarDay.objects.filter(date=datetime.date(2031, 3, 11)).exists()
    assert CalendarDay.objects.filter(date=datetime.date(2026, 10, 1)).exists()


def test_an_administrator_sets_and_removes_days(client_for):
    client = client_for("admin")
    response = client.put(
        "/api/v1/calendar/days/2031-03-11", {"is_working": False, "name": "假日"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json() == {"date": "2031-03-11", "is_working": False, "kind": "holiday", "name": "假日"}
    weekday_makeup = client.put(
        "/api/v1/calendar/days/2031-03-12", {"is_working": True, "name": "调休"}, content_type="application/json"
    )
    assert weekday_makeup.status_code == 400 and weekday_makeup.json()["field"] == "is_working"
    bad_date = client.put(
        "/api/v1/calendar/days/2031-02-30", {"is_working": False, "name": "x"}, content_type="application/json"
    )
    assert bad_date.status_code == 422 and bad_date.json()["field"] == "date"
    no_name = client.put("/api/v1/calendar/days/2031-03-13", {"is_working": False}, content_type="application/json")
    assert no_name.status_code == 422 and no_name.json()["field"] == "name"
    assert client.delete("/api/v1/calendar/days/2031-03-11").status_code == 204
    missing = client.delete("/api/v1/calendar/days/2031-03-11")
    assert missing.status_code == 404 and missing.json()["field"] == "date"


def test_an_administrator_imports_all_or_nothing(client_for, users):
    client = client_for("admin_a")  # the calendar is national: any administrator maintains it
    ok = upload(client, "日期,类型,名称\n2031-03-11,放假,假日\n2031-03-15,上班,调休上班\n")
    assert ok.status_code == 200
    assert ok.json() == {"created": 2, "updated": 0, "unchanged": 0, "removed": 0, "years": [2031]}
    refused = upload(client, "日期,类型,名称\n2031-04-01,放假,假日\n2031-04-01,放假,假日\nnope,x,\n")
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "rows_invalid"
    assert [(d["line"], d["code"]) for d in body["details"]] == [(3, "2031-04-01"), (4, "nope")]
    assert len(body["details"][1]["reasons"]) == 3
    assert not CalendarDay.objects.filter(date=datetime.date(2031, 4, 1)).exists()
    replaced = upload(client, "日期,类型,名称\n2031-03-11,放假,假日\n", replace="true")
    assert replaced.json()["removed"] == 1
    missing_file = client.post("/api/v1/calendar/import", {})
    assert missing_file.status_code == 422 and missing_file.json()["field"] == "file"


def test_systems_use_a_token(users):
    raw = token_create(actor=users["admin"], user=users["admin"], name="日历同步")[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/calendar/days?year=2026").status_code == 200
    response = client.put(
        "/api/v1/calendar/days/2031-03-11", {"is_working": False, "name": "假日"}, content_type="application/json"
    )
    assert response.status_code == 200
