from django.http import HttpRequest
from ninja import Path, Router
from ninja.pagination import paginate

from wangge.core.pagination import BoundedPagination

from . import selectors, services
from .schemas import NotificationOut, ReadAllOut, UnreadCountOut

router = Router(tags=["notifications"])
MAX_ID = 2**63 - 1  # beyond a database integer: refused as invalid, not a server error


@router.get("/notifications", response=list[NotificationOut], summary="我的通知（未读在前）")
@paginate(BoundedPagination, page_size=50)
def list_notifications(request: HttpRequest, unread: bool = False):
    return selectors.notification_list(user=request.user, unread_only=unread)


@router.get("/notifications/unread-count", response=UnreadCountOut, summary="未读通知数")
def unread_count(request: HttpRequest):
    return {"unread": selectors.unread_count(user=request.user)}


@router.post("/notifications/read-all", response=ReadAllOut, summary="全部标为已读")
def read_all(request: HttpRequest):
    return {"updated": services.notification_mark_all_read(user=request.user)}


@router.post("/notifications/{notification_id}/read", response=NotificationOut, summary="标为已读")
def read_one(request: HttpRequest, notification_id: int = Path(..., ge=1, le=MAX_ID)):
    return services.notification_mark_read(user=request.user, notification_id=notification_id)
