"""Care groups, the due-visits list, door-knock visits (one transaction) and visit problems."""

import datetime

import pytest

from wangge.core.errors import Conflict, DomainError, Forbidden, NotFound
from wangge.core.models import AuditEvent
from wangge.regions.models import Household
from wangge.registry import selectors, services
from wangge.registry.models import CareObservation, CareRecord, Resident, Visit, VisitProblem

from .conftest import make_id

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def care(users, resident, group="empty_nest", worker="gridworker_a", **kwargs):
    return services.care_create(
        actor=users["community_a"], resident=resident, group=group, responsible=users[worker], **kwargs
    )


def test_a_resident_in_several_groups_once_each(ledger, users, register):
    resident = register("a101", "张奶奶")
    first = care(users, resident, level=1, visit_every_days=7, plan="每周电话一次")
    care(users, resident, group="chronic", worker="parttime_a")
    assert first.next_due_on is None and first.responsible == users["gridworker_a"]
    event = AuditEvent.objects.filter(verb="care.create").order_by("id").first()
    assert event.target_label == "张奶奶 空巢老人" and event.after["visit_every_days"] == 7
    with pytest.raises(Conflict) as caught:
        care(users, resident)
    assert caught.value.message == "张奶奶已在“空巢老人”关爱名单中"
    assert CareRecord.objects.filter(resident=resident).count() == 2


def test_care_refusals(ledger, users, register):
    resident = register("a101", "张奶奶")
    gone = register("a102", "李爷爷")
    services.resident_depart(actor=None, resident=gone, on=TODAY)
    base = {"resident": resident, "group": "solitary", "responsible": users["gridworker_a"]}
    cases = [
        ({"resident": gone}, DomainError, "resident", "已迁出的居民不能列为关爱对象"),
        ({"group": "rich"}, DomainError, "group", "未知的关爱类别：rich"),
        ({"level": 4}, DomainError, "level", "关爱等级应为1（重点关注）、2（一般关注）或3（日常关注）"),
        ({"visit_every_days": 0}, DomainError, "visit_every_days", "走访周期应为1至365天"),
        ({"visit_every_days": 366}, DomainError, "visit_every_days", "走访周期应为1至365天"),
        ({"responsible": None}, DomainError, "responsible", "请指定责任网格员"),
        (
            {"responsible": users["resident_a"]},
            DomainError,
            "responsible",
            "责任人resident_a不是在岗的网格员、楼栋长或社区工作者",
        ),
        (
            {"responsible": users["gridworker_a2"]},
            DomainError,
            "responsible",
            "责任人gridworker_a2的管辖范围不包括该居民的住址",
        ),
        ({"responsible": users["gridworker_b"]}, NotFound, "responsible", "责任人不存在或不在您的管辖范围内"),
    ]
    for changes, kind, field, message in cases:
        with pytest.raises(kind) as caught:
            services.care_create(actor=users["community_a"], **{**base, **changes})
        assert (caught.value.field, caught.value.message) == (field, message), changes
    for name in ("parttime_a", "dispatcher_a", "leader"):
        with pytest.raises(Forbidden) as caught:
            services.care_create(actor=users[name], **base)
        assert caught.value.message == "您的角色不能管理关爱对象"
    with pytest.raises(NotFound):
        services.care_create(actor=users["community_b"], **base)
    assert not CareRecord.objects.exists()


def test_updating_and_ending_care(ledger, users, register):
    record = care(users, register("a101", "张奶奶"), visit_every_days=30)
    CareRecord.objects.filter(pk=record.pk).update(last_visit_on=datetime.date(2025, 1, 1))
    record.refresh_from_db()
    services.care_update(
        actor=users["community_a"], record=record, visit_every_days=10, responsible=users["parttime_a"]
    )
    record.refresh_from_db()
    assert record.next_due_on == datetime.date(2025, 1, 11) and record.responsible == users["parttime_a"]
    with pytest.raises(DomainError) as caught:
        services.care_end(actor=users["community_a"], record=record, on=TODAY, reason=" ")
    assert caught.value.message == "结束原因不能为空"
    services.care_end(actor=users["community_a"], record=record, on=TODAY, reason="已入住养老院")
    with pytest.raises(Conflict) as caught:
        services.care_end(actor=users["community_a"], record=record, on=TODAY, reason="重复")
    assert caught.value.message == f"该关爱记录已于{TODAY.isoformat()}结束"
    with pytest.raises(Conflict):
        services.care_update(actor=users["community_a"], record=record, level=1)
    assert [e.verb for e in AuditEvent.objects.filter(verb__startswith="care.").order_by("id")] == [
        "care.create",
        "care.update",
        "care.end",
    ]


def test_due_visits_put_the_overdue_first_and_never_visited_as_due_today(ledger, users, register):
    day = datetime.date(2026, 3, 1)
    records = {}
    for name, last, every in (
        ("未到期", datetime.date(2026, 2, 25), 30),  # due 03-27
        ("逾期多", datetime.date(2026, 1, 1), 30),  # due 01-31, 29 days overdue
        ("从未", None, 30),  # due today
        ("逾期少", datetime.date(2026, 2, 20), 7),  # due 02-27, 2 days overdue
    ):
        record = care(users, register("a101", name), visit_every_days=every)
        due = last + datetime.timedelta(days=every) if last else None
        CareRecord.objects.filter(pk=record.pk).update(last_visit_on=last, next_due_on=due)
        records[name] = record
    care(users, register("a102", "别人的"), worker="parttime_a")
    due = list(selectors.due_visits(user=users["gridworker_a"], day=day))
    assert [r.resident.name for r in due] == ["逾期多", "逾期少", "从未", "未到期"]
    assert [r.overdue_days for r in due] == [29, 2, 0, 0] and due[2].never_visited
    everyone = selectors.due_visits(user=users["community_a"], everyone=True, day=day)
    assert len(everyone) == 5
    assert list(selectors.due_visits(user=users["gridworker_b"], everyone=True, day=day)) == []


def full_report(ledger, register, users):
    """A household with two residents, one under care; the visitor finds one gone and a newcomer."""
    stays = register("a101", "留下的")
    leaves = register("a101", "搬走的")
    record = care(users, stays, visit_every_days=14)
    report = services.VisitInput(
        met=[stays],
        met_others="其女儿",
        notes="家中整洁",
        house={"use": "rented", "area_m2": "72.5", "owner_name": "房东乙", "owner_phone": "17066668888"},
        departed=[leaves],
        newcomers=[{"name": "新来的", "id_number": make_id("19950505"), "phone": "17055556666", "kind": "floating"}],
        care=[(record, "血压正常")],
        problem_text="楼道灯坏了",
        problem_category="facility",
    )
    return stays, leaves, record, report


def test_a_visit_updates_house_residents_and_care_together(ledger, users, register):
    stays, leaves, record, report = full_report(ledger, register, users)
    day = TODAY - datetime.timedelta(days=1)
    visit = services.visit_record(
        actor=users["gridworker_a"], household=ledger["houses"]["a101"], visited_on=day, report=report
    )
    house = Household.objects.get(pk=ledger["houses"]["a101"].pk)
    assert (house.use, str(house.area_m2), house.owner_phone_masked, house.checked_on) == (
        "rented",
        "72.5",
        "170****8888",
        day,
    )
    leaves.refresh_from_db()
    assert leaves.left_on == day and leaves.household is None
    newcomer = Resident.objects.get(name="新来的")
    assert newcomer.household == house and newcomer.moved_in == day and newcomer.kind == "floating"
    record.refresh_from_db()
    assert record.last_visit_on == day and record.next_due_on == day + datetime.timedelta(days=14)
    assert CareObservation.objects.get(visit=visit).note == "血压正常"
    problem = VisitProblem.objects.get(visit=visit)
    assert (problem.status, problem.case_ref, problem.region_key, problem.category_hint) == (
        "open",
        None,
        "510502001001001",
        "facility",
    )
    assert (problem.lng, problem.lat) == (105.405, 28.915) and problem.reporter == users["gridworker_a"]
    assert list(visit.met.all()) == [stays]
    assert visit.changes == {
        "house": {"use": "rented", "area_m2": "72.5", "owner_name": "房东乙"},
        "departed": [leaves.pk],
        "newcomers": [newcomer.pk],
        "care": [record.pk],
        "problem": problem.pk,
    }
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"visit.create", "household.update", "resident.depart", "resident.create", "visit_problem.create"} <= verbs


def test_a_failing_part_rolls_back_the_whole_visit(ledger, users, register):
    stays, leaves, record, report = full_report(ledger, register, users)
    report.newcomers.append({"name": "重复的", "id_number": "123"})  # the last part fails
    events = AuditEvent.objects.count()
    with pytest.raises(DomainError) as caught:
        services.visit_record(actor=users["gridworker_a"], household=ledger["houses"]["a101"], report=report)
    assert caught.value.field == "newcomers.1.id_number" and "身份证号应为18位" in caught.value.message
    house = Household.objects.get(pk=ledger["houses"]["a101"].pk)
    assert house.use == "" and house.checked_on is None and house.owner_phone_cipher == ""
    leaves.refresh_from_db()
    record.refresh_from_db()
    assert leaves.left_on is None and leaves.household_id == house.pk
    assert record.last_visit_on is None
    assert not Resident.objects.filter(name="新来的").exists()
    assert not Visit.objects.exists() and not VisitProblem.objects.exists() and not CareObservation.objects.exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    "change, field, message",
    [
        ("met_other_house", "met.0", "不是本户现住居民"),
        ("same_person_both", "departed", "同一居民不能既在场又已搬离"),
        ("problem_without_category", "problem.category", "请选择问题类别"),
        ("category_without_problem", "problem.text", "请填写问题描述"),
        ("care_of_other_house", "care.0", "该关爱记录不属于本户现住居民"),
        ("future", "visited_on", "走访日期不能晚于今天"),
        ("bad_area", "house.area_m2", "建筑面积应大于0"),
        ("unknown_house_field", "house", "未知的房屋字段：colour"),
        ("duplicate_newcomer", "newcomers.0.id_number", "该身份证号已登记：留下的"),
    ],
)
def test_visit_refusals_name_the_part(ledger, users, register, change, field, message):
    stays, leaves, record, report = full_report(ledger, register, users)
    elsewhere = register("a102", "邻居")
    visited_on = None
    if change == "met_other_house":
        report.met = [elsewhere]
    elif change == "same_person_both":
        report.met = [leaves]
    elif change == "problem_without_category":
        report.problem_category = ""
    elif change == "category_without_problem":
        report.problem_text = ""
    elif change == "care_of_other_house":
        report.care = [(care(users, elsewhere), "")]
    elif change == "future":
        visited_on = TODAY + datetime.timedelta(days=1)
    elif change == "bad_area":
        report.house["area_m2"] = "0"
    elif change == "unknown_house_field":
        report.house["colour"] = "red"
    elif change == "duplicate_newcomer":
        from wangge.core import pii

        report.newcomers[0]["id_number"] = pii.decrypt(stays.id_cipher)
    with pytest.raises(DomainError) as caught:
        services.visit_record(
            actor=users["gridworker_a"], household=ledger["houses"]["a101"], visited_on=visited_on, report=report
        )
    assert caught.value.field == field and message in caught.value.message
    assert not Visit.objects.exists()


def test_visitors_roles_and_scope(ledger, users):
    report = services.VisitInput(notes="无人在家")
    with pytest.raises(Forbidden):
        services.visit_record(actor=users["dispatcher_a"], household=ledger["houses"]["a101"], report=report)
    with pytest.raises(NotFound):
        services.visit_record(actor=users["gridworker_a"], household=ledger["houses"]["b101"], report=report)
    visit = services.visit_record(actor=users["parttime_a"], household=ledger["houses"]["a101"], report=report)
    assert visit.visited_on == TODAY and not VisitProblem.objects.exists()


def test_the_case_workflow_takes_open_problems_once(ledger, users, register):
    *_, report = full_report(ledger, register, users)
    services.visit_record(actor=users["gridworker_a"], household=ledger["houses"]["a101"], report=report)
    problem = VisitProblem.objects.get()
    assert list(selectors.open_visit_problems(user=users["dispatcher_a"])) == [problem]
    assert list(selectors.open_visit_problems(user=users["dispatcher_b"])) == []
    with pytest.raises(Forbidden):
        selectors.open_visit_problems(user=users["resident_a"])
    for kwargs, kind, message in (
        ({"actor": users["dispatcher_b"], "case_ref": "c:1"}, NotFound, "问题不存在或不在您的管辖范围内"),
        ({"actor": users["resident_a"], "case_ref": "c:1"}, Forbidden, "居民不能受理走访发现的问题"),
        ({"actor": users["dispatcher_a"], "case_ref": "  "}, DomainError, "请提供受理案件的编号"),
        ({"actor": users["dispatcher_a"], "case_ref": "c" * 65}, DomainError, "案件编号最多64个字符"),
    ):
        with pytest.raises(kind) as caught:
            services.visit_problem_mark_taken(problem=problem, **kwargs)
        assert caught.value.message == message
    services.visit_problem_mark_taken(problem=problem, case_ref="cases.case:42", actor=users["dispatcher_a"])
    problem.refresh_from_db()
    assert (problem.status, problem.case_ref, problem.taken_by) == ("taken", "cases.case:42", users["dispatcher_a"])
    assert list(selectors.open_visit_problems(user=users["dispatcher_a"])) == []
    with pytest.raises(Conflict) as caught:
        services.visit_problem_mark_taken(problem=problem, case_ref="cases.case:43", actor=None)
    assert caught.value.message == "该问题已由案件cases.case:42受理"
    event = AuditEvent.objects.get(verb="visit_problem.take")
    assert event.after == {"status": "taken", "case_ref": "cases.case:42"}
