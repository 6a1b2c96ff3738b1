"""Units in the area, shared resources and their bookings. Thin: each endpoint finds the object
through a scoped selector (so out of scope is the same 404 as missing) and calls one service."""

import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status
from ninja.pagination import paginate

from wangge.core.pagination import BoundedPagination

from . import bookings, selectors, services
from .schemas import (
    BookingBarIn,
    BookingCreateIn,
    BookingOut,
    CalendarOut,
    CancelIn,
    ResourceCreateIn,
    ResourceOut,
    ResourceUpdateIn,
    RevealIn,
    RevealOut,
    UnitCreateIn,
    UnitOut,
    UnitUpdateIn,
)

router = Router(tags=["units"])


# ---- units ----------------------------------------------------------------------------------


@router.get("/units", response=list[UnitOut], summary="驻区单位列表（工作人员，限管辖范围）")
@paginate(BoundedPagination, page_size=100)
def list_units(
    request: HttpRequest,
    q: str = "",
    kind: str = "",
    barred: bool | None = None,
    party: bool | None = None,
    region: str = "",
):
    return selectors.unit_list(user=request.user, q=q, kind=kind, barred=barred, party=party, region_code=region)


@router.post("/units", response={201: UnitOut}, summary="登记驻区单位")
def create_unit(request: HttpRequest, payload: UnitCreateIn):
    return Status(201, services.unit_create(actor=request.user, **payload.dict()))


@router.get("/units/{unit_id}", response=UnitOut, summary="驻区单位详情（联系电话脱敏）")
def get_unit(request: HttpRequest, unit_id: int):
    return selectors.unit_get(user=request.user, pk=unit_id)


@router.patch("/units/{unit_id}", response=UnitOut, summary="修改驻区单位")
def update_unit(request: HttpRequest, unit_id: int, payload: UnitUpdateIn):
    unit = selectors.unit_get(user=request.user, pk=unit_id)
    services.unit_update(actor=request.user, unit=unit, **payload.dict(exclude_unset=True))
    return selectors.unit_get(user=request.user, pk=unit_id)


@router.delete("/units/{unit_id}", response={204: None}, summary="删除误登记的驻区单位")
def delete_unit(request: HttpRequest, unit_id: int):
    services.unit_delete(actor=request.user, unit=selectors.unit_get(user=request.user, pk=unit_id))
    return Status(204, None)


@router.post("/units/{unit_id}/booking-bar", response=UnitOut, summary="暂停或恢复单位预约共享资源")
def bar_unit(request: HttpRequest, unit_id: int, payload: BookingBarIn):
    unit = selectors.unit_get(user=request.user, pk=unit_id)
    services.unit_set_booking_barred(actor=request.user, unit=unit, barred=payload.barred, reason=payload.reason)
    return selectors.unit_get(user=request.user, pk=unit_id)


@router.post("/units/{unit_id}/reveal-phone", response=RevealOut, summary="查看完整联系电话（须填写原因，留痕）")
def reveal_phone(request: HttpRequest, unit_id: int, payload: RevealIn):
    unit = selectors.unit_get(user=request.user, pk=unit_id)
    return {"contact_phone": services.unit_reveal_contact_phone(actor=request.user, unit=unit, reason=payload.reason)}


# ---- resources ------------------------------------------------------------------------------


@router.get("/resources", response=list[ResourceOut], summary="共享资源（工作人员：管辖范围；居民：本社区开放的）")
@paginate(BoundedPagination, page_size=100)
def list_resources(request: HttpRequest, q: str = "", kind: str = "", region: str = "", unit_id: int | None = None):
    owner = selectors.unit_get(user=request.user, pk=unit_id) if unit_id else None
    return selectors.resource_list(user=request.user, q=q, kind=kind, region_code=region, owner_unit=owner)


@router.post("/resources", response={201: ResourceOut}, summary="登记共享资源（属于一个单位或一个小区）")
def create_resource(request: HttpRequest, payload: ResourceCreateIn):
    return Status(201, services.resource_create(actor=request.user, **payload.dict()))


@router.get("/resources/{resource_id}", response=ResourceOut, summary="共享资源详情")
def get_resource(request: HttpRequest, resource_id: int):
    return selectors.resource_get(user=request.user, pk=resource_id)


@router.patch("/resources/{resource_id}", response=ResourceOut, summary="修改共享资源")
def update_resource(request: HttpRequest, resource_id: int, payload: ResourceUpdateIn):
    resource = selectors.resource_get(user=request.user, pk=resource_id)
    services.resource_update(actor=request.user, resource=resource, **payload.dict(exclude_unset=True))
    return selectors.resource_get(user=request.user, pk=resource_id)


@router.delete("/resources/{resource_id}", response={204: None}, summary="删除误登记的共享资源")
def delete_resource(request: HttpRequest, resource_id: int):
    services.resource_delete(actor=request.user, resource=selectors.resource_get(user=request.user, pk=resource_id))
    return Status(204, None)


@router.get("/resources/{resource_id}/calendar", response=CalendarOut, summary="资源7天内的开放时间和预约")
def resource_calendar(request: HttpRequest, resource_id: int, start: datetime.date | None = None):
    """Seven days from `start` (default: today)."""
    resource = selectors.resource_get(user=request.user, pk=resource_id)
    week = selectors.resource_week(user=request.user, resource=resource, start=start or timezone.localdate())
    return {"resource_id": resource.pk, "start": week.start, "days": week.days}


# ---- bookings -------------------------------------------------------------------------------


@router.get("/bookings", response=list[BookingOut], summary="预约（居民：自己的；工作人员：管辖范围内的）")
@paginate(BoundedPagination, page_size=100)
def list_bookings(
    request: HttpRequest,
    resource_id: int | None = None,
    unit_id: int | None = None,
    status: str = "",
    upcoming: bool = False,
):
    resource = selectors.resource_get(user=request.user, pk=resource_id) if resource_id else None
    unit = selectors.unit_get(user=request.user, pk=unit_id) if unit_id else None
    return selectors.booking_list(user=request.user, resource=resource, unit=unit, status=status, upcoming=upcoming)


@router.post("/bookings", response={201: BookingOut}, summary="预约资源（居民为自己；工作人员代单位）")
def create_booking(request: HttpRequest, payload: BookingCreateIn):
    resource = selectors.resource_get(user=request.user, pk=payload.resource_id)
    unit = selectors.unit_get(user=request.user, pk=payload.unit_id) if payload.unit_id else None
    booking = bookings.booking_create(
        actor=request.user,
        resource=resource,
        unit=unit,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        purpose=payload.purpose,
        attendees=payload.attendees,
    )
    return Status(201, selectors.booking_get(user=request.user, pk=booking.pk))


@router.get("/bookings/{booking_id}", response=BookingOut, summary="预约详情")
def get_booking(request: HttpRequest, booking_id: int):
    return selectors.booking_get(user=request.user, pk=booking_id)


@router.post("/bookings/{booking_id}/cancel", response=BookingOut, summary="取消尚未开始的预约")
def cancel_booking(request: HttpRequest, booking_id: int, payload: CancelIn):
    booking = selectors.booking_get(user=request.user, pk=booking_id)
    bookings.booking_cancel(actor=request.user, booking=booking, reason=payload.reason)
    return selectors.booking_get(user=request.user, pk=booking_id)
