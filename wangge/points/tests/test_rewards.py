"""The rewards counter, the rules page's service and model selections."""

from decimal import Decimal

import pytest

from wangge.core.errors import DomainError
from wangge.core.models import AuditEvent
from wangge.party.contracts import ActivityType
from wangge.points import selectors, services
from wangge.points.models import Account, AccountKind, Movement, Reward
from wangge.points.reconcile import problems

from .conftest import A_GRID, B_GRID, serve

pytestmark = pytest.mark.django_db
COMMUNITY_A, COMMUNITY_B = "510502001001", "510502002001"


@pytest.fixture
def towel(people):
    return services.reward_create(
        actor=people["community_a"], community_code=COMMUNITY_A, name="毛巾", points=10, stock=2, description="纯棉"
    )


@pytest.fixture
def earner(residents):
    serve("s:1", resident_id=residents["a"].pk)  # 25 points
    return Account.objects.get(resident=residents["a"])


def test_redeeming_moves_points_to_the_rewards_account_and_takes_stock(people, towel, earner):
    redemption = services.redeem(actor=people["community_a"], reward=towel, account=earner, quantity=2, key="t1")
    earner.refresh_from_db()
    towel.refresh_from_db()
    assert earner.balance == 5 and towel.stock == 0
    rewards = Account.objects.get(kind=AccountKind.REWARDS)
    assert rewards.balance == 20 and rewards.region_key == COMMUNITY_A
    assert redemption.movement.label == "兑换 毛巾 × 2"
    # The same counter token again (a double click) gives the same redemption back.
    assert (
        services.redeem(actor=people["community_a"], reward=towel, account=earner, quantity=2, key="t1") == redemption
    )
    assert problems() == []


def test_no_redemption_beyond_the_balance_or_the_stock(people, towel, earner):
    with pytest.raises(DomainError, match="库存不足") as error:
        services.redeem(actor=people["community_a"], reward=towel, account=earner, quantity=3)
    assert error.value.field == "quantity"
    expensive = services.reward_create(actor=None, community_code=COMMUNITY_A, name="电饭煲", points=30, stock=5)
    with pytest.raises(DomainError, match="余额不足"):
        services.redeem(actor=people["community_a"], reward=expensive, account=earner)
    expensive.refresh_from_db()
    earner.refresh_from_db()
    assert expensive.stock == 5 and earner.balance == 25  # nothing half done
    assert not Movement.objects.filter(kind="redemption").exists()


def test_bad_counter_input_names_the_field(people, towel, earner):
    for quantity in ("x", 0, 101):
        with pytest.raises(DomainError) as error:
            services.redeem(actor=people["community_a"], reward=towel, account=earner, quantity=quantity)
        assert error.value.field == "quantity"
    with pytest.raises(DomainError) as error:
        services.reward_create(actor=people["community_a"], community_code=COMMUNITY_A, name="", points=1)
    assert error.value.field == "name"
    with pytest.raises(DomainError) as error:
        services.reward_create(actor=people["community_a"], community_code=COMMUNITY_A, name="皂", points=0)
    assert error.value.field == "points"


def test_only_counter_staff_of_the_community_redeem(people, towel, earner):
    with pytest.raises(DomainError) as error:
        services.redeem(actor=people["gridworker_a"], reward=towel, account=earner)
    assert error.value.status == 403
    with pytest.raises(DomainError) as error:
        services.redeem(actor=people["community_b"], reward=towel, account=earner)
    assert error.value.status == 404
    with pytest.raises(DomainError) as error:
        services.reward_create(actor=people["community_b"], community_code=COMMUNITY_A, name="皂", points=1)
    assert error.value.field == "community_code"


def test_reversing_a_redemption_returns_points_and_stock(people, towel, earner):
    redemption = services.redeem(actor=people["community_a"], reward=towel, account=earner, quantity=1)
    services.reverse(actor=people["community_a"], movement=redemption.movement, reason="居民退回")
    earner.refresh_from_db()
    towel.refresh_from_db()
    assert earner.balance == 25 and towel.stock == 2
    assert problems() == []


def test_stock_is_added_by_amount_and_never_below_zero(people, towel):
    services.reward_update(actor=people["community_a"], reward=towel, stock_added=5)
    assert Reward.objects.get(pk=towel.pk).stock == 7
    with pytest.raises(DomainError) as error:
        services.reward_update(actor=people["community_a"], reward=towel, stock_added=-8)
    assert error.value.field == "stock_added"


def test_rules_are_edited_by_secretaries_and_apply_from_then_on(people, residents):
    serve("s:before", resident_id=residents["a"].pk)
    with pytest.raises(DomainError) as error:
        services.rule_update(
            actor=people["community_a"], activity_type="volunteer", points_per_service=1, points_per_hour=0,
            hours_factor="1", is_active=True,
        )  # fmt: skip
    assert error.value.status == 403
    services.rule_update(
        actor=people["secretary_a"], activity_type="volunteer", points_per_service=1, points_per_hour=0,
        hours_factor="0.5", is_active=True,
    )  # fmt: skip
    serve("s:after", resident_id=residents["a"].pk)
    account = Account.objects.get(resident=residents["a"])
    assert (account.balance, account.hours) == (26, Decimal("3.0"))
    assert AuditEvent.objects.filter(verb="points.rule_update").count() == 1
    with pytest.raises(DomainError) as error:
        services.rule_update(
            actor=people["secretary_a"], activity_type="volunteer", points_per_service=1, points_per_hour=0,
            hours_factor="many", is_active=True,
        )  # fmt: skip
    assert error.value.field == "hours_factor"
    assert {r.activity_type for r in selectors.rule_table()} == set(ActivityType.values)


def test_quarterly_rankings_per_grid_and_community(people, residents):
    import datetime

    serve("s:1", resident_id=residents["a"].pk, occurred_on=datetime.date(2026, 10, 2))
    serve("s:2", resident_id=residents["a2"].pk, hours="5", occurred_on=datetime.date(2026, 11, 2))
    serve("s:3", resident_id=residents["b"].pk, region_key=B_GRID, occurred_on=datetime.date(2026, 12, 2))
    serve("s:old", resident_id=residents["b"].pk, region_key=B_GRID, occurred_on=datetime.date(2026, 9, 30))
    tables = selectors.rankings(user=people["admin"], year=2026, quarter=4, level="grid")
    assert [(t["area_key"], [(r["name"], r["points"]) for r in t["rows"]]) for t in tables] == [
        (A_GRID, [("李四", 55), ("张三", 25)]),
        (B_GRID, [("王五", 25)]),
    ]
    tables = selectors.rankings(user=people["community_a"], year=2026, quarter=4, level="community")
    assert [t["area_name"] for t in tables] == ["甲一社区"]
    # A party secretary sees the ranking, but not people's full names.
    tables = selectors.rankings(user=people["secretary_a"], year=2026, quarter=4)
    assert [r["name"] for r in tables[0]["rows"]] == ["李*", "张*"]


def test_model_selections_need_a_basis(people, earner):
    with pytest.raises(DomainError) as error:
        services.model_select(
            actor=people["community_a"], title="family", year=2026, community_code=COMMUNITY_A, nominee="张三家",
            basis="",
        )  # fmt: skip
    assert error.value.field == "basis"
    selection = services.model_select(
        actor=people["community_a"], title="family", year=2026, quarter=4, community_code=COMMUNITY_A,
        nominee="张三家", basis="连续三年参加志愿服务，本季度积分网格第一", account=earner,
    )  # fmt: skip
    assert list(selectors.model_list(user=people["community_a"])) == [selection]
    assert list(selectors.model_list(user=people["community_b"])) == []
    with pytest.raises(DomainError) as error:
        services.model_select(
            actor=people["community_b"], title="family", year=2026, community_code=COMMUNITY_B, nominee="x",
            basis="依据", account=earner,
        )  # fmt: skip
    assert error.value.field == "account"


def test_a_counter_token_used_for_another_account_is_refused(people, towel, earner, residents):
    services.redeem(actor=people["community_a"], reward=towel, account=earner, key="t9")
    serve("s:9", resident_id=residents["a2"].pk)
    other = Account.objects.get(resident=residents["a2"])
    with pytest.raises(DomainError) as refused:
        services.redeem(actor=people["community_a"], reward=towel, account=other, key="t9")
    assert refused.value.field == "key"
    other.refresh_from_db()
    assert other.balance == 25 and Movement.objects.filter(kind="redemption").count() == 1
