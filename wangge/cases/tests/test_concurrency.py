"""Real concurrency on PostgreSQL: threads with their own connections acting at the same moment.
(SQLite serialises every writer, so these run on PostgreSQL only; CI runs them there.)"""

import threading

import pytest
from django.db import connection, connections

from wangge.cases import services
from wangge.cases.models import Case, CaseEvent, Channel, Status
from wangge.core.errors import Conflict

from .conftest import A1

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises writers"),
]


def _together(functions) -> list:
    """Run the functions in threads released at the same moment; each result or exception."""
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as error:  # the test inspects what each thread got
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_dispatchers_at_once_one_wins_one_conflict(drive, people):
    case = drive.to(Status.ACCEPTED)
    version = case.version

    def dispatch(lead):
        return lambda: services.case_dispatch(
            case=case, actor=people["dispatcher_a"], expected_version=version, lead=lead
        )

    results = _together([dispatch(drive.c["cg"]), dispatch(drive.c["zj"])] * 3)
    wins = [r for r in results if isinstance(r, Case)]
    losses = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(losses) == 5, results
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.version == version + 1 and fresh.lead_department == wins[0].lead_department
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1


def test_numbers_stay_unique_under_concurrent_reports(people, catalogue):
    def report():
        return services.case_report(
            actor=people["resident_a"], text="并发上报测试", channel=Channel.RESIDENT, lng=A1[0], lat=A1[1]
        )

    results = _together([report] * 8)
    assert all(isinstance(r, Case) for r in results), results
    numbers = sorted(r.number for r in results)
    assert len(set(numbers)) == 8
    serials = [int(n[-6:]) for n in numbers]
    assert serials == list(range(serials[0], serials[0] + 8))


def test_concurrent_reports_and_moves_keep_the_indicator_summary_exact(drive, people, catalogue):
    """Reports in one grid on one day add to the same summary rows at the same moment: none is lost."""
    from wangge.cases import summary

    accepted = [drive.to(Status.ACCEPTED) for _ in range(3)]

    def report():
        return services.case_report(
            actor=people["resident_a"], text="并发上报测试", channel=Channel.RESIDENT, lng=A1[0], lat=A1[1]
        )

    def dispatch(case):
        return lambda: services.case_dispatch(
            case=case, actor=people["dispatcher_a"], expected_version=case.version, lead=catalogue["cg"]
        )

    results = _together([report] * 6 + [dispatch(case) for case in accepted])
    assert all(isinstance(r, Case) for r in results), results
    rows = summary.snapshot()
    assert sum(row[5] for row in rows if row[0] == "d") == Case.objects.count()
    summary.rebuild()
    assert summary.snapshot() == rows


def test_concurrent_sweeps_breach_once(drive, people):
    from datetime import timedelta

    from wangge.cases.tasks import run_sla_sweep

    case = drive.to(Status.DISPATCHED)
    when = case.due_at + timedelta(minutes=1)
    results = _together([lambda: run_sla_sweep(now=when)] * 3)
    assert sum(r["breached"] for r in results) == 1, results
    assert CaseEvent.objects.filter(case=case, action="breach").count() == 1
