"""Services of the house and resident ledgers: every write audited, every refusal named."""

import datetime

import pytest

from wangge.core import pii
from wangge.core.errors import Conflict, DomainError, Forbidden, NotFound
from wangge.core.models import AuditEvent
from wangge.regions.models import Household
from wangge.registry import services
from wangge.registry.models import Residence, Resident

from .conftest import make_id

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def test_registering_a_resident_encrypts_derives_and_records(ledger, users):
    number = make_id("19750308", male=False)
    resident = services.resident_create(
        actor=users["gridworker_a"],
        household=ledger["houses"]["a101"],
        name=" 李秀英 ",
        id_number=number.lower(),
        phone="17012345678",
        kind="floating",
        moved_in=datetime.date(2021, 3, 1),
        origin="四川省宜宾市",
    )
    resident.refresh_from_db()
    assert resident.name == "李秀英" and resident.gender == "F"
    assert resident.birth_date == datetime.date(1975, 3, 8)
    assert pii.decrypt(resident.id_cipher) == number and resident.id_index == pii.blind_index(number)
    assert resident.id_masked == number[:6] + "********" + number[-4:]
    assert resident.phone_masked == "170****5678" and pii.decrypt(resident.phone_cipher) == "17012345678"
    assert resident.region_key == "510502001001001"
    stay = Residence.objects.get(resident=resident)
    assert (stay.started, stay.start_reason, stay.ended) == (datetime.date(2021, 3, 1), "registered", None)
    event = AuditEvent.objects.get(verb="resident.create")
    assert event.actor == users["gridworker_a"] and event.scope_key == "510502001001001"
    text = str(event.after)
    assert number not in text and "17012345678" not in text and resident.id_masked in text


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"name": "  "}, "name", "姓名不能为空"),
        ({"name": "张" * 51}, "name", "姓名最多50个字"),
        ({"id_number": "51050219800101"}, "id_number", "身份证号应为18位"),
        ({"id_number": "51050219800101001A"}, "id_number", "前17位应为数字"),
        ({"id_number": "510502198013010011"}, "id_number", "出生日期19801301不存在"),
        ({"phone": "12345678901"}, "phone", "手机号应为以1开头"),
        ({"kind": "tourist"}, "kind", "人口类别应为户籍人口或流动人口"),
        ({"moved_in": TODAY + datetime.timedelta(days=1)}, "moved_in", "入住日期不能晚于今天"),
        ({"moved_in": datetime.date(1970, 1, 1)}, "moved_in", "入住日期不能早于出生日期"),
        ({"origin": "x" * 101}, "origin", "户籍地最多100个字"),
    ],
)
def test_bad_particulars_are_refused_with_field_and_reason(ledger, users, changes, field, message):
    data = {"name": "王五", "id_number": make_id(), "phone": "", "kind": "registered", "moved_in": None}
    data.update(changes)
    with pytest.raises(DomainError) as caught:
        services.resident_create(actor=users["gridworker_a"], household=ledger["houses"]["a101"], **data)
    assert caught.value.field == field and message in caught.value.message
    assert not Resident.objects.exists() and not AuditEvent.objects.filter(verb="resident.create").exists()


def test_a_wrong_check_digit_names_the_right_one(ledger, users):
    number = make_id()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(DomainError) as caught:
        services.resident_create(
            actor=users["gridworker_a"], household=ledger["houses"]["a101"], name="王五", id_number=wrong
        )
    assert caught.value.message == f"身份证号校验位应为{number[17]}"


def test_one_person_one_record_names_the_existing_record(ledger, users, register):
    number = make_id()
    first = register("a101", "张三", id_number=number)
    with pytest.raises(Conflict) as caught:
        services.resident_create(
            actor=users["gridworker_a"], household=ledger["houses"]["a102"], name="张叁", id_number=number
        )
    assert caught.value.code == "duplicate" and caught.value.field == "id_number"
    assert f"张三（居民编号{first.pk}，001001花园1栋1单元101）" in caught.value.message
    assert caught.value.details == [{"resident_id": first.pk}]
    assert Resident.objects.count() == 1


def test_a_duplicate_outside_the_scope_is_refused_without_naming_anyone(ledger, users, register):
    number = make_id()
    register("b101", "赵六", id_number=number)
    with pytest.raises(Conflict) as caught:
        services.resident_create(
            actor=users["gridworker_a"], household=ledger["houses"]["a101"], name="赵六", id_number=number
        )
    assert caught.value.code == "registered_elsewhere"
    assert caught.value.message == "该身份证号已在其他辖区登记，请先由原社区办理迁出"
    assert "赵六" not in caught.value.message and not caught.value.details


def test_a_departed_duplicate_points_to_moving_in(ledger, users, register):
    number = make_id()
    mine = register("a101", "钱七", id_number=number)
    services.resident_depart(actor=None, resident=mine, on=datetime.date(2024, 1, 1))
    with pytest.raises(Conflict) as caught:
        services.resident_create(
            actor=users["gridworker_a"], household=ledger["houses"]["a102"], name="钱七", id_number=number
        )
    assert "已于2024-01-01迁出" in caught.value.message and "办理迁入" in caught.value.message
    other = register("b101", "孙八", id_number=make_id())
    services.resident_depart(actor=None, resident=other, on=datetime.date(2024, 1, 1))
    with pytest.raises(Conflict) as caught:
        services.resident_create(
            actor=users["gridworker_a"],
            household=ledger["houses"]["a101"],
            name="孙八",
            id_number=pii.decrypt(other.id_cipher),
        )
    assert caught.value.code == "departed_elsewhere"


def test_roles_and_scope_of_writers(ledger, users):
    house = ledger["houses"]["a101"]
    for name in ("dispatcher_a", "leader", "resident_a", "handler"):
        with pytest.raises(Forbidden) as caught:
            services.resident_create(actor=users[name], household=house, name="甲", id_number=make_id())
        assert caught.value.message == "您的角色不能修改房屋和居民台账"
    with pytest.raises(NotFound) as caught:
        services.resident_create(
            actor=users["gridworker_a"], household=ledger["houses"]["a2"], name="甲", id_number=make_id()
        )
    assert caught.value.field == "household" and "不在您的管辖范围内" in caught.value.message
    # A part-time grid worker and a community worker both keep the ledgers of their scope.
    services.resident_create(actor=users["parttime_a"], household=house, name="甲", id_number=make_id())
    services.resident_create(
        actor=users["community_a"], household=ledger["houses"]["a2"], name="乙", id_number=make_id()
    )


def test_updating_particulars(ledger, users, register):
    resident = register("a101", "张三", phone="17000000001")
    before = AuditEvent.objects.count()
    services.resident_update(actor=users["gridworker_a"], resident=resident, name="张三")
    assert AuditEvent.objects.count() == before  # nothing changed, nothing recorded
    number = make_id("19900215")
    services.resident_update(
        actor=users["gridworker_a"], resident=resident, name="张叁", id_number=number, phone="", kind="floating"
    )
    resident.refresh_from_db()
    assert resident.name == "张叁" and resident.birth_date == datetime.date(1990, 2, 15)
    assert resident.phone_masked == "" and resident.phone_index == "" and resident.kind == "floating"
    event = AuditEvent.objects.get(verb="resident.update")
    assert event.before["name"] == "张三" and event.after["name"] == "张叁"
    # Another phone with the same masked form is still a change.
    services.resident_update(actor=users["gridworker_a"], resident=resident, phone="17000000001")
    services.resident_update(actor=users["gridworker_a"], resident=resident, phone="17011110001")
    resident.refresh_from_db()
    assert pii.decrypt(resident.phone_cipher) == "17011110001"
    assert AuditEvent.objects.filter(verb="resident.update").count() == 3


def test_correcting_to_a_number_already_registered_is_refused(ledger, users, register):
    other = register("a102", "李四")
    resident = register("a101", "张三")
    with pytest.raises(Conflict) as caught:
        services.resident_update(actor=users["gridworker_a"], resident=resident, id_number=pii.decrypt(other.id_cipher))
    assert "李四" in caught.value.message
    with pytest.raises(DomainError) as caught:
        services.resident_update(actor=users["gridworker_a"], resident=resident, id_number=make_id("20230101"))
    assert caught.value.message == "身份证号中的出生日期晚于入住日期，请核对"


def test_moving_between_households_keeps_history_and_care(ledger, users, register):
    resident = register("a101", "张三")
    record = services.care_create(
        actor=users["community_a"], resident=resident, group="chronic", responsible=users["gridworker_a"]
    )
    services.resident_move(
        actor=users["gridworker_a"],
        resident=resident,
        household=ledger["houses"]["a102"],
        on=datetime.date(2023, 6, 1),
        note="换房",
    )
    stays = list(Residence.objects.filter(resident=resident).order_by("started"))
    assert [(s.household_id, s.started, s.ended, s.start_reason, s.end_reason) for s in stays] == [
        (ledger["houses"]["a101"].pk, datetime.date(2020, 5, 1), datetime.date(2023, 6, 1), "registered", "transfer"),
        (ledger["houses"]["a102"].pk, datetime.date(2023, 6, 1), None, "transfer", ""),
    ]
    resident.refresh_from_db()
    assert resident.household == ledger["houses"]["a102"] and resident.moved_in == datetime.date(2023, 6, 1)
    # To another grid of the community: the grid worker of the old grid cannot visit there.
    services.resident_move(
        actor=users["community_a"], resident=resident, household=ledger["houses"]["a2"], on=datetime.date(2024, 1, 1)
    )
    record.refresh_from_db()
    assert record.region_key == "510502001001002" and record.responsible is None
    notes = AuditEvent.objects.filter(verb="resident.move").order_by("id").values_list("note", flat=True)
    assert list(notes) == ["换房", ""]
    # The care record's own change is recorded (the first move stayed in the grid: nothing to record).
    event = AuditEvent.objects.get(verb="care.update", target_id=str(record.pk))
    assert event.actor == users["community_a"] and event.scope_key == "510502001001002"
    assert event.before == {"region_key": "510502001001001", "responsible_id": users["gridworker_a"].pk}
    assert event.after == {"region_key": "510502001001002", "responsible_id": None}


def test_move_refusals(ledger, users, register):
    resident = register("a101", "张三")
    worker = users["gridworker_a"]
    cases = [
        ({"household": ledger["houses"]["a101"], "on": TODAY}, "household", "该居民已住在此房屋"),
        (
            {"household": ledger["houses"]["a102"], "on": datetime.date(2019, 1, 1)},
            "on",
            "日期不能早于本次入住日期2020-05-01",
        ),
        (
            {"household": ledger["houses"]["a102"], "on": TODAY + datetime.timedelta(days=2)},
            "on",
            "迁移日期不能晚于今天",
        ),
    ]
    for kwargs, field, message in cases:
        with pytest.raises(DomainError) as caught:
            services.resident_move(actor=worker, resident=resident, **kwargs)
        assert (caught.value.field, caught.value.message) == (field, message)
    with pytest.raises(NotFound):
        services.resident_move(actor=worker, resident=resident, household=ledger["houses"]["a2"], on=TODAY)
    outsider = register("b101", "赵六")
    with pytest.raises(NotFound) as caught:
        services.resident_move(actor=worker, resident=outsider, household=ledger["houses"]["a102"], on=TODAY)
    assert caught.value.field == "resident"
    assert Residence.objects.filter(resident=resident).count() == 1


def test_departure_and_coming_back(ledger, users, register):
    resident = register("a101", "张三")
    record = services.care_create(
        actor=users["community_a"], resident=resident, group="solitary", responsible=users["gridworker_a"]
    )
    services.resident_depart(
        actor=users["gridworker_a"], resident=resident, on=datetime.date(2024, 3, 1), note="去外地"
    )
    resident.refresh_from_db()
    record.refresh_from_db()
    assert resident.household is None and resident.left_on == datetime.date(2024, 3, 1)
    assert resident.region_key == "510502001001001"  # still found by the community that kept them
    assert record.ended_on == datetime.date(2024, 3, 1) and record.end_reason == "居民迁出"
    ended = AuditEvent.objects.get(verb="care.end", target_id=str(record.pk))
    assert ended.actor == users["gridworker_a"] and ended.after == {"ended_on": "2024-03-01", "end_reason": "居民迁出"}
    with pytest.raises(Conflict) as caught:
        services.resident_depart(actor=users["gridworker_a"], resident=resident, on=TODAY)
    assert caught.value.message == "该居民已于2024-03-01迁出"
    with pytest.raises(DomainError) as caught:
        services.resident_move(
            actor=users["gridworker_a"],
            resident=resident,
            household=ledger["houses"]["a101"],
            on=datetime.date(2024, 2, 1),
        )
    assert caught.value.message == "迁入日期不能早于迁出日期2024-03-01"
    services.resident_move(
        actor=users["gridworker_a"], resident=resident, household=ledger["houses"]["a201"], on=datetime.date(2024, 9, 1)
    )
    resident.refresh_from_db()
    assert resident.left_on is None and resident.household == ledger["houses"]["a201"]
    reasons = list(Residence.objects.filter(resident=resident).order_by("id").values_list("start_reason", "end_reason"))
    assert reasons == [("registered", "move_out"), ("move_in", "")]
    assert AuditEvent.objects.filter(verb="resident.move_in").count() == 1


def test_departure_refusals(ledger, users, register):
    resident = register("a101", "张三")
    with pytest.raises(DomainError) as caught:
        services.resident_depart(actor=users["gridworker_a"], resident=resident, on=datetime.date(2019, 1, 1))
    assert caught.value.message == "日期不能早于本次入住日期2020-05-01"
    with pytest.raises(DomainError) as caught:
        services.resident_depart(actor=users["gridworker_a"], resident=resident, on=TODAY + datetime.timedelta(1))
    assert caught.value.message == "迁出日期不能晚于今天"
    with pytest.raises(Forbidden):
        services.resident_depart(actor=users["dispatcher_a"], resident=resident, on=TODAY)


def test_taking_in_by_id_number_someone_who_left_another_community(ledger, users, register):
    number = make_id()
    elsewhere = register("b101", "周九", id_number=number)
    with pytest.raises(Conflict) as caught:
        services.resident_move_in_by_id(
            actor=users["gridworker_a"], id_number=number, household=ledger["houses"]["a101"], on=TODAY
        )
    assert caught.value.message == "该身份证号已在其他辖区登记，请先由原社区办理迁出"
    services.resident_depart(actor=users["gridworker_b"], resident=elsewhere, on=datetime.date(2025, 1, 1))
    moved = services.resident_move_in_by_id(
        actor=users["gridworker_a"], id_number=number, household=ledger["houses"]["a101"], on=TODAY
    )
    assert moved.pk == elsewhere.pk and moved.region_key == "510502001001001" and moved.left_on is None
    with pytest.raises(NotFound) as caught:
        services.resident_move_in_by_id(
            actor=users["gridworker_a"], id_number=make_id(), household=ledger["houses"]["a101"], on=TODAY
        )
    assert caught.value.message == "没有登记此身份证号的居民，请新登记"


def test_reveal_returns_the_value_and_records_the_reason(ledger, users, register):
    number = make_id()
    resident = register("a101", "张三", id_number=number, phone="17012345678")
    value = services.resident_reveal(
        actor=users["gridworker_a"], resident=resident, field="id_number", reason="办理低保核对"
    )
    assert value == number
    assert services.resident_reveal(
        actor=users["community_a"], resident=resident, field="phone", reason="联系家属"
    ) == ("17012345678")
    events = list(AuditEvent.objects.filter(verb="resident.reveal").order_by("id"))
    assert [(e.actor_label, e.note, e.after) for e in events] == [
        ("gridworker_a", "办理低保核对", {"field": "id_number"}),
        ("community_a", "联系家属", {"field": "phone"}),
    ]
    assert all(number not in str(e.after) + e.note + e.target_label for e in events)


def test_reveal_refusals(ledger, users, register):
    resident = register("a101", "张三")
    cases = [
        ({"field": "id_number", "reason": " 看"}, "reason", "请填写查看原因（至少2个字）"),
        ({"field": "id_number", "reason": "看" * 201}, "reason", "查看原因最多200个字"),
        ({"field": "name", "reason": "核对身份"}, "field", "只能查看身份证号或手机号"),
        ({"field": "phone", "reason": "核对身份"}, "field", "该居民没有登记手机号"),
    ]
    for kwargs, field, message in cases:
        with pytest.raises(DomainError) as caught:
            services.resident_reveal(actor=users["gridworker_a"], resident=resident, **kwargs)
        assert (caught.value.field, caught.value.message) == (field, message)
    for name in ("parttime_a", "dispatcher_a", "leader"):
        with pytest.raises(Forbidden) as caught:
            services.resident_reveal(actor=users[name], resident=resident, field="id_number", reason="核对身份")
        assert caught.value.message == "您的角色不能查看完整的身份证号和手机号"
    with pytest.raises(NotFound):
        services.resident_reveal(actor=users["gridworker_b"], resident=resident, field="id_number", reason="核对身份")
    assert not AuditEvent.objects.filter(verb="resident.reveal").exists()


def test_house_attributes(ledger, users):
    house = ledger["houses"]["a101"]
    services.household_update(
        actor=users["gridworker_a"],
        household=house,
        use="rented",
        area_m2="89.55",
        owner_name="房东甲",
        owner_phone="17088886666",
    )
    house.refresh_from_db()
    assert (house.use, str(house.area_m2), house.owner_name, house.owner_phone_masked) == (
        "rented",
        "89.6",
        "房东甲",
        "170****6666",
    )
    assert pii.decrypt(house.owner_phone_cipher) == "17088886666"
    event = AuditEvent.objects.get(verb="household.update")
    assert event.after["use"] == "rented" and "17088886666" not in str(event.after)
    assert services.household_reveal_owner_phone(actor=users["gridworker_a"], household=house, reason="联系房东") == (
        "17088886666"
    )
    assert AuditEvent.objects.get(verb="household.reveal").note == "联系房东"
    services.household_update(actor=users["gridworker_a"], household=house, area_m2=None, owner_phone="")
    house.refresh_from_db()
    assert house.area_m2 is None and house.owner_phone_masked == "" and house.owner_phone_cipher == ""


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"use": "hotel"}, "use", "房屋用途应为自住、出租、空置或经营"),
        ({"area_m2": "0"}, "area_m2", "建筑面积应大于0且小于100000平方米"),
        ({"area_m2": "-3"}, "area_m2", "建筑面积应大于0且小于100000平方米"),
        ({"area_m2": "大"}, "area_m2", "建筑面积应为数字（平方米）"),
        ({"area_m2": "NaN"}, "area_m2", "建筑面积应大于0且小于100000平方米"),
        ({"owner_phone": "0830123"}, "owner_phone", "手机号应为以1开头"),
        ({"owner_name": "x" * 51}, "owner_name", "产权人/房东最多50个字"),
        ({"checked_on": TODAY + datetime.timedelta(1)}, "checked_on", "核实日期不能晚于今天"),
    ],
)
def test_house_refusals(ledger, users, changes, field, message):
    house = ledger["houses"]["a101"]
    with pytest.raises(DomainError) as caught:
        services.household_update(actor=users["gridworker_a"], household=house, **changes)
    assert caught.value.field == field and message in caught.value.message
    assert Household.objects.get(pk=house.pk).use == "" and not AuditEvent.objects.filter(verb="household.update")


def test_house_of_another_scope_is_not_found(ledger, users):
    with pytest.raises(NotFound):
        services.household_update(actor=users["gridworker_a"], household=ledger["houses"]["b101"], use="self")
    with pytest.raises(Forbidden):
        services.household_update(actor=users["dispatcher_a"], household=ledger["houses"]["a101"], use="self")
