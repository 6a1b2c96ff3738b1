"""The handler's clock and the sweep. Every expectation is computed with the working-time clock's own
functions, so these tests hold for whatever calendar `wangge.worktime.clock` implements."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from wangge.cases import services, sla
from wangge.cases.models import Case, CaseEvent, CaseLevel, Status
from wangge.cases.tasks import run_sla_sweep, sla_sweep
from wangge.notify.models import Notification
from wangge.worktime.clock import deadline, working_seconds_between

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday morning


def dispatched(drive, people, *, category="garbage", at=T0):
    case = drive.report(category=category, at=at - timedelta(hours=1))
    case = services.case_accept(
        case=case, actor=people["community_a"], expected_version=1, at=at - timedelta(minutes=30)
    )
    return services.case_dispatch(
        case=case, actor=people["dispatcher_a"], expected_version=case.version, lead=drive.c["cg"], at=at
    )


def test_dispatch_starts_the_clock_with_the_categorys_working_time_limit(drive, people):
    for category, limit in (("garbage", {"days": 1}), ("lamp", {"hours": 8}), ("building", {"days": 15})):
        case = dispatched(drive, people, category=category)
        assert case.dispatched_at == T0
        assert case.due_at == deadline(T0, **limit)
        assert case.allowed_seconds == working_seconds_between(T0, case.due_at)
        share = sla.warn_share()
        assert working_seconds_between(T0, case.warn_at) >= int(case.allowed_seconds * share)
        assert working_seconds_between(T0, case.warn_at - timedelta(seconds=1)) < int(case.allowed_seconds * share)
        later = T0 + timedelta(hours=3)
        assert sla.time_left(case, later) == working_seconds_between(later, case.due_at)


def test_suspended_working_time_does_not_count(drive, people):
    case = dispatched(drive, people)
    handler = people["handler"]
    case = services.case_start(case=case, actor=handler, expected_version=case.version, at=T0 + timedelta(hours=1))
    due_before, warn_before = case.due_at, case.warn_at
    suspended_at, resumed_at = T0 + timedelta(hours=2), T0 + timedelta(days=2, hours=3, minutes=17, seconds=5)
    case = services.case_suspend(
        case=case, actor=handler, expected_version=case.version, reason="等居民在家", at=suspended_at
    )
    left_when_suspended = sla.time_left(case, suspended_at)
    # Frozen while suspended, whatever the time.
    assert sla.time_left(case, resumed_at) == left_when_suspended
    case = services.case_resume(case=case, actor=handler, expected_version=case.version, at=resumed_at)
    paused = working_seconds_between(suspended_at, resumed_at)
    assert case.paused_seconds == paused
    assert working_seconds_between(due_before, case.due_at) == paused
    assert working_seconds_between(warn_before, case.warn_at) == paused
    assert sla.time_left(case, resumed_at) == left_when_suspended


def test_waiting_for_verification_stops_the_clock_and_rework_restarts_it(drive, people):
    case = dispatched(drive, people)
    handler = people["handler"]
    case = services.case_start(case=case, actor=handler, expected_version=case.version, at=T0)
    handled_at = T0 + timedelta(hours=2)
    case = services.case_handle(case=case, actor=handler, expected_version=case.version, report="已清运", at=handled_at)
    due_before = case.due_at
    rework_at = T0 + timedelta(days=3)
    case = services.case_rework(
        case=case, actor=people["gridworker_a"], expected_version=case.version, reason="仍有垃圾", at=rework_at
    )
    assert case.status == Status.IN_PROGRESS and case.handled_at is None
    assert working_seconds_between(due_before, case.due_at) == working_seconds_between(handled_at, rework_at)


def test_an_approved_extension_moves_the_deadline_by_working_days(drive, people):
    case = dispatched(drive, people)
    handler, dispatcher = people["handler"], people["dispatcher_a"]
    case = services.case_start(case=case, actor=handler, expected_version=case.version, at=T0)
    case = services.case_request_extension(
        case=case,
        actor=handler,
        expected_version=case.version,
        reason="需协调施工队",
        days=2,
        at=T0 + timedelta(hours=1),
    )
    assert case.extension_pending
    assert Notification.objects.filter(recipient=dispatcher, kind="case.extension").exists()
    with pytest.raises(Exception) as twice:
        services.case_request_extension(case=case, actor=handler, expected_version=case.version, reason="再延", days=1)
    assert "待审批" in str(twice.value)
    old_due, old_allowed = case.due_at, case.allowed_seconds
    case = services.case_approve_extension(
        case=case, actor=dispatcher, expected_version=case.version, at=T0 + timedelta(hours=2)
    )
    assert case.due_at == deadline(old_due, days=2)
    assert case.allowed_seconds == old_allowed + working_seconds_between(old_due, case.due_at)
    assert not case.extension_pending
    assert Notification.objects.filter(recipient=handler, kind="case.extension").exists()


def test_a_denied_extension_leaves_the_deadline(drive, people):
    case = dispatched(drive, people)
    case = services.case_start(case=case, actor=people["handler"], expected_version=case.version)
    case = services.case_request_extension(
        case=case, actor=people["handler"], expected_version=case.version, reason="需协调", hours=4
    )
    due = case.due_at
    case = services.case_deny_extension(
        case=case, actor=people["dispatcher_a"], expected_version=case.version, reason="时限内可以完成"
    )
    assert case.due_at == due and not case.extension_pending


def test_the_sweep_warns_then_breaches_and_escalates_once(drive, people):
    case = dispatched(drive, people, category="lamp")
    assert case.level == CaseLevel.STREET
    assert run_sla_sweep(now=case.warn_at - timedelta(seconds=1))["warned"] == 0
    assert run_sla_sweep(now=case.warn_at)["warned"] == 1
    assert run_sla_sweep(now=case.warn_at + timedelta(seconds=5))["warned"] == 0  # idempotent
    warned = Case.objects.get(pk=case.pk)
    assert warned.warned_at == case.warn_at and warned.version == case.version  # a mark, not a move
    assert Notification.objects.filter(recipient=people["handler"], kind="case.warning").count() == 1

    counts = run_sla_sweep(now=case.due_at)
    assert counts["breached"] == 1 and counts["warned"] == 0
    assert run_sla_sweep(now=case.due_at + timedelta(hours=1))["breached"] == 0
    breached = Case.objects.get(pk=case.pk)
    assert breached.breached_at == case.due_at and breached.breach_count == 1
    assert breached.level == CaseLevel.DISTRICT  # street → district
    assert Notification.objects.filter(recipient=people["district_dispatcher"], kind="case.breach").count() == 1
    assert list(
        CaseEvent.objects.filter(case=case, action__in=["warn", "breach"]).values_list("action", flat=True)
    ) == [
        "warn",
        "breach",
    ]
    event = CaseEvent.objects.get(case=case, action="breach")
    assert event.data["from_level"] == CaseLevel.STREET and event.data["to_level"] == CaseLevel.DISTRICT


def test_a_community_case_breaches_up_to_the_street(drive, people):
    case = drive.to(Status.ACCEPTED)
    case = services.case_take(case=case, actor=people["community_a"], expected_version=case.version, at=T0)
    run_sla_sweep(now=case.due_at + timedelta(seconds=1))
    case.refresh_from_db()
    assert case.breached_at is not None and case.level == CaseLevel.STREET
    assert Notification.objects.filter(recipient=people["dispatcher_a"], kind="case.breach").exists()
    assert Notification.objects.filter(recipient=people["community_a"], kind="case.breach").exists()


def test_a_past_deadline_gets_no_warning_and_a_suspended_case_no_breach(drive, people):
    late = dispatched(drive, people)
    stopped = dispatched(drive, people)
    stopped = services.case_start(case=stopped, actor=people["handler"], expected_version=stopped.version, at=T0)
    stopped = services.case_suspend(
        case=stopped, actor=people["handler"], expected_version=stopped.version, reason="等居民", at=T0
    )
    counts = run_sla_sweep(now=late.due_at + timedelta(days=1))
    assert counts == {"breached": 1, "warned": 0, "skipped": 0, "purged_uploads": 0, "visit_problems": 0}
    assert Case.objects.get(pk=stopped.pk).breached_at is None
    assert not CaseEvent.objects.filter(case=late, action="warn").exists()


def test_the_sweep_task_and_command_run(drive, people, capsys):
    dispatched(drive, people, at=datetime(2020, 1, 6, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    result = sla_sweep.enqueue()
    assert result.return_value["breached"] == 1
    call_command("sla_sweep")
    assert "超期 0 件" in capsys.readouterr().out


def test_a_new_clock_on_redispatch_and_on_reopen(drive, people):
    case = dispatched(drive, people)
    run_sla_sweep(now=case.due_at + timedelta(hours=1))
    case.refresh_from_db()
    assert case.breached_at is not None
    later = case.due_at + timedelta(days=2)
    case = services.case_return(case=case, actor=people["handler"], expected_version=case.version, reason="非本部门")
    assert case.due_at is None and sla.time_left(case, later) is None
    case = services.case_dispatch(
        case=case, actor=people["district_dispatcher"], expected_version=case.version, lead=drive.c["zj"], at=later
    )
    assert case.due_at == deadline(later, days=1) and case.breached_at is None and case.breach_count == 1
    assert case.first_dispatched_at == T0
