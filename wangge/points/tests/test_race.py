"""Simultaneous redemptions, each in its own thread and database connection, released together:
the balance never goes below zero, the stock never below zero, and the ledger still reconciles.

PostgreSQL only: it needs real concurrent transactions (`transaction=True`); on SQLite the
append-only triggers stop the table flush such tests end with, and SQLite has one writer anyway.
CI runs the suite on PostgreSQL too."""

import threading

import pytest
from django.conf import settings
from django.db import connections

from wangge.accounts.models import User
from wangge.core.errors import Conflict
from wangge.points import services
from wangge.points.models import Account, Movement, Redemption, Reward
from wangge.points.reconcile import problems

from .conftest import serve

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs concurrent transactions on PostgreSQL (set DATABASE_URL); SQLite has one writer",
    ),
]

THREADS = 12


def race(actor_id: int, attempts: list[tuple[int, int]]) -> list[str]:
    """Each attempt (reward id, account id) redeems one item in its own thread."""
    barrier = threading.Barrier(len(attempts))
    results = [""] * len(attempts)

    def run(index, reward_id, account_id):
        try:
            actor = User.objects.select_related("scope_region").get(pk=actor_id)
            reward, account = Reward.objects.get(pk=reward_id), Account.objects.get(pk=account_id)
            barrier.wait(timeout=30)
            services.redeem(actor=actor, reward=reward, account=account, quantity=1)
            results[index] = "ok"
        except Conflict as error:
            results[index] = error.message
        except Exception as error:  # anything else is a failure the assertions will show
            results[index] = f"unexpected: {error!r}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, r, a)) for i, (r, a) in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_redemptions_never_overdraw_a_balance(people, residents, tree):
    serve("s:1", resident_id=residents["a"].pk)  # 25 points
    account = Account.objects.get(resident=residents["a"])
    reward = services.reward_create(actor=None, community_code="510502001001", name="毛巾", points=10, stock=100)
    results = race(people["community_a"].pk, [(reward.pk, account.pk)] * THREADS)
    assert results.count("ok") == 2, results
    assert all(r == "ok" or "余额不足" in r for r in results), results
    account.refresh_from_db()
    reward.refresh_from_db()
    assert account.balance == 5 and reward.stock == 98
    assert Redemption.objects.count() == 2
    assert problems() == []


def test_concurrent_redemptions_never_take_stock_below_zero(people, residents, tree):
    accounts = []
    for n in range(THREADS):
        serve(
            f"s:{n}",
            user_id=User.objects.create(username=f"volunteer{n}", scope_region=tree["grids"]["510502001001001"]).pk,
        )
        accounts.append(Account.objects.get(user__username=f"volunteer{n}"))
    reward = services.reward_create(actor=None, community_code="510502001001", name="大米", points=20, stock=3)
    results = race(people["community_a"].pk, [(reward.pk, a.pk) for a in accounts])
    assert results.count("ok") == 3, results
    assert all(r == "ok" or "库存不足" in r for r in results), results
    reward.refresh_from_db()
    assert reward.stock == 0
    assert Movement.objects.filter(kind="redemption").count() == 3
    assert problems() == []


def test_the_same_service_confirmed_at_once_is_credited_once(residents):
    """Two confirmations of one record racing each other: the unique key lets one through."""
    barrier = threading.Barrier(THREADS)
    errors = []

    def run():
        try:
            barrier.wait(timeout=30)
            serve("party.service:race", resident_id=residents["a"].pk)
        except Exception as error:  # the assertions show it
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert Movement.objects.filter(key="party.service:race").count() == 1
    assert Account.objects.get(resident=residents["a"]).balance == 25
    assert problems() == []
