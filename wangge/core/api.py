from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from wangge.core.pagination import BoundedPagination

from .selectors import audit_list

router = Router(tags=["audit"])


class AuditOut(Schema):
    id: int
    at: datetime
    actor_label: str
    verb: str
    target_type: str
    target_id: str
    target_label: str
    before: Any = None
    after: Any = None
    request_id: str
    note: str


@router.get("/audit", response=list[AuditOut], summary="审计日志（管理员，可按对象和操作人筛选）")
@paginate(BoundedPagination, page_size=100)
def list_audit(
    request: HttpRequest,
    target_type: str = "",
    target_id: str = "",
    actor: str = "",
    verb: str = "",
    request_id: str = "",
):
    return audit_list(
        user=request.user, target_type=target_type, target_id=target_id, actor=actor, verb=verb, request_id=request_id
    )
