"""The ledger's promises: a confirmed service is credited once, every movement and the whole
ledger sum to zero, entries cannot be changed, balances never go negative, and points_check
proves it (and says so when it is not true)."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import Sum

from wangge.core.errors import DomainError
from wangge.core.models import AppendOnlyError, AuditEvent
from wangge.party.contracts import ActivityType
from wangge.points import ledger, services
from wangge.points.models import Account, AccountKind, Entry, Movement, PointRule

from .conftest import A_GRID, B_GRID, serve

pytestmark = pytest.mark.django_db


def check() -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("points_check", stdout=out)
    except CommandError as error:
        return 1, str(error)
    return 0, out.getvalue()


def test_a_confirmed_service_credits_the_person_from_the_community(residents):
    serve("party.service:1", resident_id=residents["a"].pk)
    person = Account.objects.get(resident=residents["a"])
    issuing = Account.objects.get(kind=AccountKind.ISSUING)
    # volunteer rule: 5 a service + 10 an hour; 2 hours served, 2 hours in the time bank
    assert (person.balance, person.hours) == (25, Decimal("2.0"))
    assert (issuing.balance, issuing.hours) == (-25, Decimal("-2.0"))
    assert issuing.region_key == "510502001001" and person.region_key == A_GRID
    movement = Movement.objects.get(key="party.service:1")
    assert movement.entries.aggregate(p=Sum("points"))["p"] == 0
    assert AuditEvent.objects.filter(verb="points.credit").count() == 1


def test_the_same_service_twice_is_credited_once(residents):
    serve("party.service:7", resident_id=residents["a"].pk)
    serve("party.service:7", resident_id=residents["a"].pk, hours="5")
    assert Movement.objects.filter(key="party.service:7").count() == 1
    assert Account.objects.get(resident=residents["a"]).balance == 25
    assert check()[0] == 0


def test_a_login_account_and_a_registry_entry_are_one_person(residents, people):
    serve("s:1", user_id=people["resident_a"].pk)
    serve("s:2", user_id=people["resident_a"].pk, resident_id=residents["a2"].pk)
    account = Account.objects.get(user=people["resident_a"])
    assert account.resident == residents["a2"] and account.balance == 50
    assert Account.objects.filter(kind=AccountKind.PERSON).count() == 1


def test_part_time_grid_workers_earn_and_paid_staff_do_not(people):
    serve("s:pt", user_id=people["parttime_a"].pk)
    serve("s:gw", user_id=people["gridworker_a"].pk)
    assert Account.objects.get(user=people["parttime_a"]).balance == 25
    assert not Account.objects.filter(user=people["gridworker_a"]).exists()
    assert not Movement.objects.filter(key="s:gw").exists()


def test_rules_per_activity_type_decide_the_credit(residents):
    PointRule.objects.filter(activity_type=ActivityType.PATROL).update(points_per_service=3, points_per_hour=0)
    PointRule.objects.filter(activity_type=ActivityType.CULTURE).update(is_active=False)
    serve("s:patrol", resident_id=residents["a"].pk, activity_type=ActivityType.PATROL, hours="4")
    serve("s:culture", resident_id=residents["a"].pk, activity_type=ActivityType.CULTURE)
    account = Account.objects.get(resident=residents["a"])
    assert (account.balance, account.hours) == (3, Decimal("4.0"))
    assert not Movement.objects.filter(key="s:culture").exists()


def test_a_service_outside_any_community_is_refused_and_rolls_back(residents):
    with pytest.raises(DomainError) as error:
        serve("s:x", resident_id=residents["a"].pk, region_key="510502001")
    assert error.value.field == "region_key"
    assert not Movement.objects.exists() and not Account.objects.exists()


def test_unbalanced_movements_are_refused(residents):
    person = ledger.person_account(resident=residents["a"])
    issuing = ledger.house_account(ledger.community_of(A_GRID), AccountKind.ISSUING)
    with pytest.raises(DomainError, match="借贷不平"), transaction.atomic():
        ledger.post(
            key="bad",
            kind="service",
            label="x",
            legs=[ledger.Leg(person, 10), ledger.Leg(issuing, -9)],
            occurred_on=__import__("datetime").date(2026, 1, 1),
            region_key=A_GRID,
        )
    assert not Movement.objects.exists()


def test_entries_and_movements_cannot_be_changed_or_deleted(residents):
    serve("s:1", resident_id=residents["a"].pk)
    entry = Entry.objects.first()
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        Movement.objects.first().delete()
    for statement in (
        "UPDATE points_entry SET points = 1000",
        "DELETE FROM points_entry",
        "UPDATE points_movement SET label = 'x'",
        "DELETE FROM points_movement",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert Entry.objects.aggregate(p=Sum("points"))["p"] == 0
    assert Account.objects.get(resident=residents["a"]).balance == 25


def test_a_holder_balance_cannot_go_negative_even_by_hand(residents):
    serve("s:1", resident_id=residents["a"].pk)
    with pytest.raises(DatabaseError), transaction.atomic():
        Account.objects.filter(resident=residents["a"]).update(balance=-1)


def test_a_reversal_mirrors_the_movement_once(residents, people):
    serve("s:1", resident_id=residents["a"].pk)
    movement = Movement.objects.get(key="s:1")
    services.reverse(actor=people["community_a"], movement=movement, reason="重复登记")
    account = Account.objects.get(resident=residents["a"])
    assert (account.balance, account.hours) == (0, Decimal("0.0"))
    assert Movement.objects.count() == 2
    with pytest.raises(DomainError, match="已冲正"):
        services.reverse(actor=people["community_a"], movement=movement, reason="再来一次")
    with pytest.raises(DomainError) as error:
        services.reverse(actor=people["community_b"], movement=movement, reason="越权")
    assert error.value.status == 404
    assert check()[0] == 0


def test_points_check_passes_on_a_sound_ledger_and_lists_what_is_wrong(residents):
    serve("s:1", resident_id=residents["a"].pk)
    serve("s:2", resident_id=residents["b"].pk, region_key=B_GRID)
    code, text = check()
    assert code == 0 and "核对通过" in text
    # A cache written around the service (a console, a bad migration) is caught and named.
    Account.objects.filter(resident=residents["b"]).update(balance=999)
    code, text = check()
    assert code == 1
    assert "王五" in text and "999" in text and "张三" not in text


def test_points_check_catches_a_ledger_that_does_not_sum_to_zero(residents):
    serve("s:1", resident_id=residents["a"].pk)
    # Only a raw insert can do this; the services never would.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO points_entry (movement_id, account_id, points, hours) VALUES (%s, %s, 5, 0)",
            [Movement.objects.get().pk, ledger.house_account(ledger.community_of(B_GRID), AccountKind.REWARDS).pk],
        )
    code, text = check()
    assert code == 1 and "不为零" in text
