"""Every units page: anonymous → login, out of scope → the 404 page, in scope → content; forms
that refuse keep the input and name the field; lists within a query budget."""

import pytest
from django.test import Client

from wangge.core.models import AuditEvent
from wangge.units import services
from wangge.units.bookings import booking_create
from wangge.units.models import Booking, Resource, Unit

from .conftest import A_GRID, at, credit

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(all_users, resources):
    return {
        "a": booking_create(
            actor=all_users["resident_a"], resource=resources["a"], starts_at=at(), ends_at=at(hour=10)
        ),
        "b": booking_create(
            actor=all_users["resident_b"], resource=resources["b"], starts_at=at(), ends_at=at(hour=10)
        ),
    }


def pages(units, resources):
    """(in street A, in street B) for every page about one object."""
    return [
        (f"/units/{units['a'].pk}/", f"/units/{units['b'].pk}/"),
        (f"/units/{units['a'].pk}/edit/", f"/units/{units['b'].pk}/edit/"),
        (f"/units/resources/{resources['a'].pk}/", f"/units/resources/{resources['b'].pk}/"),
        (f"/units/resources/{resources['a'].pk}/edit/", f"/units/resources/{resources['b'].pk}/edit/"),
    ]


def posts(units, resources, booked):
    return [
        (f"/units/{units['b'].pk}/delete/", {}),
        (f"/units/{units['b'].pk}/barring/", {"barred": "1", "reason": "x"}),
        (f"/units/{units['b'].pk}/reveal-phone/", {"reason": "x"}),
        (f"/units/resources/{resources['b'].pk}/delete/", {}),
        (
            f"/units/resources/{resources['b'].pk}/book/",
            {"day": at().date().isoformat(), "start": "09:00", "end": "10:00"},
        ),
        (f"/units/bookings/{booked['b'].pk}/cancel/", {}),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(units, resources, booked):
    client = Client()
    urls = [a for a, _ in pages(units, resources)] + [
        "/units/",
        "/units/new/",
        "/units/resources/",
        "/units/resources/new/",
        "/units/bookings/",
        "/units/compound-options/?grid_code=" + A_GRID,
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    for url, data in posts(units, resources, booked):
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_pages_outside_the_scope_are_404_like_missing_ones(login, units, resources, booked):
    client = login("community_a")
    for in_scope, out_of_scope in pages(units, resources):
        assert client.get(in_scope).status_code == 200, in_scope
        response = client.get(out_of_scope)
        assert response.status_code == 404, out_of_scope
        assert "不在您的管辖范围内" in response.content.decode()
    assert client.get("/units/999999/").status_code == 404
    for url, data in posts(units, resources, booked):
        assert client.post(url, data).status_code == 404, url
    assert Unit.objects.filter(pk=units["b"].pk, booking_barred=False).exists()
    assert Booking.objects.get(pk=booked["b"].pk).status == "active"


def test_the_unit_list_shows_the_scope_with_masked_phones(login, units):
    html = login("community_a").get("/units/").content.decode()
    assert "甲街道第一小学" in html and "甲街道卫生院" in html and "乙街道科技公司" not in html
    assert "138****1234" in html and "13800001234" not in html
    assert "学校 1" in html
    filtered = login("admin").get("/units/?kind=enterprise").content.decode()
    assert "乙街道科技公司" in filtered and "甲街道第一小学" not in filtered


def test_role_limits_on_pages(login, units, resources):
    assert login("resident_a").get("/units/").status_code == 403
    assert login("dispatcher_a").get("/units/").status_code == 200
    assert login("dispatcher_a").get("/units/new/").status_code == 403
    assert login("dispatcher_a").get(f"/units/{units['a'].pk}/edit/").status_code == 403
    assert login("resident_a").get("/units/resources/new/").status_code == 403
    detail = login("dispatcher_a").get(f"/units/{units['a'].pk}/").content.decode()
    assert "修改" not in detail and "查看完整号码" not in detail


def test_registering_a_unit_on_the_page(login, tree):
    client = login("community_a")
    form = {
        "name": "甲社区超市",
        "credit_code": credit(77),
        "kind": "enterprise",
        "grid_code": A_GRID,
        "compound_name": tree["compounds"][A_GRID].name,
        "contact_phone": "13600002222",
    }
    response = client.post("/units/new/", form, follow=True)
    html = response.content.decode()
    assert "已登记单位 甲社区超市" in html and "136****2222" in html
    assert Unit.objects.get(name="甲社区超市").compound == tree["compounds"][A_GRID]


def test_a_bad_unit_form_keeps_the_input_and_names_the_field(login):
    client = login("community_a")
    form = {"name": "错码单位", "credit_code": "91510502MA62XXXX0I", "kind": "enterprise", "grid_code": A_GRID}
    response = client.post("/units/new/", form)
    html = response.content.decode()
    assert response.status_code == 200 and "统一社会信用代码含有不允许的字符：I" in html
    assert 'value="错码单位"' in html and not Unit.objects.filter(name="错码单位").exists()


def test_editing_keeps_the_phone_unless_replaced_or_cleared(login, units):
    client = login("community_a")
    url = f"/units/{units['a'].pk}/edit/"
    form_html = client.get(url).content.decode()
    assert "13800001234" not in form_html and "138****1234" in form_html
    data = {"name": "甲街道第一小学", "credit_code": units["a"].credit_code, "kind": "school", "grid_code": A_GRID}
    client.post(url, {**data, "address": "甲路2号", "has_party_organisation": "on", "party_organisation_name": "支部"})
    unit = Unit.objects.get(pk=units["a"].pk)
    assert unit.address == "甲路2号" and unit.contact_phone_masked == "138****1234"
    client.post(url, {**data, "clear_phone": "on"})
    assert Unit.objects.get(pk=units["a"].pk).contact_phone_masked == ""


def test_revealing_the_phone_on_the_page_is_recorded(login, units):
    client = login("community_a")
    assert "查看完整号码" in client.get(f"/units/{units['a'].pk}/").content.decode()
    fragment = client.post(f"/units/{units['a'].pk}/reveal-phone/", {"reason": "通知开会"}).content.decode()
    assert "13800001234" in fragment
    assert AuditEvent.objects.get(verb="unit.reveal_phone").note == "通知开会"
    refused = client.post(f"/units/{units['a'].pk}/reveal-phone/", {"reason": ""}).content.decode()
    assert "请填写查看原因" in refused and "13800001234" not in refused
    assert login("dispatcher_a").post(f"/units/{units['a'].pk}/reveal-phone/", {"reason": "x"}).status_code == 403


def test_barring_and_lifting_on_the_page(login, units):
    client = login("community_a")
    url = f"/units/{units['a2'].pk}/barring/"
    html = client.post(url, {"barred": "1", "reason": ""}, follow=True).content.decode()
    assert "请填写暂停原因" in html
    html = client.post(url, {"barred": "1", "reason": "共建积分 45 分"}, follow=True).content.decode()
    assert "已暂停该单位预约共享资源" in html and "共建积分 45 分" in html
    html = client.post(url, {"barred": "0", "reason": ""}, follow=True).content.decode()
    assert "已恢复该单位预约共享资源" in html
    assert login("dispatcher_a").post(url, {"barred": "1", "reason": "x"}).status_code == 403


def test_deleting_on_the_page(login, units, resources):
    client = login("community_a")
    html = client.post(f"/units/{units['a'].pk}/delete/", follow=True).content.decode()
    assert "共享资源" in html and Unit.objects.filter(pk=units["a"].pk).exists()
    html = client.post(f"/units/resources/{resources['a'].pk}/delete/", follow=True).content.decode()
    assert "已删除共享资源 第一小学操场" in html and not Resource.objects.filter(pk=resources["a"].pk).exists()
    html = client.post(f"/units/{units['a'].pk}/delete/", follow=True).content.decode()
    assert "已删除单位 甲街道第一小学" in html


def test_compound_options_for_the_typed_grid(login, tree):
    html = login("community_a").get(f"/units/compound-options/?grid_code={A_GRID}").content.decode()
    assert tree["compounds"][A_GRID].name in html
    other = login("community_a").get("/units/compound-options/?grid_code=510502002001001").content.decode()
    assert "花园" not in other


def test_registering_a_resource_on_the_page(login, units, tree):
    client = login("community_a")
    form = {
        "name": "小区停车位",
        "kind": "parking",
        "owner_type": "compound",
        "owner_unit_code": units["a"].credit_code,  # ignored: the owner is the compound
        "owner_grid_code": A_GRID,
        "owner_compound_name": tree["compounds"][A_GRID].name,
        "opening_hours": "每天 00:00-24:00",
        "price_rule": "unit_low_cost",
        "low_price": "2",
        "standard_price": "6",
        "is_active": "on",
    }
    html = client.post("/units/resources/new/", form, follow=True).content.decode()
    resource = Resource.objects.get(name="小区停车位")
    assert "已登记共享资源 小区停车位" in html and resource.owner == tree["compounds"][A_GRID]
    bad = client.post("/units/resources/new/", {**form, "name": "坏时间", "opening_hours": "周一 早上"})
    assert "无法识别" in bad.content.decode() or "缺少时间段" in bad.content.decode()
    assert not Resource.objects.filter(name="坏时间").exists()
    edit = client.get(f"/units/resources/{resource.pk}/edit/").content.decode()
    assert "周一至周日 00:00-24:00" in edit


def test_the_calendar_page_and_booking_as_a_resident(login, all_users, resources, booked):
    client = login("resident_a2")
    url = f"/units/resources/{resources['a'].pk}/"
    week = at().date().isoformat()
    html = client.get(f"{url}?start={week}").content.decode()
    assert "第一小学操场" in html and "已预约" in html and ">resident_a<" not in html
    assert "09:00–10:00" in html and "提交预约" in html and "预约单位" not in html
    taken = client.post(url + "book/", {"day": week, "start": "09:30", "end": "10:30"})
    assert taken.status_code == 200 and "该时段已被预约" in taken.content.decode()
    made = client.post(url + "book/", {"day": week, "start": "10:00", "end": "11:30", "purpose": "跳绳"}, follow=True)
    assert "已预约 第一小学操场" in made.content.decode()
    booking = Booking.objects.get(resident=all_users["resident_a2"])
    assert booking.purpose == "跳绳"
    mine = client.get("/units/bookings/").content.decode()
    assert "第一小学操场" in mine and "取消预约" in mine and "科技公司会议室" not in mine
    cancelled = client.post(f"/units/bookings/{booking.pk}/cancel/", {"reason": "下雨"}, follow=True)
    assert "已取消预约" in cancelled.content.decode()
    assert Booking.objects.get(pk=booking.pk).status == "cancelled"
    assert client.get(f"/units/resources/{resources['b'].pk}/").status_code == 404


def test_staff_book_for_a_unit_on_the_page(login, units, resources):
    client = login("community_a")
    url = f"/units/resources/{resources['a_compound'].pk}/"
    html = client.get(url).content.decode()
    assert "代单位预约" in html and "甲街道卫生院" in html
    day = at(days=2).date().isoformat()
    services.unit_set_booking_barred(actor=None, unit=units["a2"], barred=True, reason="积分 50 分")
    barred = client.post(url + "book/", {"day": day, "start": "14:00", "end": "15:00", "unit_id": units["a2"].pk})
    assert "已被暂停预约共享资源（积分 50 分）" in barred.content.decode()
    made = client.post(
        url + "book/", {"day": day, "start": "14:00", "end": "15:00", "unit_id": units["a"].pk}, follow=True
    )
    assert "已预约 花园活动室" in made.content.decode()
    assert Booking.objects.get(unit=units["a"]).price == 40  # 居民低偿: units pay the standard 40 an hour
    # A unit of another street is not on offer: the form refuses it and nothing is booked.
    out = client.post(url + "book/", {"day": day, "start": "16:00", "end": "17:00", "unit_id": units["b"].pk})
    assert out.status_code == 200 and not Booking.objects.filter(unit=units["b"]).exists()


def test_list_pages_stay_within_a_query_budget(login, twelve_booked, django_assert_max_num_queries):
    resource = twelve_booked
    client = login("community_a")
    for url in ("/units/", "/units/resources/", "/units/bookings/", f"/units/resources/{resource.pk}/"):
        client.get(url)
        with django_assert_max_num_queries(9):
            assert client.get(url).status_code == 200, url
    resident = login("resident_a")
    for url in ("/units/resources/", "/units/bookings/", f"/units/resources/{resource.pk}/"):
        with django_assert_max_num_queries(8):
            assert resident.get(url).status_code == 200, url
