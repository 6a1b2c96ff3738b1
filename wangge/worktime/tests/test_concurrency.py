"""Real concurrency on PostgreSQL: separate connections, committed transactions. (On SQLite every
test runs inside one transaction, so these are skipped there; CI runs them on PostgreSQL.)"""

import datetime
import threading
import time

import pytest
from django.db import connection, transaction

from wangge.core.errors import Conflict
from wangge.worktime import clock, services
from wangge.worktime.models import CalendarDay

from .reference import SHANGHAI

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: separate connections"),
    pytest.mark.django_db(transaction=True),
]
DAY = datetime.date(2031, 3, 11)


def in_thread(function):
    """Run `function` on its own thread (so on its own database connection); return its result
    or the exception it raised."""
    outcome = {}

    def run():
        try:
            outcome["value"] = function()
        except Exception as error:  # handed back to the test
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_change_committed_on_another_connection_is_seen_by_the_next_computation(users):
    start = datetime.datetime(2031, 3, 10, 17, tzinfo=SHANGHAI)
    assert clock.deadline(start, hours=1) == datetime.datetime(2031, 3, 11, 9, 30, tzinfo=SHANGHAI)
    thread, outcome = in_thread(
        lambda: services.calendar_day_set(actor=users["admin"], date=DAY, is_working=False, name="临时假日")
    )
    thread.join(30)
    assert "error" not in outcome
    assert clock.deadline(start, hours=1) == datetime.datetime(2031, 3, 12, 9, 30, tzinfo=SHANGHAI)


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_two_administrators_entering_the_same_date_at_once(users):
    admin = users["admin"]
    entered, release = threading.Event(), threading.Event()

    def first():
        with transaction.atomic():
            services.calendar_day_set(actor=admin, date=DAY, is_working=False, name="先登记")
            entered.set()
            release.wait(30)

    def second():
        entered.wait(30)
        return services.calendar_day_set(actor=admin, date=DAY, is_working=False, name="后登记")

    first_thread, first_outcome = in_thread(first)
    second_thread, second_outcome = in_thread(second)
    entered.wait(30)
    # Commit the first only once the second is blocked on the unique date, so the race is real.
    for _ in range(300):
        if _waiting_on_a_lock():
            break
        time.sleep(0.05)
    release.set()
    first_thread.join(30)
    second_thread.join(30)
    assert "error" not in first_outcome
    assert isinstance(second_outcome.get("error"), Conflict)
    assert second_outcome["error"].field == "date"
    assert CalendarDay.objects.get(date=DAY).name == "先登记"
