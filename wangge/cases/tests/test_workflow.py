"""The transition table, move by move: each allowed move succeeds for its party and lands where the
table says; the wrong role is refused (403), someone out of scope sees nothing (404), and the wrong
status is refused. Then optimistic locking and the rules beside the table."""

import pytest

from wangge.cases import services, workflow
from wangge.cases.models import Case, CaseEvent, CaseLevel, Rating, Status
from wangge.core.errors import Conflict, DomainError, Forbidden, NotFound
from wangge.core.models import AuditEvent
from wangge.notify.models import Notification

from .conftest import A1, photo

pytestmark = pytest.mark.django_db


def _prepare(drive, source, action):
    """A case in `source` ready for `action` (some moves need a little more than the status)."""
    case = drive.to(source)
    if action in ("approve_extension", "deny_extension"):
        case = drive.step(case, services.case_request_extension, "handler", reason="需要协调施工队", days=2)
    if action == "escalate" and source == Status.RETURNED:
        assert case.level == CaseLevel.STREET
    return case


def _actor(action, source):
    return {
        "accept": "community_a",
        "reject": "community_a",
        "merge": "community_a",
        "transfer": "hotline",
        "answer": "hotline",
        "take": "community_a",
        "escalate": "community_a" if source == Status.ACCEPTED else "dispatcher_a",
        "dispatch": "dispatcher_a",
        "assign_community": "dispatcher_a",
        "return": "handler",
        "rule_return": "dispatcher_a",
        "start": "handler",
        "suspend": "handler",
        "resume": "handler",
        "request_extension": "handler",
        "approve_extension": "dispatcher_a",
        "deny_extension": "dispatcher_a",
        "handle": "handler",
        "rework": "gridworker_a",
        "verify": "gridworker_a",
        "close": "dispatcher_a",
        "rate": "resident_a",
        "reopen": "resident_a",
        "urge": "leader",
        "supervise": "leader",
        "note": "dispatcher_a",
    }[action]


# Someone who can see the case but is not one of the move's parties.
WRONG_ROLE = {
    "accept": "gridworker_a",
    "reject": "gridworker_a",
    "merge": "gridworker_a",
    "transfer": "leader",
    "answer": "gridworker_a",
    "take": "dispatcher_a",
    "escalate": "gridworker_a",
    "dispatch": "community_a",
    "assign_community": "community_a",
    "return": "community_a",
    "rule_return": "community_a",
    "start": "dispatcher_a",
    "suspend": "dispatcher_a",
    "resume": "gridworker_a",
    "request_extension": "dispatcher_a",
    "approve_extension": "handler",
    "deny_extension": "handler",
    "handle": "gridworker_a",
    "rework": "handler",
    "verify": "handler",
    "close": "gridworker_a",
    "rate": "dispatcher_a",
    "reopen": "community_a",
    "urge": "gridworker_a",
    "supervise": "community_a",
    "note": "resident_a",
}


def _data(action, drive, case):
    c = drive.c
    data = {
        "accept": {"category": c["garbage"]},
        "reject": {"text": "不属于受理范围"},
        "merge": lambda: {"into": drive.report(where=A1)},
        "transfer": {"service": "110", "reference": "JJ20260001"},
        "answer": {"text": "已电话答复政策内容", "category": c["consult"]},
        "dispatch": {"lead": c["cg"], "assisting": [c["zj"]]},
        "return": {"text": "不属于本部门职责"},
        "rule_return": {"text": "由城管局主办"},
        "suspend": {"text": "等待居民在家开门"},
        "request_extension": {"text": "需要协调施工队", "days": 2},
        "deny_extension": {"text": "时限内可以完成"},
        "handle": {"text": "已清运", "photos": [photo()]},
        "rework": {"text": "现场仍有垃圾"},
        "verify": {"photos": [photo()]},
        "rate": {"rating": Rating.SATISFIED if case.status == Status.CLOSED else Rating.UNSATISFIED},
        "note": {"text": "已电话联系部门"},
    }.get(action, {})
    return data() if callable(data) else data


HUMAN_MOVES = [
    (source, action, move)
    for (source, action), move in sorted(workflow.TRANSITIONS.items())
    if action not in workflow.SYSTEM_ACTIONS and source not in (Status.MERGED, Status.TRANSFERRED, Status.REJECTED)
]


def _call(case, action, actor, data):
    version = case.version
    return workflow.case_transition(case=case, action=action, actor=actor, expected_version=version, **data)


@pytest.mark.parametrize(("source", "action"), [(s, a) for s, a, _ in HUMAN_MOVES])
def test_every_move_succeeds_for_its_party_and_lands_where_the_table_says(drive, people, source, action):
    case = _prepare(drive, source, action)
    move = workflow.TRANSITIONS[(source, action)]
    if action == "answer":
        case.category = drive.c["consult"]
    events_before = CaseEvent.objects.filter(case=case).count()
    audits_before = AuditEvent.objects.filter(target_type="cases.case", target_id=str(case.pk)).count()
    moved = _call(case, action, people[_actor(action, source)], _data(action, drive, case))
    assert moved.status in workflow.targets(move) | {source}
    assert Case.objects.get(pk=case.pk).status == moved.status
    expected_version = case.version + (0 if move.annotation else 1)
    assert Case.objects.get(pk=case.pk).version == expected_version == moved.version
    assert CaseEvent.objects.filter(case=case).count() == events_before + 1
    assert CaseEvent.objects.filter(case=case).last().action == action
    assert AuditEvent.objects.filter(target_type="cases.case", target_id=str(case.pk)).count() == audits_before + 1


@pytest.mark.parametrize(("source", "action"), [(s, a) for s, a, _ in HUMAN_MOVES])
def test_every_move_is_refused_to_the_wrong_role_and_writes_nothing(drive, people, source, action):
    case = _prepare(drive, source, action)
    before = Case.objects.get(pk=case.pk)
    data = _data(action, drive, case)
    events = CaseEvent.objects.count()
    with pytest.raises(Forbidden) as refused:
        _call(case, action, people[WRONG_ROLE[action]], data)
    assert refused.value.status == 403 and "只有" in refused.value.message
    after = Case.objects.get(pk=case.pk)
    assert (after.status, after.version) == (before.status, before.version)
    assert CaseEvent.objects.count() == events


@pytest.mark.parametrize(("source", "action"), [(s, a) for s, a, _ in HUMAN_MOVES])
def test_every_move_is_not_found_out_of_scope(drive, people, source, action):
    case = _prepare(drive, source, action)
    for outsider in ("dispatcher_b", "community_b", "gridworker_b", "leader_b", "resident_b", "handler_zj"):
        if outsider == "handler_zj" and case.assists.filter(department__code="510502-ZJ").exists():
            continue
        if outsider == "handler_zj" and case.lead_department_id == drive.c["zj"].pk:
            continue
        with pytest.raises(NotFound):
            _call(case, action, people[outsider], _data(action, drive, case))
    assert Case.objects.get(pk=case.pk).version == case.version


# (A note can be written in every status.)
WRONG_STATUS = sorted({a for _, a, move in HUMAN_MOVES if move.sources != frozenset(Status)})


@pytest.mark.parametrize("action", WRONG_STATUS)
def test_every_move_is_refused_from_a_status_not_in_the_table(drive, people, action):
    sources = workflow.ACTIONS[action].sources
    status = next(s for s in (Status.REJECTED, Status.MERGED, Status.TRANSFERRED, Status.REPORTED) if s not in sources)
    case = drive.to(status)
    with pytest.raises(DomainError) as refused:
        _call(case, action, people[_actor(action, Status.ACCEPTED)], _data(action, drive, case))
    assert refused.value.code in ("invalid_transition", "not_found")
    assert Case.objects.get(pk=case.pk).version == case.version


@pytest.mark.parametrize("action", sorted(workflow.SYSTEM_ACTIONS))
def test_the_sweeps_marks_are_for_the_system_only(drive, people, action):
    case = drive.to(Status.IN_PROGRESS)
    for name in ("dispatcher_a", "district_dispatcher", "handler", "leader", "admin"):
        with pytest.raises(Forbidden):
            workflow.case_transition(case=case, action=action, actor=people[name], expected_version=case.version)


def test_the_table_covers_every_status_and_every_action_has_a_service():
    sources = {s for move in workflow.TABLE for s in move.sources}
    assert sources == set(Status)
    for action in workflow.ACTIONS:
        if action in workflow.SYSTEM_ACTIONS:
            continue
        name = "case_" + action
        assert hasattr(services, name), name


# ---- optimistic locking --------------------------------------------------------------------


def test_two_people_acting_on_the_same_version_one_wins_the_other_gets_a_conflict(drive, people):
    case = drive.to(Status.REPORTED)
    stale = Case.objects.get(pk=case.pk)
    services.case_accept(case=case, actor=people["community_a"], expected_version=case.version)
    with pytest.raises(Conflict) as lost:
        services.case_reject(case=stale, actor=people["dispatcher_a"], expected_version=stale.version, reason="重复")
    assert lost.value.status == 409
    assert lost.value.message == "案件已被他人处理，请刷新后重试"
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == Status.ACCEPTED and fresh.version == 2
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True)) == ["report", "accept"]


def test_the_same_person_sending_twice_applies_once(drive, people):
    case = drive.to(Status.ACCEPTED)
    version = case.version
    services.case_dispatch(case=case, actor=people["dispatcher_a"], expected_version=version, lead=drive.c["cg"])
    with pytest.raises(Conflict):
        services.case_dispatch(case=case, actor=people["dispatcher_a"], expected_version=version, lead=drive.c["cg"])
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1
    assert Notification.objects.filter(kind="case.dispatched", recipient=people["handler"]).count() == 1


def test_annotations_never_make_someone_elses_move_conflict(drive, people):
    case = drive.to(Status.IN_PROGRESS)
    seen_by_handler = case.version
    services.case_urge(case=case, actor=people["leader"], text="尽快处理")
    services.case_supervise(case=case, actor=people["leader"])
    services.case_note(case=case, actor=people["dispatcher_a"], text="已电话联系")
    handled = services.case_handle(
        case=case, actor=people["handler"], expected_version=seen_by_handler, report="已清运"
    )
    assert handled.status == Status.HANDLED and handled.urge_count == 1 and handled.supervised


def test_a_move_without_a_version_is_refused(drive, people):
    case = drive.to(Status.REPORTED)
    with pytest.raises(DomainError) as refused:
        workflow.case_transition(case=case, action="accept", actor=people["community_a"], category=drive.c["garbage"])
    assert refused.value.field == "expected_version"
