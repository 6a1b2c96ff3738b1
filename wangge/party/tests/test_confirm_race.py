"""Several staff confirming the same service record at the same instant, each from its own thread
and database connection: the record is confirmed once and the points ledger hears of it once;
every other attempt gets the clear conflict message.

Runs on PostgreSQL only (real concurrent transactions; SQLite has one writer). CI runs it."""

import threading

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from wangge.accounts.models import User
from wangge.core.errors import Conflict
from wangge.party import activities
from wangge.party.contracts import service_confirmed
from wangge.party.models import ServiceRecord

from .conftest import A1

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs concurrent transactions on PostgreSQL (set DATABASE_URL); SQLite has one writer",
    ),
]

THREADS = 8


def test_simultaneous_confirmations_confirm_once(member_a, people):
    record = activities.service_record_create(
        actor=None,
        community_code=A1,
        occurred_on=timezone.localdate(),
        hours=2,
        description="巡逻",
        member_id=member_a.pk,
    )
    heard, lock = [], threading.Lock()

    def receiver(sender, key, **kwargs):
        with lock:
            heard.append(key)

    service_confirmed.connect(receiver, dispatch_uid="party-race")
    barrier = threading.Barrier(THREADS)
    results = [""] * THREADS
    staff_id = people["community_a"].pk

    def run(index):
        try:
            actor = User.objects.select_related("scope_region").get(pk=staff_id)
            mine = ServiceRecord.objects.get(pk=record.pk)
            barrier.wait(timeout=30)
            activities.service_confirm(actor=actor, record=mine)
            results[index] = "ok"
        except Conflict as error:
            results[index] = error.message
        except Exception as error:  # anything else shows in the assertion
            results[index] = f"unexpected: {error!r}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        service_confirmed.disconnect(dispatch_uid="party-race")
    assert results.count("ok") == 1, results
    assert all("不能再确认" in r for r in results if r != "ok"), results
    assert heard == [f"party.service:{record.pk}"]
    assert ServiceRecord.objects.get(pk=record.pk).status == "confirmed"
