"""Every units endpoint: anonymous → 401, out of scope → the same 404 as a missing object, in
scope → the data; lists within a query budget; masking and every refusal as JSON."""

import pytest
from django.test import Client

from wangge.core.models import AuditEvent
from wangge.units import services
from wangge.units.bookings import booking_create
from wangge.units.models import Booking, Resource, Unit

from .conftest import A_GRID, B_GRID, at, credit

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(all_users, resources, units):
    return {
        "a": booking_create(
            actor=all_users["resident_a"], resource=resources["a"], starts_at=at(), ends_at=at(hour=10)
        ),
        "b": booking_create(
            actor=all_users["resident_b"], resource=resources["b"], starts_at=at(), ends_at=at(hour=10)
        ),
    }


def object_urls(units, resources, booked):
    """(in street A, in street B, missing) for every endpoint about one object."""
    rows = []
    for template, a, b in (
        ("/api/v1/units/{}", units["a"].pk, units["b"].pk),
        ("/api/v1/resources/{}", resources["a"].pk, resources["b"].pk),
        ("/api/v1/resources/{}/calendar", resources["a"].pk, resources["b"].pk),
        ("/api/v1/bookings/{}", booked["a"].pk, booked["b"].pk),
        ("/api/v1/resources?unit_id={}", units["a"].pk, units["b"].pk),
        ("/api/v1/bookings?resource_id={}", resources["a"].pk, resources["b"].pk),
    ):
        rows.append((template.format(a), template.format(b), template.format(999999)))
    return rows


def writes(units, resources, booked):
    """(method, url template, body) for every write about one object; {} is the object's id."""
    return [
        ("patch", "/api/v1/units/{}", {"name": "改名"}, units),
        ("delete", "/api/v1/units/{}", None, units),
        ("post", "/api/v1/units/{}/booking-bar", {"barred": True, "reason": "积分低"}, units),
        ("post", "/api/v1/units/{}/reveal-phone", {"reason": "核实"}, units),
        ("patch", "/api/v1/resources/{}", {"name": "改名"}, resources),
        ("delete", "/api/v1/resources/{}", None, resources),
        ("post", "/api/v1/bookings/{}/cancel", {"reason": ""}, booked),
    ]


def send(client, method, url, body=None):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, content_type="application/json")


def test_anonymous_callers_get_401_everywhere(units, resources, booked):
    client = Client()
    for in_a, _, _ in object_urls(units, resources, booked):
        response = client.get(in_a)
        assert response.status_code == 401 and response.json()["code"] == "unauthenticated", in_a
    for url in ("/api/v1/units", "/api/v1/resources", "/api/v1/bookings"):
        assert client.get(url).status_code == 401
        assert send(client, "post", url, {}).status_code == 401
    for method, template, body, objects in writes(units, resources, booked):
        assert send(client, method, template.format(objects["a"].pk), body).status_code == 401


def test_out_of_scope_looks_exactly_like_missing(login, units, resources, booked):
    client = login("community_a")
    for in_a, in_b, missing in object_urls(units, resources, booked):
        assert client.get(in_a).status_code == 200, in_a
        out, absent = client.get(in_b), client.get(missing)
        assert out.status_code == absent.status_code == 404, in_b
        assert out.json() == absent.json()
    for method, template, body, objects in writes(units, resources, booked):
        out = send(client, method, template.format(objects["b"].pk), body)
        absent = send(client, method, template.format(999999), body)
        assert out.status_code == absent.status_code == 404, template
        assert out.json() == absent.json()
    assert Unit.objects.get(pk=units["b"].pk).name == "乙街道科技公司"
    assert Booking.objects.get(pk=booked["b"].pk).status == "active"


def test_lists_hold_only_the_callers_scope(login, units, resources, booked):
    client = login("community_a")
    assert {u["name"] for u in client.get("/api/v1/units").json()["items"]} == {"甲街道第一小学", "甲街道卫生院"}
    assert {r["id"] for r in client.get("/api/v1/resources").json()["items"]} == {
        resources["a"].pk,
        resources["a_compound"].pk,
    }
    assert [b["id"] for b in client.get("/api/v1/bookings").json()["items"]] == [booked["a"].pk]
    everything = login("admin").get("/api/v1/units").json()
    assert everything["count"] == 3
    grid_worker = login("gridworker_a").get("/api/v1/units").json()
    assert [u["grid_code"] for u in grid_worker["items"]] == [A_GRID]


def test_unit_filters(login, units):
    client = login("admin")
    assert [u["name"] for u in client.get("/api/v1/units?kind=school").json()["items"]] == ["甲街道第一小学"]
    assert client.get("/api/v1/units?party=true").json()["count"] == 1
    assert (
        client.get(f"/api/v1/units?q={units['b'].credit_code.lower()}").json()["items"][0]["name"] == "乙街道科技公司"
    )
    assert client.get("/api/v1/units?region=510502002000").json()["count"] == 1
    assert client.get("/api/v1/units?barred=true").json()["count"] == 0
    assert login("community_a").get("/api/v1/units?region=510502002000").status_code == 404


def test_contact_phones_are_masked_and_revealed_only_with_a_reason(login, units):
    client = login("community_a")
    body = client.get(f"/api/v1/units/{units['a'].pk}").json()
    assert body["contact_phone_masked"] == "138****1234"
    assert "13800001234" not in str(client.get("/api/v1/units").json())
    assert "contact_phone_cipher" not in body and "contact_phone" not in body
    url = f"/api/v1/units/{units['a'].pk}/reveal-phone"
    no_reason = send(client, "post", url, {"reason": ""})
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    assert send(client, "post", url, {"reason": "通知开会"}).json() == {"contact_phone": "13800001234"}
    assert AuditEvent.objects.filter(verb="unit.reveal_phone", note="通知开会").count() == 1
    dispatcher = send(login("dispatcher_a"), "post", url, {"reason": "核实"})
    assert dispatcher.status_code == 403 and dispatcher.json()["code"] == "forbidden"


def test_registering_a_unit_through_the_api(login, tree):
    client = login("community_a")
    payload = {
        "name": "甲社区养老服务中心",
        "credit_code": credit(40),
        "kind": "social_organisation",
        "grid_code": A_GRID,
        "compound_name": tree["compounds"][A_GRID].name,
        "contact_phone": "13700001111",
    }
    response = send(client, "post", "/api/v1/units", payload)
    assert response.status_code == 201
    body = response.json()
    assert body["compound_name"] == tree["compounds"][A_GRID].name and body["contact_phone_masked"] == "137****1111"
    assert body["kind_label"] == "社会组织"
    bad = send(client, "post", "/api/v1/units", {**payload, "credit_code": credit(41)[:17] + "Z"})
    assert bad.status_code == 400
    assert bad.json() == {
        "code": "invalid",
        "message": "统一社会信用代码含有不允许的字符：Z",
        "field": "credit_code",
    }
    duplicate = send(client, "post", "/api/v1/units", payload)
    assert duplicate.status_code == 400 and duplicate.json()["code"] == "duplicate"
    outside = send(client, "post", "/api/v1/units", {**payload, "credit_code": credit(42), "grid_code": B_GRID})
    assert outside.status_code == 404 and outside.json()["field"] == "grid_code"
    malformed = send(client, "post", "/api/v1/units", {"name": "x"})
    assert malformed.status_code == 422 and malformed.json()["field"] in {"credit_code", "kind", "grid_code"}
    assert (
        send(login("dispatcher_a"), "post", "/api/v1/units", {**payload, "credit_code": credit(43)}).status_code == 403
    )
    assert Unit.objects.filter(name="甲社区养老服务中心").count() == 1


def test_updating_barring_and_deleting_a_unit(login, units, resources):
    client = login("community_a")
    url = f"/api/v1/units/{units['a2'].pk}"
    assert send(client, "patch", url, {"address": "甲路9号"}).json()["address"] == "甲路9号"
    barred = send(client, "post", url + "/booking-bar", {"barred": True, "reason": "共建积分 40 分"}).json()
    assert barred["booking_barred"] and barred["booking_barred_reason"] == "共建积分 40 分"
    no_reason = send(client, "post", url + "/booking-bar", {"barred": True, "reason": ""})
    assert no_reason.status_code == 400 and no_reason.json()["message"] == "请填写暂停原因"
    assert send(client, "delete", url).status_code == 204
    assert client.get(url).status_code == 404
    in_use = send(client, "delete", f"/api/v1/units/{units['a'].pk}")
    assert in_use.status_code == 409 and "共享资源" in in_use.json()["message"]


def test_residents_see_their_communitys_open_resources_and_their_own_bookings(login, all_users, resources, booked):
    resident = login("resident_a2")  # same community as resident_a, another grid
    assert resident.get("/api/v1/units").status_code == 403
    assert {r["name"] for r in resident.get("/api/v1/resources").json()["items"]} == {"第一小学操场", "花园活动室"}
    assert resident.get(f"/api/v1/resources/{resources['b'].pk}").status_code == 404
    assert resident.get("/api/v1/bookings").json()["count"] == 0
    assert resident.get(f"/api/v1/bookings/{booked['a'].pk}").status_code == 404
    services.resource_update(actor=None, resource=resources["a_compound"], is_active=False)
    assert resident.get(f"/api/v1/resources/{resources['a_compound'].pk}").status_code == 404
    assert login("community_a").get(f"/api/v1/resources/{resources['a_compound'].pk}").status_code == 200


def test_the_calendar_shows_taken_slots_but_not_who_to_residents(login, all_users, resources, booked):
    week = at().date().isoformat()
    other = login("resident_a2").get(f"/api/v1/resources/{resources['a'].pk}/calendar?start={week}").json()
    entries = [e for day in other["days"] for e in day["bookings"]]
    assert entries == [
        {"booking_id": None, "start": "09:00", "end": "10:00", "label": "已预约", "mine": False, "can_cancel": False}
    ]
    assert other["start"] == other["days"][0]["date"] == week and len(other["days"]) == 7
    assert other["days"][0]["weekday"] == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][at().weekday()]
    assert all(day["opening"] == [["08:00", "22:00"]] for day in other["days"])
    own = login("resident_a").get(f"/api/v1/resources/{resources['a'].pk}/calendar?start={week}").json()
    mine = [e for day in own["days"] for e in day["bookings"]][0]
    assert mine["label"] == "我的预约" and mine["booking_id"] == booked["a"].pk and mine["can_cancel"]
    staff = login("community_a").get(f"/api/v1/resources/{resources['a'].pk}/calendar?start={week}").json()
    assert [e for day in staff["days"] for e in day["bookings"]][0]["label"] == "resident_a"
    leader = login("leader_a").get(f"/api/v1/resources/{resources['a'].pk}/calendar?start={week}").json()
    assert [e for day in leader["days"] for e in day["bookings"]][0]["label"] == "居民"


def test_booking_and_cancelling_through_the_api(login, all_users, resources, units):
    resident = login("resident_a")
    payload = {
        "resource_id": resources["a_compound"].pk,
        "starts_at": at(hour=9).isoformat(),
        "ends_at": at(hour=11).isoformat(),
    }
    made = send(resident, "post", "/api/v1/bookings", payload)
    assert made.status_code == 201
    body = made.json()
    assert body["booker_type"] == "resident" and body["booker_name"] == "我的预约" and body["price"] == "20.00"
    clash = send(login("resident_a2"), "post", "/api/v1/bookings", {**payload, "starts_at": at(hour=10).isoformat()})
    assert (
        clash.status_code == 409 and clash.json()["code"] == "slot_taken" and "09:00–11:00" in clash.json()["message"]
    )
    naive = send(
        login("resident_a2"),
        "post",
        "/api/v1/bookings",
        {**payload, "starts_at": "2020-01-01T09:00", "ends_at": "2020-01-01T10:00"},
    )
    assert naive.status_code == 400 and naive.json()["message"] == "不能预约已经过去的时间"
    staff = login("community_a")
    for_unit = send(
        staff,
        "post",
        "/api/v1/bookings",
        {**payload, "unit_id": units["a"].pk, "starts_at": at(hour=12).isoformat(), "ends_at": at(hour=13).isoformat()},
    )
    assert for_unit.status_code == 201 and for_unit.json()["booker_name"] == "甲街道第一小学"
    assert for_unit.json()["price"] == "40.00"
    services.unit_set_booking_barred(actor=None, unit=units["a"], barred=True, reason="共建积分 52 分")
    barred = send(
        staff,
        "post",
        "/api/v1/bookings",
        {**payload, "unit_id": units["a"].pk, "starts_at": at(hour=14).isoformat(), "ends_at": at(hour=15).isoformat()},
    )
    assert (
        barred.status_code == 403
        and barred.json()["code"] == "unit_barred"
        and "共建积分 52 分" in barred.json()["message"]
    )
    for_self = send(
        staff,
        "post",
        "/api/v1/bookings",
        {**payload, "starts_at": at(hour=14).isoformat(), "ends_at": at(hour=15).isoformat()},
    )
    assert for_self.status_code == 403
    unit_for_resident = send(resident, "post", "/api/v1/bookings", {**payload, "unit_id": units["a"].pk})
    assert unit_for_resident.status_code == 403
    cancelled = send(resident, "post", f"/api/v1/bookings/{body['id']}/cancel", {"reason": "改期"})
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancel_reason"] == "改期"
    again = send(resident, "post", f"/api/v1/bookings/{body['id']}/cancel", {"reason": ""})
    assert again.status_code == 400 and again.json()["code"] == "already_cancelled"
    bad_type = send(resident, "post", "/api/v1/bookings", {**payload, "starts_at": "明天上午"})
    assert bad_type.status_code == 422 and bad_type.json()["field"] == "starts_at"


def test_resources_through_the_api(login, units, tree):
    client = login("community_a")
    payload = {
        "name": "卫生院停车场",
        "kind": "parking",
        "owner_unit_code": units["a2"].credit_code,
        "capacity": 40,
        "opening_hours": "周一至周五 18:00-24:00；周六、周日 08:00-24:00",
        "price_rule": "resident_low_cost",
        "standard_price": "5",
        "low_price": "2.5",
    }
    made = send(client, "post", "/api/v1/resources", payload)
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["owner_type"] == "unit" and body["owner_name"] == "甲街道卫生院" and body["low_price"] == "2.50"
    assert body["opening_hours"]["mon"] == [["18:00", "24:00"]]
    assert body["opening_hours_text"] == "周一至周五 18:00-24:00；周六、周日 08:00-24:00"
    patched = send(client, "patch", f"/api/v1/resources/{body['id']}", {"opening_hours": {"sat": [["08:00", "12:00"]]}})
    assert patched.json()["opening_hours"] == {"sat": [["08:00", "12:00"]]} and patched.json()["capacity"] == 40
    cleared = send(client, "patch", f"/api/v1/resources/{body['id']}", {"capacity": None})
    assert cleared.json()["capacity"] is None
    bad = send(client, "post", "/api/v1/resources", {**payload, "opening_hours": "周一 8点到9点"})
    assert bad.status_code == 400 and bad.json()["field"] == "opening_hours"
    two = send(client, "post", "/api/v1/resources", {**payload, "owner_grid_code": A_GRID, "owner_compound_name": "x"})
    assert two.status_code == 400 and two.json()["field"] == "owner_unit_code"
    assert send(client, "delete", f"/api/v1/resources/{body['id']}").status_code == 204
    assert not Resource.objects.filter(pk=body["id"]).exists()


def test_list_endpoints_stay_within_a_query_budget(login, twelve_booked, django_assert_max_num_queries):
    resource = twelve_booked
    client = login("community_a")
    for url, count in (("/api/v1/units", 12), ("/api/v1/resources", 12), ("/api/v1/bookings", 24)):
        client.get(url)  # warm the session
        with django_assert_max_num_queries(6):
            body = client.get(url).json()
        assert body["count"] == count, url
    resident = login("resident_a")
    with django_assert_max_num_queries(6):
        assert resident.get("/api/v1/bookings").json()["count"] == 12
    with django_assert_max_num_queries(6):
        calendar = resident.get(f"/api/v1/resources/{resource.pk}/calendar?start={at().date().isoformat()}")
    assert calendar.status_code == 200 and len(calendar.json()["days"]) == 7


def test_extreme_input_is_refused_never_a_500(login, resources, units):
    resident, staff = login("resident_a"), login("community_a")
    resource = resources["a"].pk
    for starts, ends in (
        ("0001-01-01T00:00:00", "0001-01-01T01:00:00"),
        ("0001-01-01T00:00:00+14:00", "0001-01-01T01:00:00"),
        ("9999-12-31T23:00:00", "9999-12-31T23:30:00"),
    ):
        response = send(
            resident, "post", "/api/v1/bookings", {"resource_id": resource, "starts_at": starts, "ends_at": ends}
        )
        assert response.status_code == 400 and response.json()["field"] == "starts_at", starts
    huge = send(
        resident,
        "post",
        "/api/v1/bookings",
        {"resource_id": 10**20, "starts_at": at().isoformat(), "ends_at": at(hour=10).isoformat()},
    )
    assert huge.status_code == 404
    services.resource_update(actor=None, resource=resources["a"], capacity=None)
    crowd = send(
        resident,
        "post",
        "/api/v1/bookings",
        {
            "resource_id": resource,
            "starts_at": at().isoformat(),
            "ends_at": at(hour=10).isoformat(),
            "attendees": 10**15,
        },
    )
    assert crowd.status_code == 400 and crowd.json()["field"] == "attendees"
    for day in ("0001-01-01", "9999-12-31"):
        assert staff.get(f"/api/v1/resources/{resource}/calendar?start={day}").json()["field"] == "start"
        assert staff.get(f"/units/resources/{resource}/?start={day}").status_code == 200
        page = staff.post(
            f"/units/resources/{resource}/book/",
            {"day": day, "start": "23:00", "end": "24:00", "unit_id": units["a"].pk},
        )
        assert page.status_code == 200 and "日期超出范围" in page.content.decode()
    assert staff.get("/api/v1/units/99999999999999999999999").status_code == 404
    nan = send(
        staff,
        "post",
        "/api/v1/resources",
        {
            "name": "x",
            "kind": "venue",
            "owner_unit_code": units["a"].credit_code,
            "price_rule": "unit_low_cost",
            "low_price": "1",
            "standard_price": "NaN",
        },
    )
    assert nan.status_code == 422 and nan.json()["field"] == "standard_price"
    infinite = send(
        staff,
        "post",
        "/api/v1/resources",
        {"name": "x", "kind": "venue", "owner_unit_code": units["a"].credit_code, "lng": 1e308 * 10, "lat": 1},
    )
    assert infinite.status_code in (400, 422)
