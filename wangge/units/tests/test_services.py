"""Units and resources: every rule and refusal of the write services, and that a refusal writes
nothing."""

import pytest
from django.db import IntegrityError, transaction

from wangge.core import pii
from wangge.core.errors import Conflict, DomainError, Forbidden, NotFound
from wangge.core.models import AuditEvent
from wangge.units import services
from wangge.units.bookings import booking_create
from wangge.units.models import Resource, Unit

from .conftest import A_GRID, A_GRID2, B_GRID, EVERY_DAY, at, credit

pytestmark = pytest.mark.django_db


def create(actor, **overrides):
    fields = {"name": "测试单位", "credit_code": credit(50), "kind": "enterprise", "grid_code": A_GRID}
    return services.unit_create(actor=actor, **{**fields, **overrides})


def refused(exc_type, call, **kwargs) -> DomainError:
    """Run a service that must refuse; check that it wrote nothing."""
    units, resources, events = Unit.objects.count(), Resource.objects.count(), AuditEvent.objects.count()
    with pytest.raises(exc_type) as caught:
        call(**kwargs)
    assert (Unit.objects.count(), Resource.objects.count(), AuditEvent.objects.count()) == (units, resources, events)
    return caught.value


# ---- units ----------------------------------------------------------------------------------


def test_registering_a_unit_keeps_the_phone_encrypted_and_masked(all_users, tree):
    unit = create(
        all_users["community_a"],
        credit_code=" " + credit(50).lower() + " ",
        compound_name=tree["compounds"][A_GRID].name,
        contact_phone="13912345678",
    )
    assert unit.credit_code == credit(50)
    assert unit.region_key == A_GRID and unit.grid.code == A_GRID and unit.compound == tree["compounds"][A_GRID]
    assert unit.contact_phone_masked == "139****5678"
    assert "13912345678" not in unit.contact_phone_cipher and pii.decrypt(unit.contact_phone_cipher) == "13912345678"
    assert unit.contact_phone_index == pii.blind_index("13912345678")
    event = AuditEvent.objects.get(verb="unit.create")
    assert event.scope_key == A_GRID and event.actor == all_users["community_a"]
    assert event.after["contact_phone_masked"] == "139****5678"
    assert "contact_phone_cipher" not in event.after and "13912345678" not in str(event.after)


def test_a_landline_is_a_contact_phone_too(tree):
    unit = create(None, contact_phone="0830-1234567")
    assert unit.contact_phone_masked == "083*****4567"


@pytest.mark.parametrize(
    "code,message",
    [
        ("91510502MA62", "统一社会信用代码应为18位，实际为12位"),
        ("91510502MA62OOOO0X", "统一社会信用代码含有不允许的字符：O"),
        ("915105AB0000000010", "统一社会信用代码第3至8位应为行政区划代码（数字）"),
        (credit(7)[:17] + ("0" if credit(7)[17] != "0" else "1"), f"统一社会信用代码校验位应为{credit(7)[17]}"),
        ("", "统一社会信用代码应为18位，实际为0位"),
    ],
)
def test_credit_codes_are_checked_with_a_reason(tree, code, message):
    error = refused(DomainError, create, actor=None, credit_code=code)
    assert error.field == "credit_code" and error.message == message


def test_a_credit_code_is_registered_once(all_users, units):
    error = refused(DomainError, create, actor=all_users["community_a"], credit_code=units["a"].credit_code.lower())
    assert error.code == "duplicate" and "甲街道第一小学" in error.message
    # Another street's registration is not named to someone who may not see it.
    error = refused(DomainError, create, actor=all_users["community_a"], credit_code=units["b"].credit_code)
    assert error.code == "duplicate" and "乙街道科技公司" not in error.message and "其他辖区" in error.message


def test_the_grid_must_exist_lie_in_scope_and_be_a_grid(all_users, tree):
    staff = all_users["community_a"]
    missing = refused(NotFound, create, actor=staff, grid_code="510502001001099")
    outside = refused(NotFound, create, actor=staff, grid_code=B_GRID)
    assert missing.field == outside.field == "grid_code"
    assert outside.message == "网格 510502002001001 不存在或不在您的管辖范围内"
    community = refused(DomainError, create, actor=staff, grid_code="510502001001")
    assert "不是网格" in community.message and community.field == "grid_code"
    assert refused(DomainError, create, actor=staff, grid_code="").field == "grid_code"


def test_the_compound_must_be_in_the_units_grid(all_users, tree):
    error = refused(
        NotFound,
        create,
        actor=all_users["community_a"],
        grid_code=A_GRID2,
        compound_name=tree["compounds"][A_GRID].name,
    )
    assert error.field == "compound_name" and "没有名为" in error.message


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"name": "  "}, "name", "请填写单位名称"),
        ({"name": "长" * 121}, "name", "单位名称不能超过120个字"),
        ({"kind": "bank"}, "kind", "类型 bank 无法识别"),
        ({"contact_phone": "12345"}, "contact_phone", "手机号应为"),
        ({"contact_phone": "0830-12"}, "contact_phone", "固定电话应写成区号加号码"),
        ({"party_organisation_name": "某党支部"}, "party_organisation_name", "未勾选“已建党组织”"),
    ],
)
def test_bad_fields_are_named(tree, overrides, field, message):
    error = refused(DomainError, create, actor=None, **overrides)
    assert error.field == field and message in error.message


def test_only_the_ledger_keepers_register_units(all_users, tree):
    for name in ("dispatcher_a", "resident_a", "leader_a", "handler"):
        assert isinstance(refused(Forbidden, create, actor=all_users[name]), Forbidden)
    for name in ("gridworker_a", "admin_a"):
        create(all_users[name], credit_code=credit(60 + len(name)))


def test_moving_a_unit_moves_its_resources_and_tells_both_grids(all_users, units, resources):
    unit = services.unit_update(actor=all_users["community_a"], unit=units["a"], grid_code=A_GRID2)
    assert unit.region_key == A_GRID2
    assert Resource.objects.get(pk=resources["a"].pk).region_key == A_GRID2
    events = AuditEvent.objects.filter(verb="unit.update").order_by("scope_key")
    assert [e.scope_key for e in events] == [A_GRID, A_GRID2]
    assert "共享资源 1 项随之迁移" in events.get(scope_key=A_GRID2).note


def test_updating_changes_only_what_is_given(all_users, units):
    unit = services.unit_update(actor=all_users["gridworker_a"], unit=units["a"], contact_name="李老师")
    assert unit.contact_name == "李老师" and unit.contact_phone_masked == "138****1234"
    assert services.unit_update(actor=all_users["gridworker_a"], unit=unit, contact_name="李老师") == unit
    assert AuditEvent.objects.filter(verb="unit.update").count() == 1
    cleared = services.unit_update(actor=all_users["gridworker_a"], unit=unit, contact_phone="")
    assert cleared.contact_phone_masked == cleared.contact_phone_cipher == cleared.contact_phone_index == ""


def test_updating_outside_the_scope_is_not_found(all_users, units):
    with pytest.raises(NotFound):
        services.unit_update(actor=all_users["community_a"], unit=units["b"], name="改名")
    with pytest.raises(DomainError) as caught:
        services.unit_update(actor=all_users["community_a"], unit=units["a2"], credit_code=units["a"].credit_code)
    assert caught.value.code == "duplicate"


def test_deleting_a_unit_that_owns_resources_or_has_bookings_is_refused(all_users, units, resources):
    staff = all_users["community_a"]
    error = refused(Conflict, services.unit_delete, actor=staff, unit=units["a"])
    assert "1 项共享资源" in error.message
    booking_create(actor=staff, resource=resources["a_compound"], unit=units["a2"], starts_at=at(), ends_at=at(hour=10))
    error = refused(Conflict, services.unit_delete, actor=staff, unit=units["a2"])
    assert "有预约记录" in error.message
    fresh = create(staff)
    services.unit_delete(actor=staff, unit=fresh)
    event = AuditEvent.objects.get(verb="unit.delete")
    assert event.target_id == str(fresh.pk) and event.before["name"] == "测试单位" and event.scope_key == A_GRID
    with pytest.raises(NotFound):
        services.unit_delete(actor=staff, unit=units["b"])


def test_barring_a_unit_needs_a_reason_and_can_be_lifted(all_users, units):
    staff = all_users["community_a"]
    error = refused(DomainError, services.unit_set_booking_barred, actor=staff, unit=units["a"], barred=True, reason="")
    assert error.field == "reason" and error.message == "请填写暂停原因"
    unit = services.unit_set_booking_barred(
        actor=staff, unit=units["a"], barred=True, reason="共建积分 52 分，低于 60 分"
    )
    assert unit.booking_barred and unit.booking_barred_at is not None
    assert services.unit_set_booking_barred(actor=staff, unit=unit, barred=True, reason="共建积分 52 分，低于 60 分")
    assert AuditEvent.objects.filter(verb="unit.booking_bar").count() == 1
    unit = services.unit_set_booking_barred(actor=staff, unit=unit, barred=False, reason="积分恢复到 75 分")
    assert not unit.booking_barred and unit.booking_barred_reason == "" and unit.booking_barred_at is None
    assert AuditEvent.objects.get(verb="unit.booking_unbar").note == "积分恢复到 75 分"
    with pytest.raises(Forbidden):
        services.unit_set_booking_barred(actor=all_users["dispatcher_a"], unit=unit, barred=True, reason="x")
    with pytest.raises(NotFound):
        services.unit_set_booking_barred(actor=staff, unit=units["b"], barred=True, reason="x")


def test_the_database_refuses_a_bar_without_a_reason(units):
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.filter(pk=units["a"].pk).update(booking_barred=True)


def test_revealing_a_contact_phone_needs_the_right_and_a_reason(all_users, units):
    with pytest.raises(Forbidden):
        services.unit_reveal_contact_phone(actor=all_users["dispatcher_a"], unit=units["a"], reason="核实")
    with pytest.raises(DomainError) as caught:
        services.unit_reveal_contact_phone(actor=all_users["community_a"], unit=units["a"], reason=" ")
    assert caught.value.field == "reason"
    assert services.unit_reveal_contact_phone(actor=all_users["community_a"], unit=units["a"], reason="通知开会") == (
        "13800001234"
    )
    event = AuditEvent.objects.get(verb="unit.reveal_phone")
    assert event.note == "通知开会" and event.actor == all_users["community_a"]
    with pytest.raises(DomainError) as caught:
        services.unit_reveal_contact_phone(actor=all_users["community_a"], unit=units["a2"], reason="核实")
    assert "没有登记联系电话" in caught.value.message
    with pytest.raises(NotFound):
        services.unit_reveal_contact_phone(actor=all_users["community_a"], unit=units["b"], reason="核实")


# ---- resources ------------------------------------------------------------------------------


def resource(actor, **overrides):
    fields = {"name": "活动室", "kind": "venue", "owner_unit_code": credit(1), "opening_hours": EVERY_DAY}
    return services.resource_create(actor=actor, **{**fields, **overrides})


def test_a_resource_belongs_to_a_unit_or_a_compound(all_users, units, tree):
    staff = all_users["community_a"]
    owned = resource(staff)
    assert owned.owner == units["a"] and owned.region_key == A_GRID
    assert owned.opening_hours["sun"] == [["08:00", "22:00"]]
    of_compound = resource(
        staff, owner_unit_code="", owner_grid_code=A_GRID, owner_compound_name=tree["compounds"][A_GRID].name
    )
    assert of_compound.owner == tree["compounds"][A_GRID] and of_compound.region_key == A_GRID
    assert AuditEvent.objects.filter(verb="resource.create").count() == 2


def test_exactly_one_owner(all_users, units, tree):
    staff = all_users["community_a"]
    both = refused(
        DomainError, resource, actor=staff, owner_grid_code=A_GRID, owner_compound_name=tree["compounds"][A_GRID].name
    )
    neither = refused(DomainError, resource, actor=staff, owner_unit_code="")
    assert both.field == neither.field == "owner_unit_code" and "只能选其一" in both.message
    outside = refused(NotFound, resource, actor=staff, owner_unit_code=units["b"].credit_code)
    assert outside.field == "owner_unit_code"
    unknown = refused(
        NotFound, resource, actor=staff, owner_unit_code="", owner_grid_code=A_GRID, owner_compound_name="无此小区"
    )
    assert unknown.field == "owner_compound_name"


def test_the_database_refuses_a_resource_with_two_owners_or_none(units, tree):
    common = {"name": "x", "kind": "venue", "region_key": A_GRID}
    with pytest.raises(IntegrityError), transaction.atomic():
        Resource.objects.create(owner_unit=units["a"], owner_compound=tree["compounds"][A_GRID], **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        Resource.objects.create(**common)


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"standard_price": "10"}, "standard_price", "免费开放的资源不填写价格"),
        ({"price_rule": "resident_low_cost", "standard_price": "10"}, "low_price", "须填写低偿价"),
        ({"price_rule": "unit_low_cost", "low_price": "10"}, "standard_price", "须填写标准价"),
        (
            {"price_rule": "unit_low_cost", "low_price": "10", "standard_price": "5"},
            "standard_price",
            "标准价不能低于低偿价",
        ),
        ({"price_rule": "unit_low_cost", "low_price": "-1", "standard_price": "5"}, "low_price", "0 至 999999.99"),
        ({"price_rule": "unit_low_cost", "low_price": "abc", "standard_price": "5"}, "low_price", "不是数字"),
        ({"price_rule": "unit_low_cost", "low_price": "1.005", "standard_price": "5"}, "low_price", "两位小数"),
        ({"price_rule": "half_price"}, "price_rule", "无法识别"),
        ({"opening_hours": "周一 25:00-26:00"}, "opening_hours", "不正确"),
        ({"opening_hours": {"mon": [["10:00", "09:00"]]}}, "opening_hours", "结束时间应晚于开始时间"),
        ({"capacity": 0}, "capacity", "1 至 1000000"),
        ({"lng": 105.4}, "lng", "同时填写"),
        ({"kind": "pool"}, "kind", "无法识别"),
    ],
)
def test_resource_fields_are_checked(units, overrides, field, message):
    error = refused(DomainError, resource, actor=None, **overrides)
    assert error.field == field and message in error.message


def test_updating_a_resource(all_users, resources, units):
    staff = all_users["community_a"]
    changed = services.resource_update(
        actor=staff,
        resource=resources["a"],
        opening_hours={"sat": [["09:00", "12:00"]]},
        price_rule="resident_low_cost",
        standard_price="30",
        low_price="5",
        capacity=None,
    )
    assert changed.opening_hours == {"sat": [["09:00", "12:00"]]} and changed.capacity is None
    free_again = services.resource_update(actor=staff, resource=changed, price_rule="free")
    assert free_again.standard_price is None and free_again.low_price is None
    moved = services.resource_update(actor=staff, resource=free_again, owner_unit_code=units["a2"].credit_code)
    assert moved.owner == units["a2"] and moved.region_key == A_GRID2
    with pytest.raises(NotFound):
        services.resource_update(actor=staff, resource=resources["b"], name="x")
    with pytest.raises(Forbidden):
        services.resource_update(actor=all_users["dispatcher_a"], resource=resources["a"], name="x")


def test_a_booked_resource_cannot_be_deleted(all_users, resources):
    staff = all_users["community_a"]
    booking_create(actor=all_users["resident_a"], resource=resources["a"], starts_at=at(), ends_at=at(hour=10))
    error = refused(Conflict, services.resource_delete, actor=staff, resource=resources["a"])
    assert "开放预约" in error.message
    services.resource_delete(actor=staff, resource=resources["a_compound"])
    assert AuditEvent.objects.filter(verb="resource.delete", target_id=str(resources["a_compound"].pk)).exists()
    with pytest.raises(NotFound):
        services.resource_delete(actor=staff, resource=resources["b"])


def test_spreadsheet_numbers_are_read_as_text(tree):
    """Excel keeps long digit strings as numbers; an import may pass them on as they come."""
    unit = services.unit_create(
        actor=None,
        name="表格单位",
        credit_code=credit(90),
        kind="enterprise",
        grid_code=float(A_GRID),
        contact_phone=13800009999.0,
    )
    assert unit.grid.code == A_GRID and unit.contact_phone_masked == "138****9999"
    resource = services.resource_create(
        actor=None, name=123, kind="venue", owner_unit_code=credit(90), capacity=30.0, opening_hours="每天 08:00-20:00"
    )
    assert resource.name == "123" and resource.capacity == 30
