"""Party-building API under /api/v1/party/. Thin: each endpoint finds objects through a scoped
selector (so out of scope is the same 404 as missing) and calls one service."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import paginate

from wangge.core.errors import DomainError
from wangge.core.pagination import BoundedPagination
from wangge.registry.schemas import RevealIn, RevealOut

from . import activities, lists, selectors, services
from .schemas import (
    ActivityIn,
    ActivityOut,
    AttendanceOut,
    CheckInIn,
    CheckInOut,
    ClaimIn,
    ClaimOut,
    DecisionIn,
    GapOut,
    HoursIn,
    MemberIn,
    MemberLeaveIn,
    MemberOut,
    MemberPatch,
    NeedIn,
    NeedOut,
    OfferIn,
    OfferOut,
    OrganisationIn,
    OrganisationOut,
    ProjectIn,
    ProjectOut,
    RegistrationIn,
    RegistrationOut,
    RejectIn,
    ReportLineOut,
    ServiceIn,
    ServiceOut,
    SignUpIn,
    StatusIn,
)

router = Router(tags=["party"])


def _node(node) -> dict:
    o = node.organisation
    return {
        "id": o.pk, "name": o.name, "kind": o.kind, "kind_label": str(o.get_kind_display()), "category": o.category,
        "region_code": o.region.code, "region_name": o.region.name, "parent_id": o.parent_id,
        "compound_id": o.compound_id, "unit_id": o.unit_id, "secretary": o.secretary, "members": node.members,
        "full_members": node.full_members, "depth": node.depth, "warnings": [str(w) for w in node.warnings],
    }  # fmt: skip


# ---- organisations and members ---------------------------------------------------------------


@router.get("/party/organisations", response=list[OrganisationOut], summary="党组织树（含人数和设置提示，限辖区）")
def list_organisations(request: HttpRequest, warned: bool = False):
    nodes = selectors.party_tree(user=request.user)
    return [_node(n) for n in nodes if n.warnings or not warned]


@router.post("/party/organisations", response={201: OrganisationOut}, summary="建立党组织")
def create_organisation(request: HttpRequest, payload: OrganisationIn):
    organisation = services.organisation_create(actor=request.user, **payload.dict())
    node = next(n for n in selectors.party_tree(user=request.user) if n.organisation.pk == organisation.pk)
    return Status(201, _node(node))


@router.delete(
    "/party/organisations/{organisation_id}",
    response={204: None},
    summary="撤销党组织（仅限已无下级、党员和工作记录的组织）",
)
def delete_organisation(request: HttpRequest, organisation_id: int):
    organisation = selectors.organisation_get(user=request.user, pk=organisation_id)
    services.organisation_delete(actor=request.user, organisation=organisation)
    return Status(204, None)


@router.get("/party/coverage", response=list[GapOut], summary="党员达3人但未建党组织的小区和网格")
def coverage(request: HttpRequest):
    return [
        {"kind": str(g.kind), "name": g.place.name, "id": g.place.pk, "full_members": g.full_members}
        for g in selectors.coverage_gaps(user=request.user)
    ]


@router.get("/party/members", response=list[MemberOut], summary="党员（身份证号、手机号脱敏）")
@paginate(BoundedPagination, page_size=100)
def list_members(request: HttpRequest, q: str = "", status: str = "", post: str = ""):
    return selectors.member_list(user=request.user, q=q, status=status, post=post)


@router.post("/party/members", response={201: MemberOut}, summary="登记党员")
def create_member(request: HttpRequest, payload: MemberIn):
    member = services.member_create(actor=request.user, **payload.dict())
    return Status(201, selectors.member_get(user=request.user, pk=member.pk))


@router.post(
    "/party/members/{member_id}/leave", response=MemberOut, summary="登记党员离开名册（转出、去世等，记录保留）"
)
def member_leave(request: HttpRequest, member_id: int, payload: MemberLeaveIn):
    member = selectors.member_get(user=request.user, pk=member_id)
    services.member_leave(actor=request.user, member=member, **payload.dict())
    return selectors.member_get(user=request.user, pk=member_id)


@router.post(
    "/party/members/{member_id}/reveal",
    response=RevealOut,
    summary="查看党员完整身份证号或手机号（须说明原因，记入审计）",
)
def reveal_member(request: HttpRequest, member_id: int, payload: RevealIn):
    member = selectors.member_get(user=request.user, pk=member_id)
    value = services.member_reveal(actor=request.user, member=member, field=payload.field, reason=payload.reason)
    return {"field": payload.field, "value": value}


@router.patch("/party/members/{member_id}", response=MemberOut, summary="修改党员类别、组织关系、岗位（设岗定责）")
def update_member(request: HttpRequest, member_id: int, payload: MemberPatch):
    member = selectors.member_get(user=request.user, pk=member_id)
    services.member_update(actor=request.user, member=member, **payload.dict(exclude_unset=True))
    return selectors.member_get(user=request.user, pk=member_id)


# ---- dual reporting ---------------------------------------------------------------------------


@router.get("/party/registrations", response=list[RegistrationOut], summary="双报到登记")
@paginate(BoundedPagination, page_size=100)
def list_registrations(request: HttpRequest, status: str = ""):
    return selectors.registration_list(user=request.user, status=status)


@router.post("/party/registrations", response={201: RegistrationOut}, summary="单位党组织或在职党员报到")
def create_registration(request: HttpRequest, payload: RegistrationIn):
    return Status(201, services.registration_create(actor=request.user, **payload.dict()))


@router.post("/party/registrations/{registration_id}/decision", response=RegistrationOut, summary="社区审核报到")
def decide_registration(request: HttpRequest, registration_id: int, payload: DecisionIn):
    registration = selectors.registration_get(user=request.user, pk=registration_id)
    return services.registration_decide(actor=request.user, registration=registration, **payload.dict())


# ---- lists and claims -------------------------------------------------------------------------


@router.get("/party/needs", response=list[NeedOut], summary="需求清单")
@paginate(BoundedPagination, page_size=100)
def list_needs(request: HttpRequest, status: str = ""):
    return selectors.need_list(user=request.user, status=status)


@router.post("/party/needs", response={201: NeedOut}, summary="提出需求")
def create_need(request: HttpRequest, payload: NeedIn):
    return Status(201, lists.need_create(actor=request.user, **payload.dict()))


@router.post("/party/needs/{need_id}/claims", response={201: ClaimOut}, summary="单位党组织或党员认领需求")
def claim_need(request: HttpRequest, need_id: int, payload: ClaimIn):
    need = selectors.need_get(user=request.user, pk=need_id)
    return Status(201, lists.need_claim(actor=request.user, need=need, **payload.dict()))


@router.get("/party/resources", response=list[OfferOut], summary="资源清单")
@paginate(BoundedPagination, page_size=100)
def list_offers(request: HttpRequest, status: str = ""):
    return selectors.offer_list(user=request.user, status=status)


@router.post("/party/resources", response={201: OfferOut}, summary="已报到的单位或党员提供资源")
def create_offer(request: HttpRequest, payload: OfferIn):
    return Status(201, lists.offer_create(actor=request.user, **payload.dict()))


@router.post("/party/resources/{offer_id}/claims", response={201: ClaimOut}, summary="社区认领资源")
def claim_offer(request: HttpRequest, offer_id: int, payload: ClaimIn):
    offer = selectors.offer_get(user=request.user, pk=offer_id)
    return Status(201, lists.offer_claim(actor=request.user, offer=offer, note=payload.note))


@router.get("/party/projects", response=list[ProjectOut], summary="项目清单")
@paginate(BoundedPagination, page_size=100)
def list_projects(request: HttpRequest, status: str = ""):
    return selectors.project_list(user=request.user, status=status)


@router.post("/party/projects", response={201: ProjectOut}, summary="登记服务项目")
def create_project(request: HttpRequest, payload: ProjectIn):
    return Status(201, lists.project_create(actor=request.user, **payload.dict()))


@router.post("/party/projects/{project_id}/claims", response={201: ClaimOut}, summary="加入服务项目")
def join_project(request: HttpRequest, project_id: int, payload: ClaimIn):
    project = selectors.project_get(user=request.user, pk=project_id)
    return Status(201, lists.project_join(actor=request.user, project=project, **payload.dict()))


@router.post("/party/claims/{claim_id}/close", response=ClaimOut, summary="认领完成（done）或撤回（withdrawn）")
def close_claim(request: HttpRequest, claim_id: int, payload: StatusIn):
    claim = selectors.claim_get(user=request.user, pk=claim_id)
    return lists.claim_close(actor=request.user, claim=claim, status=payload.status)


# ---- activities and service -----------------------------------------------------------------------


@router.get("/party/activities", response=list[ActivityOut], summary="活动（居民可见本社区）")
@paginate(BoundedPagination, page_size=100)
def list_activities(request: HttpRequest):
    return selectors.activity_list(user=request.user)


@router.post("/party/activities", response={201: ActivityOut}, summary="发布活动")
def create_activity(request: HttpRequest, payload: ActivityIn):
    return Status(201, activities.activity_create(actor=request.user, **payload.dict()))


@router.post(
    "/party/activities/{activity_id}/sign-up", response={201: AttendanceOut}, summary="报名（本人，或为党员报名）"
)
def sign_up(request: HttpRequest, activity_id: int, payload: SignUpIn):
    activity = selectors.activity_get(user=request.user, pk=activity_id)
    return Status(201, activities.activity_sign_up(actor=request.user, activity=activity, member_id=payload.member_id))


@router.post("/party/check-in", response=CheckInOut, summary="扫码签到（签到码中的令牌）")
def check_in(request: HttpRequest, payload: CheckInIn):
    attendance, new = activities.activity_check_in(actor=request.user, token=payload.token)
    return {"attendance": attendance, "new": new}


@router.post(
    "/party/activities/{activity_id}/hours", response={201: list[ServiceOut]}, summary="为已签到人员记录服务时长"
)
def record_hours(request: HttpRequest, activity_id: int, payload: HoursIn):
    activity = selectors.activity_get(user=request.user, pk=activity_id)
    return Status(201, activities.service_record_attendance(actor=request.user, activity=activity, hours=payload.hours))


@router.get("/party/service-records", response=list[ServiceOut], summary="服务记录")
@paginate(BoundedPagination, page_size=100)
def list_service(request: HttpRequest, status: str = ""):
    return selectors.service_list(user=request.user, status=status)


@router.post("/party/service-records", response={201: ServiceOut}, summary="登记服务记录（党员或单位党组织）")
def create_service(request: HttpRequest, payload: ServiceIn):
    return Status(201, activities.service_record_create(actor=request.user, **payload.dict()))


@router.post(
    "/party/service-records/{record_id}/confirm", response=ServiceOut, summary="社区确认服务（只能一次，计入积分）"
)
def confirm_service(request: HttpRequest, record_id: int):
    record = selectors.service_get(user=request.user, pk=record_id)
    return activities.service_confirm(actor=request.user, record=record)


@router.post("/party/service-records/{record_id}/reject", response=ServiceOut, summary="退回服务记录（须写原因）")
def reject_service(request: HttpRequest, record_id: int, payload: RejectIn):
    record = selectors.service_get(user=request.user, pk=record_id)
    return activities.service_reject(actor=request.user, record=record, reason=payload.reason)


@router.get("/party/report", response=list[ReportLineOut], summary="双报告：某年每个工作单位的党员和单位服务情况")
def report(request: HttpRequest, year: int):
    if not 2000 <= year <= 2100:
        raise DomainError(_("年份应在2000到2100之间"), field="year")
    lines = selectors.annual_report(user=request.user, year=year)
    return [
        {"employer": employer, **line.__dict__, "kind": str(line.kind)}
        for employer, items in lines.items()
        for line in items
    ]
