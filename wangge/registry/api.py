"""Ledger endpoints under /api/v1/: residents, houses, care records, visits and the problems
visits raise. Thin: parse, one selector or service call, answer."""

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from wangge.core.pagination import BoundedPagination

from . import selectors, services
from .common import KEEP
from .schemas import (
    CareCreateIn,
    CareEndIn,
    CareOut,
    CarePageOut,
    CareUpdateIn,
    DepartIn,
    HouseOut,
    HousePageOut,
    HouseUpdateIn,
    MoveIn,
    MoveInByIdIn,
    OwnerRevealIn,
    ResidenceOut,
    ResidentCreateIn,
    ResidentDetailOut,
    ResidentOut,
    ResidentPageOut,
    ResidentUpdateIn,
    RevealIn,
    RevealOut,
    VisitIn,
    VisitOut,
    VisitProblemOut,
)

router = Router(tags=["registry"])


class ResidentQuery(Schema):
    q: str = Field("", max_length=50, description="姓名开头；或完整身份证号/手机号（精确）；或脱敏号码")
    match: str = Field("prefix", pattern="^(prefix|contains)$", description="姓名匹配：prefix 开头，contains 包含")
    region: str = Field("", max_length=17, description="区域代码（网格、社区……）")
    address: str = Field("", max_length=50, description="小区名称或地址包含")
    kind: str = Field("", description="registered 户籍人口 / floating 流动人口")
    status: str = Field("", description="present 现住（默认）/ departed 已迁出 / all")
    cursor: str = Field("", max_length=400)
    limit: int = Field(50, ge=1, le=200)


def _household(request, household_id: int):
    return selectors.household_get(user=request.user, pk=household_id)


# ---- residents ---------------------------------------------------------------------------


def _house_changes(house: HouseUpdateIn | None) -> dict:
    """The house fields a request sets; null clears a text field (area stays None: not recorded)."""
    changes = house.dict(exclude_unset=True) if house is not None else {}
    return {k: ("" if v is None and k != "area_m2" else v) for k, v in changes.items()}


def _resident_page(request, filters: ResidentQuery) -> dict:
    page, search = selectors.resident_search(user=request.user, **filters.dict())
    return {"items": page.items, "next_cursor": page.next_cursor, "search_mode": search.mode}


@router.get("/residents", response=ResidentPageOut, summary="居民台账：搜索与列表（按游标翻页）")
def list_residents(request: HttpRequest, filters: Query[ResidentQuery]):
    return _resident_page(request, filters)


@router.post("/residents/search", response=ResidentPageOut, summary="居民台账搜索（POST，号码不进入网址和日志）")
def search_residents(request: HttpRequest, payload: ResidentQuery):
    """The same search as GET /residents, with the filters in the body: use it for full ID
    numbers and phones, which should not appear in URLs or access logs."""
    return _resident_page(request, payload)


@router.post("/residents", response={201: ResidentDetailOut}, summary="登记居民（一人一档，身份证号不可重复）")
def create_resident(request: HttpRequest, payload: ResidentCreateIn):
    data = payload.dict()
    household = _household(request, data.pop("household_id"))
    return Status(201, services.resident_create(actor=request.user, household=household, **data))


@router.post("/residents/move-in", response=ResidentDetailOut, summary="按身份证号办理迁入（已从其他辖区迁出的居民）")
def move_in_by_id(request: HttpRequest, payload: MoveInByIdIn):
    household = _household(request, payload.household_id)
    return services.resident_move_in_by_id(
        actor=request.user, id_number=payload.id_number, household=household, on=payload.on, note=payload.note
    )


@router.get("/residents/{resident_id}", response=ResidentDetailOut, summary="居民详情（已脱敏）")
def get_resident(request: HttpRequest, resident_id: int):
    return selectors.resident_get(user=request.user, pk=resident_id)


@router.patch("/residents/{resident_id}", response=ResidentDetailOut, summary="修改居民信息")
def update_resident(request: HttpRequest, resident_id: int, payload: ResidentUpdateIn):
    resident = selectors.resident_get(user=request.user, pk=resident_id)
    changes = {k: (KEEP if v is None else v) for k, v in payload.dict(exclude_unset=True).items()}
    return services.resident_update(actor=request.user, resident=resident, **changes)


@router.get("/residents/{resident_id}/history", response=list[ResidenceOut], summary="居住记录（迁入、迁移、迁出）")
def resident_history(request: HttpRequest, resident_id: int):
    resident = selectors.resident_get(user=request.user, pk=resident_id)
    return selectors.resident_history(user=request.user, resident=resident)


@router.post("/residents/{resident_id}/move", response=ResidentDetailOut, summary="户间迁移或重新迁入")
def move_resident(request: HttpRequest, resident_id: int, payload: MoveIn):
    resident = selectors.resident_get(user=request.user, pk=resident_id)
    household = _household(request, payload.household_id)
    return services.resident_move(
        actor=request.user, resident=resident, household=household, on=payload.on, note=payload.note
    )


@router.post("/residents/{resident_id}/depart", response=ResidentDetailOut, summary="登记迁出")
def depart_resident(request: HttpRequest, resident_id: int, payload: DepartIn):
    resident = selectors.resident_get(user=request.user, pk=resident_id)
    return services.resident_depart(actor=request.user, resident=resident, on=payload.on, note=payload.note)


@router.post(
    "/residents/{resident_id}/reveal", response=RevealOut, summary="查看完整身份证号或手机号（须说明原因，记入审计）"
)
def reveal_resident(request: HttpRequest, resident_id: int, payload: RevealIn):
    resident = selectors.resident_get(user=request.user, pk=resident_id)
    value = services.resident_reveal(actor=request.user, resident=resident, field=payload.field, reason=payload.reason)
    return {"field": payload.field, "value": value}


@router.get("/residents/{resident_id}/care", response=list[CareOut], summary="居民的关爱记录")
def resident_care(request: HttpRequest, resident_id: int):
    resident = selectors.resident_get(user=request.user, pk=resident_id)
    return selectors.care_of_resident(user=request.user, resident=resident)


# ---- houses ------------------------------------------------------------------------------


class HouseQuery(Schema):
    region: str = Field("", max_length=17)
    use: str | None = Field(None, description="self / rented / vacant / business；空串为未登记")
    cursor: str = Field("", max_length=400)
    limit: int = Field(50, ge=1, le=200)


@router.get("/houses", response=HousePageOut, summary="房屋台账（按游标翻页）")
def list_houses(request: HttpRequest, filters: Query[HouseQuery]):
    page = selectors.house_list(user=request.user, **filters.dict())
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/houses/{household_id}", response=HouseOut, summary="房屋详情")
def get_house(request: HttpRequest, household_id: int):
    return _household(request, household_id)


@router.patch("/houses/{household_id}", response=HouseOut, summary="修改房屋用途、面积、产权人")
def update_house(request: HttpRequest, household_id: int, payload: HouseUpdateIn):
    household = _household(request, household_id)
    return services.household_update(actor=request.user, household=household, **_house_changes(payload))


@router.get("/houses/{household_id}/residents", response=list[ResidentOut], summary="房屋现住居民")
def house_residents(request: HttpRequest, household_id: int):
    household = _household(request, household_id)
    return selectors.household_residents(user=request.user, household=household)


@router.post("/houses/{household_id}/reveal", response=RevealOut, summary="查看产权人/房东完整电话（须说明原因）")
def reveal_owner(request: HttpRequest, household_id: int, payload: OwnerRevealIn):
    household = _household(request, household_id)
    value = services.household_reveal_owner_phone(actor=request.user, household=household, reason=payload.reason)
    return {"field": "owner_phone", "value": value}


# ---- care --------------------------------------------------------------------------------


class CareQuery(Schema):
    group: str = ""
    region: str = Field("", max_length=17)
    unassigned: bool = False
    include_ended: bool = False
    cursor: str = Field("", max_length=400)
    limit: int = Field(50, ge=1, le=200)


@router.get("/care-records", response=CarePageOut, summary="关爱对象台账")
def list_care(request: HttpRequest, filters: Query[CareQuery]):
    page = selectors.care_list(user=request.user, **filters.dict())
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/care-records", response={201: CareOut}, summary="列为关爱对象（类别、等级、走访周期、责任网格员）")
def create_care(request: HttpRequest, payload: CareCreateIn):
    resident = selectors.resident_get(user=request.user, pk=payload.resident_id)
    responsible = selectors.visitor_get(user=request.user, username=payload.responsible)
    record = services.care_create(
        actor=request.user,
        resident=resident,
        group=payload.group,
        responsible=responsible,
        level=payload.level,
        visit_every_days=payload.visit_every_days,
        plan=payload.plan,
    )
    return Status(201, selectors.care_get(user=request.user, pk=record.pk))


@router.get("/care-records/{record_id}", response=CareOut, summary="关爱记录详情")
def get_care(request: HttpRequest, record_id: int):
    return selectors.care_get(user=request.user, pk=record_id)


@router.patch("/care-records/{record_id}", response=CareOut, summary="修改关爱等级、走访周期、责任人或计划")
def update_care(request: HttpRequest, record_id: int, payload: CareUpdateIn):
    record = selectors.care_get(user=request.user, pk=record_id)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    if "responsible" in changes:
        changes["responsible"] = selectors.visitor_get(user=request.user, username=changes["responsible"])
    services.care_update(actor=request.user, record=record, **changes)
    return selectors.care_get(user=request.user, pk=record_id)


@router.post("/care-records/{record_id}/end", response=CareOut, summary="结束关爱记录")
def end_care(request: HttpRequest, record_id: int, payload: CareEndIn):
    record = selectors.care_get(user=request.user, pk=record_id)
    services.care_end(actor=request.user, record=record, on=payload.on, reason=payload.reason)
    return selectors.care_get(user=request.user, pk=record_id)


@router.get("/due-visits", response=list[CareOut], summary="待走访：逾期的在前（从未走访视为今天到期）")
@paginate(BoundedPagination, page_size=100)
def due_visits(request: HttpRequest, worker: str = "", everyone: bool = False):
    person = selectors.visitor_get(user=request.user, username=worker) if worker else None
    return selectors.due_visits(user=request.user, worker=person, everyone=everyone)


# ---- visits and problems -----------------------------------------------------------------


@router.post("/visits", response={201: VisitOut}, summary="记录敲门走访，同步更新房屋、居民和关爱台账")
def create_visit(request: HttpRequest, payload: VisitIn):
    user = request.user
    household = _household(request, payload.household_id)
    care_records = selectors.care_by_ids(user=user, ids=[c.record_id for c in payload.care], field="care")
    report = services.VisitInput(
        met=selectors.residents_by_ids(user=user, ids=payload.met, field="met"),
        met_others=payload.met_others,
        notes=payload.notes,
        house=_house_changes(payload.house),
        departed=selectors.residents_by_ids(user=user, ids=payload.departed, field="departed"),
        newcomers=[n.dict() for n in payload.newcomers],
        care=[(record, c.note) for record, c in zip(care_records, payload.care)],
        problem_text=payload.problem.text if payload.problem else "",
        problem_category=payload.problem.category if payload.problem else "",
    )
    visit = services.visit_record(actor=user, household=household, visited_on=payload.visited_on, report=report)
    return Status(201, selectors.visit_get(user=user, pk=visit.pk))


@router.get("/visits", response=list[VisitOut], summary="走访记录")
@paginate(BoundedPagination, page_size=50)
def list_visits(request: HttpRequest, mine: bool = False, household_id: int | None = None):
    household = _household(request, household_id) if household_id else None
    return selectors.visit_list(user=request.user, mine=mine, household=household).prefetch_related("met", "problems")


@router.get("/visits/{visit_id}", response=VisitOut, summary="走访记录详情")
def get_visit(request: HttpRequest, visit_id: int):
    return selectors.visit_get(user=request.user, pk=visit_id)


@router.get("/visit-problems", response=list[VisitProblemOut], summary="走访发现的问题（默认只列待受理的）")
@paginate(BoundedPagination, page_size=100)
def list_visit_problems(request: HttpRequest, status: str = "open"):
    return selectors.visit_problem_list(user=request.user, status=status)


@router.get("/visit-problems/{problem_id}", response=VisitProblemOut, summary="走访发现的问题详情")
def get_visit_problem(request: HttpRequest, problem_id: int):
    return selectors.visit_problem_get(user=request.user, pk=problem_id)
