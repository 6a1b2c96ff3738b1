"""A problem raised at a door-knock visit becomes a case on the next sweep, exactly once."""

import pytest

from wangge.cases.models import Case, Channel, Status
from wangge.cases.tasks import run_sla_sweep
from wangge.cases.visits import case_from_visit_problem
from wangge.core.errors import DomainError
from wangge.regions.models import Household
from wangge.registry.models import ProblemStatus, VisitProblem
from wangge.registry.services import VisitInput, visit_record

pytestmark = pytest.mark.django_db

A_GRID = "510502001001001"


def raise_problem(users, text="楼道堆放杂物，堵塞消防通道"):
    household = Household.objects.get(region_key=A_GRID)
    visit_record(
        actor=users["gridworker_a"],
        household=household,
        report=VisitInput(notes="入户走访", problem_text=text, problem_category="safety"),
    )
    return VisitProblem.objects.get(household=household)


def test_sweep_turns_an_open_visit_problem_into_a_case_reported_by_the_visitor(users, tree, catalogue):
    problem = raise_problem(users)

    counts = run_sla_sweep()

    problem.refresh_from_db()
    case = Case.objects.get(channel=Channel.VISIT)
    assert counts["visit_problems"] == 1
    assert problem.status == ProblemStatus.TAKEN and problem.case_ref == case.number
    assert case.status == Status.REPORTED
    assert case.reporter == users["gridworker_a"]
    assert case.region_key.startswith(A_GRID[:12])
    assert "楼道堆放杂物" in case.text and "安全隐患" in case.text
    assert case.address == "001001花园1栋1单元101"  # compound, building, unit, room


def test_a_problem_is_taken_once_however_often_the_sweep_runs(users, tree, catalogue):
    problem = raise_problem(users)
    run_sla_sweep()
    run_sla_sweep()

    assert Case.objects.filter(channel=Channel.VISIT).count() == 1
    with pytest.raises(DomainError):
        case_from_visit_problem(problem=problem)
    assert Case.objects.filter(channel=Channel.VISIT).count() == 1


def test_a_problem_the_workflow_refuses_stays_open_and_does_not_hold_up_the_rest(users, tree, catalogue):
    from wangge.cases.visits import take_visit_problems

    household = Household.objects.get(region_key=A_GRID)
    for text in ("楼道堆放杂物", "路灯不亮", "井盖松动"):
        visit_record(
            actor=users["gridworker_a"],
            household=household,
            report=VisitInput(notes="入户走访", problem_text=text, problem_category="safety"),
        )
    first, *rest = VisitProblem.objects.order_by("id")
    # the first is refused by the workflow (its source reference was filed already), so it stays open
    case_from_visit_problem(problem=first)
    VisitProblem.objects.filter(pk=first.pk).update(status=ProblemStatus.OPEN, case_ref=None, taken_at=None)

    counts = take_visit_problems(batch=1)  # one per batch: the refused one fills the first batch

    assert counts == {"taken": 2, "refused": 1}
    assert VisitProblem.objects.get(pk=first.pk).status == ProblemStatus.OPEN
    assert all(VisitProblem.objects.get(pk=p.pk).status == ProblemStatus.TAKEN for p in rest)
