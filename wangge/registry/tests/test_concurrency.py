"""Races that only a real database with real connections shows: two people registering the same
ID number at once, and two case takers claiming the same visit problem. PostgreSQL only (the
audit table's delete triggers rule out transactional tests on SQLite)."""

import threading

import pytest
from django.db import connection, connections

from wangge.core.errors import Conflict
from wangge.registry import services
from wangge.registry.models import Resident, VisitProblem

from .conftest import make_id

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, and transactional tests cannot flush the audit log there",
    ),
]


def race(*calls):
    """Run the calls in threads released together; answer each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_the_same_id_number_registered_twice_at_once_makes_one_record(ledger, users):
    number = make_id()
    houses = ledger["houses"]

    def register(house, name):
        return lambda: services.resident_create(
            actor=users["community_a"], household=houses[house], name=name, id_number=number
        )

    results = race(register("a101", "甲"), register("a102", "乙"))
    created = [r for r in results if isinstance(r, Resident)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(created) == 1 and len(refused) == 1, results
    assert refused[0].code == "duplicate" and f"居民编号{created[0].pk}" in refused[0].message
    assert Resident.objects.count() == 1


def test_one_visit_problem_is_taken_by_one_case_only(ledger, users):
    visit = services.visit_record(
        actor=users["gridworker_a"],
        household=ledger["houses"]["a101"],
        report=services.VisitInput(problem_text="消防通道堵塞", problem_category="safety"),
    )
    problem = visit.problems.get()

    def take(ref):
        return lambda: services.visit_problem_mark_taken(problem=problem, case_ref=ref, actor=users["dispatcher_a"])

    results = race(take("cases.case:1"), take("cases.case:2"))
    taken = [r for r in results if isinstance(r, VisitProblem)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(taken) == 1 and len(refused) == 1, results
    assert VisitProblem.objects.get().case_ref == taken[0].case_ref
    assert refused[0].message == f"该问题已由案件{taken[0].case_ref}受理"
