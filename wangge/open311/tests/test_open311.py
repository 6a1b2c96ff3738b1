"""Open311 GeoReport v2: every endpoint in JSON and XML, checked against the spec's field rules,
with api_key scope (a key sees and files only in its region)."""

import re
from io import StringIO
from xml.etree import ElementTree

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from wangge.cases.models import Case, CaseEvent, Channel, Status
from wangge.cases.tests.conftest import A1, B1
from wangge.core.models import AuditEvent
from wangge.open311 import keys
from wangge.open311.models import IdempotentRequest, Open311Key

BASE = "/open311/v2"
UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
}  # fmt: skip
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}


def check_request(row: dict):
    """The GeoReport v2 rules for one service request."""
    assert REQUEST_FIELDS <= set(row), set(row) ^ REQUEST_FIELDS
    assert isinstance(row["service_request_id"], str) and row["service_request_id"]
    assert isinstance(row["service_code"], str)
    assert row["status"] in ("open", "closed")
    for name in ("requested_datetime", "updated_datetime"):
        assert UTC_Z.match(row[name]), row[name]
    assert row["expected_datetime"] is None or UTC_Z.match(row["expected_datetime"])
    assert row["lat"] is None or isinstance(row["lat"], float)


def check_errors(response, status: int):
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body, list) and body
    assert set(body[0]) == {"code", "description"} and body[0]["code"] == status and body[0]["description"]


@pytest.fixture
def city_key(people):
    return keys.key_create(actor=None, client="随手拍", region_code="510500000000")[1]


@pytest.fixture
def street_a_key(people):
    return keys.key_create(actor=None, client="甲街道小程序", region_code="510502001000")[1]


def post(key, **data):
    body = {"api_key": key, "service_code": "0101", "lat": A1[1], "long": A1[0], "description": "垃圾桶满溢"}
    body.update(data)
    return Client().post(f"{BASE}/requests.json", {k: v for k, v in body.items() if v is not None})


def test_discovery_json_and_xml(db):
    data = Client().get(f"{BASE}/discovery.json").json()
    assert UTC_Z.match(data["changeset"])
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and "text/xml" in endpoint["formats"]
    xml = ElementTree.fromstring(Client().get(f"{BASE}/discovery.xml").content)
    assert xml.tag == "discovery" and xml.find("endpoints/endpoint/formats/format") is not None
    check_errors(Client().get(f"{BASE}/discovery.yaml"), 404)


def test_services_from_the_catalogue(people, street_a_key):
    rows = Client().get(f"{BASE}/services.json").json()
    codes = {row["service_code"] for row in rows}
    assert {"0101", "0301", "9001"} <= codes
    for row in rows:
        assert SERVICE_FIELDS <= set(row) and isinstance(row["service_code"], str)
        assert row["type"] in ("realtime", "batch", "blackbox") and row["metadata"] is False
    xml = ElementTree.fromstring(Client().get(f"{BASE}/services.xml").content)
    assert xml.tag == "services" and xml.find("service/service_code").text
    with_key = Client().get(f"{BASE}/services.json", {"api_key": street_a_key}).json()
    assert {row["service_code"] for row in with_key} == codes  # the city's catalogue applies in street A
    check_errors(Client().get(f"{BASE}/services.json", {"api_key": "o311_wrong"}), 403)
    check_errors(Client().get(f"{BASE}/services.json", {"jurisdiction_id": "999"}), 400)


def test_service_definition(people):
    data = Client().get(f"{BASE}/services/0101.json").json()
    assert data == {"service_code": "0101", "attributes": []}
    xml = ElementTree.fromstring(Client().get(f"{BASE}/services/0101.xml").content)
    assert xml.tag == "service_definition" and xml.find("service_code").text == "0101"
    check_errors(Client().get(f"{BASE}/services/nope.json"), 404)


def test_post_request_files_an_open311_case(people, city_key):
    response = post(city_key, phone="13800138000", first_name="明", last_name="李", account_id="u-9")
    assert response.status_code == 201, response.content
    [row] = response.json()
    assert isinstance(row["service_request_id"], str) and row["token"] and row["account_id"] == "u-9"
    case = Case.objects.get(number=row["service_request_id"])
    assert case.channel == Channel.OPEN311 and case.category.code == "0101" and case.reporter_name == "李明"
    assert case.reporter_phone_masked == "138****8000"
    assert case.open311.key.client == "随手拍"
    detail = Client().get(f"{BASE}/requests/{case.number}.json", {"api_key": city_key}).json()
    check_request(detail[0])
    assert detail[0]["service_code"] == "0101" and detail[0]["status"] == "open"
    token = Client().get(f"{BASE}/tokens/{row['token']}.json", {"api_key": city_key}).json()
    assert token == [{"service_request_id": case.number, "token": row["token"]}]


def test_post_request_xml(people, city_key):
    response = Client().post(
        f"{BASE}/requests.xml",
        {"api_key": city_key, "service_code": "0101", "lat": A1[1], "long": A1[0], "description": "井盖缺失"},
    )
    assert response.status_code == 201 and response["Content-Type"].startswith("text/xml")
    xml = ElementTree.fromstring(response.content)
    assert xml.tag == "service_requests" and xml.find("request/service_request_id").text.startswith("WG-")


def test_post_refusals_write_nothing(people, city_key, street_a_key):
    check_errors(post(None), 403)
    check_errors(post("o311_wrong"), 403)
    check_errors(post(city_key, service_code=""), 400)
    check_errors(post(city_key, service_code="nope"), 400)
    check_errors(post(city_key, lat=None, long=None), 400)
    check_errors(post(city_key, lat="north"), 400)
    check_errors(post(city_key, lat="nan"), 400)
    check_errors(post(city_key, phone="123"), 400)
    check_errors(post(street_a_key, lat=B1[1], long=B1[0]), 400)  # outside the key's region
    xml = Client().post(f"{BASE}/requests.xml", {"service_code": "0101"})
    assert xml.status_code == 403
    error = ElementTree.fromstring(xml.content)
    assert error.tag == "errors" and error.find("error/code").text == "403" and error.find("error/description").text
    assert not Case.objects.exists()


def test_a_listed_service_of_a_smaller_region_is_filed_at_its_place(people, city_key):
    """A city-wide key lists the catalogue of every region under it; each of those services can be
    filed at a place where it applies, and only there."""
    from wangge.cases.models import Category

    Category.objects.create(region_key="510502001", code="0150", name="甲街道共享单车乱停", is_active=True)
    listed = Client().get(f"{BASE}/services.json", {"api_key": city_key}).json()
    assert "0150" in {row["service_code"] for row in listed}
    response = post(city_key, service_code="0150", description="")
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()[0]["service_request_id"])
    assert case.category.code == "0150" and case.text == "甲街道共享单车乱停"
    check_errors(post(city_key, service_code="0150", lat=B1[1], long=B1[0]), 400)  # not applicable in street B
    assert Case.objects.count() == 1


def test_revoked_key_is_refused(people, city_key):
    keys.key_revoke(actor=None, key=Open311Key.objects.get())
    check_errors(post(city_key), 403)


def test_idempotency_key_on_post(people, city_key):
    first = Client().post(
        f"{BASE}/requests.json",
        {"api_key": city_key, "service_code": "0101", "lat": A1[1], "long": A1[0], "description": "垃圾"},
        HTTP_IDEMPOTENCY_KEY="r-1",
    )
    again = Client().post(
        f"{BASE}/requests.json",
        {"api_key": city_key, "service_code": "0101", "lat": A1[1], "long": A1[0], "description": "垃圾"},
        HTTP_IDEMPOTENCY_KEY="r-1",
    )
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    changed = Client().post(
        f"{BASE}/requests.json",
        {"api_key": city_key, "service_code": "0101", "lat": A1[1], "long": A1[0], "description": "别的"},
        HTTP_IDEMPOTENCY_KEY="r-1",
    )
    check_errors(changed, 422)
    assert "Idempotency-Key" in changed.json()[0]["description"]
    assert Case.objects.count() == 1 and IdempotentRequest.objects.count() == 1


def test_get_requests_needs_a_key_and_keeps_to_its_region(people, drive, street_a_key, city_key):
    in_a = drive.report(where=A1)
    in_b = drive.report(where=B1, by="resident_b")
    check_errors(Client().get(f"{BASE}/requests.json"), 403)
    rows = Client().get(f"{BASE}/requests.json", {"api_key": street_a_key}).json()
    assert [row["service_request_id"] for row in rows] == [in_a.number]
    for row in rows:
        check_request(row)
    city_rows = Client().get(f"{BASE}/requests.json", {"api_key": city_key}).json()
    assert {row["service_request_id"] for row in city_rows} == {in_a.number, in_b.number}
    outside = Client().get(f"{BASE}/requests/{in_b.number}.json", {"api_key": street_a_key})
    missing = Client().get(f"{BASE}/requests/WG-2000-000001.json", {"api_key": street_a_key})
    check_errors(outside, 404)
    check_errors(missing, 404)
    assert outside.json()[0]["description"].replace(in_b.number, "X") == missing.json()[0]["description"].replace(
        "WG-2000-000001", "X"
    )
    assert "13800" not in Client().get(f"{BASE}/requests.json", {"api_key": city_key}).content.decode()


def test_get_requests_filters(people, drive, city_key):
    open_case = drive.report(where=A1)
    closed = drive.to(Status.CLOSED, where=A1)
    other = drive.report(where=A1, category="building")

    def ids(**params):
        rows = Client().get(f"{BASE}/requests.json", {"api_key": city_key, **params}).json()
        return {row["service_request_id"] for row in rows}

    assert ids(status="open") == {open_case.number, other.number}
    assert ids(status="closed") == {closed.number}
    assert ids(service_code="0301") == {other.number}
    assert ids(service_code="0101,0301") == {open_case.number, closed.number, other.number}
    assert ids(service_request_id=f"{open_case.number},{other.number}", status="closed") == {
        open_case.number,
        other.number,
    }  # ids override every other filter, as the spec says
    assert ids(start_date="2999-01-01T00:00:00Z") == set()
    assert ids(end_date="2000-01-01T00:00:00Z") == set()
    check_errors(Client().get(f"{BASE}/requests.json", {"api_key": city_key, "start_date": "yesterday"}), 400)
    check_errors(Client().get(f"{BASE}/requests.json", {"api_key": city_key, "status": "pending"}), 400)
    closed_row = Client().get(f"{BASE}/requests/{closed.number}.json", {"api_key": city_key}).json()[0]
    assert closed_row["status"] == "closed" and closed_row["agency_responsible"] == "江阳区城市管理局"
    xml = ElementTree.fromstring(Client().get(f"{BASE}/requests.xml", {"api_key": city_key}).content)
    assert xml.tag == "service_requests" and len(xml.findall("request")) == 3
    assert all(UTC_Z.match(node.text) for node in xml.iter("requested_datetime"))


def test_get_requests_query_budget(people, drive, city_key, django_assert_max_num_queries):
    for _ in range(5):
        drive.report(where=A1)
    with django_assert_max_num_queries(4):
        rows = Client().get(f"{BASE}/requests.json", {"api_key": city_key}).json()
    assert len(rows) == 5


def test_service_request_updates(people, drive, city_key, street_a_key):
    case = drive.to(Status.DISPATCHED, where=A1)
    in_b = drive.report(where=B1, by="resident_b")
    rows = Client().get(f"{BASE}/servicerequestupdates.json", {"api_key": city_key}).json()
    mine = [row for row in rows if row["service_request_id"] == case.number]
    assert [row["status"] for row in mine] == ["open", "open", "open"]
    for row in rows:
        assert isinstance(row["update_id"], str) and UTC_Z.match(row["updated_datetime"])
    scoped = Client().get(f"{BASE}/servicerequestupdates.json", {"api_key": street_a_key}).json()
    assert in_b.number not in {row["service_request_id"] for row in scoped}
    posted = Client().post(
        f"{BASE}/servicerequestupdates.json",
        {"api_key": street_a_key, "service_request_id": case.number, "description": "垃圾又出现了", "first_name": "明"},
    )
    assert posted.status_code == 200, posted.content
    event = CaseEvent.objects.get(pk=int(posted.json()[0]["update_id"]))
    assert event.case == case and "垃圾又出现了" in event.text
    outside = Client().post(
        f"{BASE}/servicerequestupdates.json",
        {"api_key": street_a_key, "service_request_id": in_b.number, "description": "x"},
    )
    check_errors(outside, 404)
    check_errors(Client().get(f"{BASE}/servicerequestupdates.json"), 403)
    check_errors(
        Client().post(f"{BASE}/servicerequestupdates.json", {"api_key": city_key, "service_request_id": case.number}),
        400,
    )
    xml = ElementTree.fromstring(Client().get(f"{BASE}/servicerequestupdates.xml", {"api_key": city_key}).content)
    assert xml.tag == "service_request_updates" and xml.find("request_update/update_id") is not None


def test_tokens_of_another_key_are_not_found(people, city_key, street_a_key):
    token = post(city_key).json()[0]["token"]
    check_errors(Client().get(f"{BASE}/tokens/{token}.json", {"api_key": street_a_key}), 404)
    check_errors(Client().get(f"{BASE}/tokens/{token}.json"), 403)


def test_create_key_command(people):
    out = StringIO()
    call_command("create_open311_key", "随手拍", "510502001000", stdout=out)
    raw = [line for line in out.getvalue().splitlines() if line.startswith("o311_")][0]
    key = keys.key_check(raw)
    assert key.region_key == "510502001" and key.digest != raw
    assert AuditEvent.objects.filter(verb="open311.key_create").exists()
    with pytest.raises(CommandError, match="区域代码"):
        call_command("create_open311_key", "x", "999", stdout=StringIO())
    with pytest.raises(CommandError, match="客户端名称"):
        call_command("create_open311_key", " ", "510502001000", stdout=StringIO())


def test_only_administrators_in_scope_issue_keys(people):
    from wangge.core.errors import DomainError, Forbidden

    with pytest.raises(Forbidden):
        keys.key_create(actor=people["dispatcher_a"], client="x", region_code="510502001000")
    with pytest.raises(DomainError):
        keys.key_create(actor=people["admin_a"], client="x", region_code="510502002000")
    key, raw = keys.key_create(actor=people["admin_a"], client="x", region_code="510502001000")
    assert key.created_by == people["admin_a"] and raw.startswith("o311_")


def test_a_key_records_when_it_was_last_used_at_most_once_a_minute(people, city_key):
    key = Open311Key.objects.get()
    assert key.last_used_at is None
    assert post(city_key).status_code == 201
    first = Open311Key.objects.get().last_used_at
    assert first is not None
    assert post(city_key).status_code == 201
    assert Open311Key.objects.get().last_used_at == first  # within the minute: not written again
    Open311Key.objects.update(last_used_at=first - keys.USE_STAMP_INTERVAL)
    assert post(city_key).status_code == 201
    assert Open311Key.objects.get().last_used_at > first


def test_purge_idempotency_removes_only_answers_older_than_the_window(people, city_key):
    import datetime

    from django.utils import timezone

    for number in (1, 2):
        response = Client().post(
            f"{BASE}/requests.json",
            {"api_key": city_key, "service_code": "0101", "lat": A1[1], "long": A1[0], "description": "垃圾"},
            HTTP_IDEMPOTENCY_KEY=f"p-{number}",
        )
        assert response.status_code == 201
    old = IdempotentRequest.objects.get(key="p-1")
    IdempotentRequest.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=8))
    out = StringIO()
    call_command("purge_idempotency", stdout=out)
    assert "已删除 1 条" in out.getvalue()
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["p-2"]
    assert Case.objects.count() == 2  # the cases themselves stay
    with pytest.raises(CommandError, match="older-than-days"):
        call_command("purge_idempotency", "--older-than-days", "0")


def test_a_door_knock_case_is_listed_without_the_household_address(people, city_key):
    from wangge.cases import services as case_services

    visit = case_services.case_report(
        actor=None,
        text="楼道堆放杂物",
        channel=Channel.VISIT,
        lng=A1[0],
        lat=A1[1],
        address="甲花园1栋1单元101",
    )
    street = post(city_key, address_string="甲路口").json()[0]["service_request_id"]
    rows = {
        row["service_request_id"]: row
        for row in Client()
        .get(f"{BASE}/requests.json", {"api_key": city_key, "service_request_id": f"{visit.number},{street}"})
        .json()
    }
    assert rows[visit.number]["address"] == "" and rows[visit.number]["lat"] == A1[1]
    assert rows[visit.number]["description"] == "楼道堆放杂物"
    assert rows[street]["address"] == "甲路口"
