"""API shapes of the ledgers. Outputs carry masked identifiers only; the clear value of one
field comes from the reveal endpoint, with a reason that is recorded."""

import datetime

from ninja import Field, Schema

from .common import household_address


class ResidentOut(Schema):
    id: int
    name: str
    gender: str
    birth_date: datetime.date
    id_masked: str
    phone_masked: str
    kind: str
    household_id: int | None
    address: str
    grid_code: str
    grid_name: str = ""
    moved_in: datetime.date | None
    left_on: datetime.date | None

    @staticmethod
    def resolve_address(obj) -> str:
        return household_address(obj.household) if obj.household_id else ""

    @staticmethod
    def resolve_grid_code(obj) -> str:
        return obj.region_key[:15]

    @staticmethod
    def resolve_grid_name(obj) -> str:
        return getattr(obj, "grid_name", "")


class ResidentDetailOut(ResidentOut):
    origin: str
    note: str


class ResidentPageOut(Schema):
    items: list[ResidentOut]
    next_cursor: str | None = Field(None, description="下一页的 cursor 参数；没有下一页时为 null")
    search_mode: str = Field(description="搜索框内容按什么匹配：list、id_number、phone、id_masked、phone_masked、name")


class ResidentCreateIn(Schema):
    household_id: int
    name: str = Field(max_length=50)
    id_number: str = Field(max_length=18)
    phone: str = Field("", max_length=11)
    kind: str = "registered"
    moved_in: datetime.date | None = None
    origin: str = Field("", max_length=100)
    note: str = Field("", max_length=200)


class ResidentUpdateIn(Schema):
    name: str | None = Field(None, max_length=50)
    id_number: str | None = Field(None, max_length=18)
    phone: str | None = Field(None, max_length=11)
    kind: str | None = None
    origin: str | None = Field(None, max_length=100)
    note: str | None = Field(None, max_length=200)


class MoveIn(Schema):
    household_id: int
    on: datetime.date
    note: str = Field("", max_length=200)


class MoveInByIdIn(MoveIn):
    id_number: str = Field(max_length=18)


class DepartIn(Schema):
    on: datetime.date
    note: str = Field("", max_length=200)


class RevealIn(Schema):
    field: str = Field(description="id_number 或 phone")
    reason: str = Field(max_length=200, description="查看原因，记入审计日志")


class RevealOut(Schema):
    field: str
    value: str


class ResidenceOut(Schema):
    household_id: int | None
    address: str
    started: datetime.date
    start_reason: str
    ended: datetime.date | None
    end_reason: str
    note: str

    @staticmethod
    def resolve_household_id(obj) -> int | None:
        return obj.household_id if obj.visible else None

    @staticmethod
    def resolve_address(obj) -> str:
        return household_address(obj.household) if obj.visible else "（辖区外）"

    @staticmethod
    def resolve_note(obj) -> str:
        return obj.note if obj.visible else ""  # written by the community of that stay


class HouseOut(Schema):
    id: int
    building_id: int
    address: str
    unit: int
    room: str
    use: str
    area_m2: float | None
    owner_name: str
    owner_phone_masked: str
    checked_on: datetime.date | None
    grid_code: str
    grid_name: str = ""
    resident_count: int | None = None

    @staticmethod
    def resolve_address(obj) -> str:
        return household_address(obj)

    @staticmethod
    def resolve_grid_code(obj) -> str:
        return obj.region_key[:15]

    @staticmethod
    def resolve_grid_name(obj) -> str:
        return getattr(obj, "grid_name", "")

    @staticmethod
    def resolve_area_m2(obj) -> float | None:
        return float(obj.area_m2) if obj.area_m2 is not None else None


class HousePageOut(Schema):
    items: list[HouseOut]
    next_cursor: str | None = None


class HouseUpdateIn(Schema):
    use: str | None = Field(None, description="self 自住、rented 出租、vacant 空置、business 经营，空串为未登记")
    area_m2: float | None = None
    owner_name: str | None = Field(None, max_length=50)
    owner_phone: str | None = Field(None, max_length=11)


class OwnerRevealIn(Schema):
    reason: str = Field(max_length=200)


class CareOut(Schema):
    id: int
    resident_id: int
    resident_name: str
    address: str
    group: str
    level: int
    visit_every_days: int
    responsible: str | None
    plan: str
    last_visit_on: datetime.date | None
    next_due_on: datetime.date | None
    due_on: datetime.date | None = None
    overdue_days: int | None = None
    ended_on: datetime.date | None
    end_reason: str

    @staticmethod
    def resolve_resident_name(obj) -> str:
        return obj.resident.name

    @staticmethod
    def resolve_address(obj) -> str:
        return household_address(obj.resident.household) if obj.resident.household_id else ""

    @staticmethod
    def resolve_responsible(obj) -> str | None:
        return obj.responsible.username if obj.responsible_id else None

    @staticmethod
    def resolve_due_on(obj):
        return getattr(obj, "due_on", None)

    @staticmethod
    def resolve_overdue_days(obj):
        return getattr(obj, "overdue_days", None)


class CarePageOut(Schema):
    items: list[CareOut]
    next_cursor: str | None = None


class CareCreateIn(Schema):
    resident_id: int
    group: str
    responsible: str = Field(description="责任人的用户名")
    level: int = 2
    visit_every_days: int = 30
    plan: str = Field("", max_length=2000)


class CareUpdateIn(Schema):
    level: int | None = None
    visit_every_days: int | None = None
    responsible: str | None = None
    plan: str | None = Field(None, max_length=2000)


class CareEndIn(Schema):
    on: datetime.date
    reason: str = Field(max_length=200)


class NewcomerIn(Schema):
    name: str = Field(max_length=50)
    id_number: str = Field(max_length=18)
    phone: str = Field("", max_length=11)
    kind: str = "registered"
    origin: str = Field("", max_length=100)


class CareNoteIn(Schema):
    record_id: int
    note: str = Field("", max_length=2000)


class ProblemIn(Schema):
    text: str = Field(max_length=2000)
    category: str


class VisitIn(Schema):
    household_id: int
    visited_on: datetime.date | None = None
    met: list[int] = Field(default_factory=list, description="见到的本户居民编号")
    met_others: str = Field("", max_length=200)
    notes: str = Field("", max_length=4000)
    house: HouseUpdateIn | None = None
    departed: list[int] = Field(default_factory=list, description="已搬离的本户居民编号")
    newcomers: list[NewcomerIn] = Field(default_factory=list, max_length=20)
    care: list[CareNoteIn] = Field(default_factory=list, max_length=50)
    problem: ProblemIn | None = None


class VisitProblemOut(Schema):
    id: int
    visit_id: int
    household_id: int
    address: str
    text: str
    category_hint: str
    lng: float | None
    lat: float | None
    grid_code: str
    reporter: str
    status: str
    case_ref: str | None
    created_at: datetime.datetime

    @staticmethod
    def resolve_address(obj) -> str:
        return household_address(obj.household)

    @staticmethod
    def resolve_grid_code(obj) -> str:
        return obj.region_key

    @staticmethod
    def resolve_reporter(obj) -> str:
        return obj.reporter.username


class VisitOut(Schema):
    id: int
    household_id: int
    address: str
    visitor: str
    visited_on: datetime.date
    met: list[int]
    met_others: str
    notes: str
    changes: dict
    problem_ids: list[int]

    @staticmethod
    def resolve_address(obj) -> str:
        return household_address(obj.household)

    @staticmethod
    def resolve_visitor(obj) -> str:
        return obj.visitor.username

    @staticmethod
    def resolve_met(obj) -> list[int]:
        return [r.pk for r in obj.met.all()]

    @staticmethod
    def resolve_problem_ids(obj) -> list[int]:
        return [p.pk for p in obj.problems.all()]
