"""Input and output shapes of the points API. Inputs only parse; rules live in the services."""

import datetime
from decimal import Decimal

from ninja import Schema
from pydantic import Field


class AccountOut(Schema):
    id: int
    kind: str
    name: str
    region_key: str
    balance: int
    hours: Decimal

    @staticmethod
    def resolve_name(obj, context) -> str:
        from .selectors import name_for

        return name_for(context["request"].user, obj)


class EntryOut(Schema):
    id: int
    occurred_on: datetime.date
    kind: str
    label: str
    points: int
    hours: Decimal
    key: str

    @staticmethod
    def resolve_occurred_on(obj) -> datetime.date:
        return obj.movement.occurred_on

    @staticmethod
    def resolve_kind(obj) -> str:
        return obj.movement.kind

    @staticmethod
    def resolve_label(obj) -> str:
        return obj.movement.label

    @staticmethod
    def resolve_key(obj) -> str:
        return obj.movement.key


class MineOut(Schema):
    account: AccountOut | None


class RankRowOut(Schema):
    rank: int
    account_id: int
    name: str
    points: int
    hours: Decimal


class RankingOut(Schema):
    area_key: str
    area_name: str
    rows: list[RankRowOut]


class RewardOut(Schema):
    id: int
    community_code: str
    community_name: str
    name: str
    points: int
    stock: int
    description: str
    is_active: bool

    @staticmethod
    def resolve_community_code(obj) -> str:
        return obj.community.code

    @staticmethod
    def resolve_community_name(obj) -> str:
        return obj.community.name


class RewardCreateIn(Schema):
    community_code: str = Field(max_length=12)
    name: str = Field(max_length=100)
    points: int
    stock: int = 0
    description: str = Field("", max_length=200)


class RedeemIn(Schema):
    reward_id: int
    quantity: int = 1
    key: str = Field("", max_length=64, description="柜台生成的唯一编号；同一编号重复提交只兑换一次")


class RedemptionOut(Schema):
    id: int
    reward_id: int
    account_id: int
    quantity: int
    points: int
    balance: int


class TimeBankIn(Schema):
    hours: float | str = Field(description="支取时长（小时），0.1 到 100")
    service: str = Field(max_length=100, description="居民接受的服务，如“陪诊”")
    provider: str = Field("", max_length=50, description="服务提供者（选填）")
    key: str = Field("", max_length=64, description="唯一编号；同一编号重复提交只支取一次")


class TimeBankOut(Schema):
    movement_id: int
    account_id: int
    hours: str
    label: str
    hours_left: str


class UnitScoreOut(Schema):
    unit_id: int
    unit_name: str
    year: int
    version: int
    total: Decimal
    barred: bool
    honoured: bool
    lines: list[dict]
    changes: list[dict]

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name
