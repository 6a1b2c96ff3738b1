"""The 12345 hotline system's API (`/api/v1/hotline/…`, bearer token of a 12345 operator account):
file a caller's case, read where it stands, post the call-back. Intake and call-back accept an
`Idempotency-Key` header: a retried request gets the first answer back and files nothing new."""

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from wangge.open311 import idempotency

from . import hotline

router = Router(tags=["hotline"])


class HotlineCaseIn(Schema):
    text: str = Field(min_length=1, max_length=2000, description="来电反映的问题")
    caller_name: str = Field("", max_length=50)
    caller_phone: str = Field("", max_length=20, description="来电号码（加密保存，显示时打码）")
    category: str | None = Field(None, description="事项类别编码")
    lng: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    address: str = Field("", max_length=200)
    region_code: str = Field("", max_length=17, description="没有坐标时：问题所在的网格或社区代码")
    contact_preference: str | None = Field(None, description="phone / sms / none；有来电号码时默认电话回访")
    call_id: str = Field("", max_length=64, description="热线系统的工单号；同一工单号只立一个案件")


class HotlineCaseOut(Schema):
    number: str
    status: str
    status_label: str
    is_open: bool
    category: str
    level: int
    lead_department: str
    reported_at: datetime
    due_at: datetime | None
    handled_at: datetime | None
    closed_at: datetime | None
    rating: str
    result: str = Field(description="处置或答复结果（公开部分）")
    version: int
    can_call_back: bool


class CallbackIn(Schema):
    result: str = Field(description="reached（已联系上）或 not_reached（未联系上）")
    satisfaction: str = Field("", description="satisfied / fairly / unsatisfied（联系上时必填）")
    comment: str = Field("", max_length=500)
    reopen: bool = Field(False, description="不满意时要求重新办理（每案一次）")
    expected_version: int | None = Field(None, ge=1)


def _owner(request) -> str:
    return f"user:{request.user.pk}"


def _answer(response: HttpResponse, outcome: idempotency.Outcome):
    if outcome.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(outcome.status, outcome.body)


def _body(status: hotline.CaseStatus) -> dict:
    return HotlineCaseOut.from_orm(status).model_dump(mode="json")


@router.post("/hotline/cases", response={200: HotlineCaseOut, 201: HotlineCaseOut}, summary="12345 热线立案")
def hotline_create(request: HttpRequest, response: HttpResponse, payload: HotlineCaseIn):
    values = payload.dict()

    def perform():
        case = hotline.hotline_report(actor=request.user, **values)
        return 201, _body(hotline.status_of(case)), case

    outcome = idempotency.run(
        owner=_owner(request),
        endpoint="hotline.create",
        key=request.headers.get(idempotency.HEADER),
        payload=values,
        perform=perform,
    )
    return _answer(response, outcome)


@router.get("/hotline/cases/{number}", response=HotlineCaseOut, summary="查询办理进度")
def hotline_get(request: HttpRequest, number: str):
    return hotline.hotline_status(actor=request.user, number=number)


@router.post("/hotline/cases/{number}/callback", response=HotlineCaseOut, summary="回访结果")
def hotline_callback(request: HttpRequest, response: HttpResponse, number: str, payload: CallbackIn):
    values = payload.dict()

    def perform():
        case = hotline.hotline_callback(actor=request.user, number=number, **values)
        # The case in hand is the one the workflow just moved (with its category and department).
        return 200, _body(hotline.status_of(case, result=hotline.public_result(case))), case

    outcome = idempotency.run(
        owner=_owner(request),
        endpoint=f"hotline.callback:{number.strip().upper()}"[:40],
        key=request.headers.get(idempotency.HEADER),
        payload=values,
        perform=perform,
    )
    return _answer(response, outcome)
