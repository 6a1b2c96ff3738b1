"""Balances, statements, rankings, rewards and unit scores. Thin: each endpoint reads through a
scoped selector (out of scope is the same 404 as missing) or calls one service."""

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from wangge.core.pagination import BoundedPagination

from . import scores, selectors, services
from .schemas import (
    AccountOut,
    EntryOut,
    MineOut,
    RankingOut,
    RedeemIn,
    RedemptionOut,
    RewardCreateIn,
    RewardOut,
    TimeBankIn,
    TimeBankOut,
    UnitScoreOut,
)

router = Router(tags=["points"])


@router.get("/points/me", response=MineOut, summary="我的积分：本人的积分余额和时间银行")
def mine(request: HttpRequest):
    account = selectors.my_account(user=request.user)
    return {"account": account}


@router.get("/points/me/statement", response=list[EntryOut], summary="我的积分明细")
@paginate(BoundedPagination, page_size=50)
def mine_statement(request: HttpRequest):
    account = selectors.my_account(user=request.user)
    return selectors.statement(account=account) if account else []


@router.get("/points/accounts", response=list[AccountOut], summary="积分账户（工作人员，限管辖范围）")
@paginate(BoundedPagination, page_size=100)
def list_accounts(request: HttpRequest, q: str = "", kind: str = ""):
    return selectors.account_list(user=request.user, q=q, kind=kind)


@router.get("/points/accounts/{account_id}", response=AccountOut, summary="积分账户余额")
def get_account(request: HttpRequest, account_id: int):
    return selectors.account_get(user=request.user, pk=account_id)


@router.get("/points/accounts/{account_id}/statement", response=list[EntryOut], summary="积分账户明细（最新在前）")
@paginate(BoundedPagination, page_size=50)
def account_statement(request: HttpRequest, account_id: int):
    return selectors.statement(account=selectors.account_get(user=request.user, pk=account_id))


@router.post("/points/accounts/{account_id}/redeem", response={201: RedemptionOut}, summary="柜台兑换（积分超市）")
def redeem(request: HttpRequest, account_id: int, payload: RedeemIn):
    account = selectors.account_get(user=request.user, pk=account_id)
    reward = selectors.reward_get(user=request.user, pk=payload.reward_id)
    redemption = services.redeem(
        actor=request.user, reward=reward, account=account, quantity=payload.quantity, key=payload.key
    )
    account.refresh_from_db()
    return Status(
        201,
        {
            "id": redemption.pk,
            "reward_id": reward.pk,
            "account_id": account.pk,
            "quantity": redemption.quantity,
            "points": reward.points * redemption.quantity,
            "balance": account.balance,
        },
    )


@router.post(
    "/points/accounts/{account_id}/time-bank", response={201: TimeBankOut}, summary="时间银行支取（接受服务，扣除时长）"
)
def time_bank_withdraw(request: HttpRequest, account_id: int, payload: TimeBankIn):
    account = selectors.account_get(user=request.user, pk=account_id)
    movement = services.time_bank_withdraw(
        actor=request.user,
        account=account,
        hours=payload.hours,
        service=payload.service,
        provider=payload.provider,
        key=payload.key,
    )
    account.refresh_from_db()
    return Status(
        201,
        {
            "movement_id": movement.pk,
            "account_id": account.pk,
            "hours": str(movement.service_hours),
            "label": movement.label,
            "hours_left": str(account.hours),
        },
    )


@router.get("/points/rankings", response=list[RankingOut], summary="季度积分排名（按网格或社区）")
def rankings(request: HttpRequest, year: int | None = None, quarter: int | None = None, level: str = "grid"):
    this_year, this_quarter = selectors.current_quarter()
    return selectors.rankings(user=request.user, year=year or this_year, quarter=quarter or this_quarter, level=level)


@router.get("/points/rewards", response=list[RewardOut], summary="积分超市物品（工作人员：管辖范围；居民：本社区）")
def list_rewards(request: HttpRequest):
    return list(selectors.reward_list(user=request.user))


@router.post("/points/rewards", response={201: RewardOut}, summary="积分超市上架物品")
def create_reward(request: HttpRequest, payload: RewardCreateIn):
    return Status(201, services.reward_create(actor=request.user, **payload.dict()))


@router.get("/points/unit-scores", response=list[UnitScoreOut], summary="驻区单位年度评分（当前版本）")
def list_unit_scores(request: HttpRequest, year: int):
    return list(scores.latest_scores(user=request.user, year=year))
