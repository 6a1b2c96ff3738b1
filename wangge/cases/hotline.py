"""The 12345 hotline's side of cases: file a caller's problem, tell the caller where it stands, and
record the call-back (回访). Built on `services.case_report` and the workflow's rate move; nothing
here changes a case any other way."""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from wangge.accounts.roles import Role
from wangge.core.errors import DomainError, Forbidden
from wangge.core.scope import in_scope

from . import selectors, services
from .models import FINISHED, Case, Channel, ContactPreference, Rating, Status

CALLBACK_RESULTS = {"reached", "not_reached"}


def _operator(actor) -> None:
    if actor is None or not actor.is_authenticated or actor.role != Role.HOTLINE_OPERATOR:
        raise Forbidden(_("只有12345受理员（或其系统令牌）可以办理热线工单"))


@transaction.atomic
def hotline_report(
    *,
    actor,
    text: str,
    caller_name: str = "",
    caller_phone: str = "",
    category: str | None = None,
    lng: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    address: str = "",
    region_code: str = "",
    contact_preference: str | None = None,
    call_id: str = "",
) -> Case:
    """File what a caller reported. The place must lie in the operator's scope; the caller's phone
    is stored encrypted and shown masked (by `case_report`). `call_id` is the hotline system's own
    ticket number: the same one is never filed twice."""
    _operator(actor)
    if contact_preference is None:
        contact_preference = ContactPreference.PHONE if (caller_phone or "").strip() else ContactPreference.NONE
    case = services.case_report(
        actor=actor,
        text=text,
        channel=Channel.HOTLINE,
        category=category or None,
        lng=lng,
        lat=lat,
        crs=crs,
        address=address,
        region_code=region_code,
        reporter_name=caller_name,
        reporter_phone=caller_phone,
        contact_preference=contact_preference,
        source_ref=call_id,
    )
    if not in_scope(actor, case.region_key):
        # rolls the whole report back: an operator files only in the area they serve
        raise DomainError(_("该位置不在您的管辖范围内"), field="region_code" if region_code and lng is None else "lng")
    return case


@dataclass
class CaseStatus:
    number: str
    status: str
    status_label: str
    is_open: bool
    category: str
    level: int
    lead_department: str
    reported_at: object
    due_at: object
    handled_at: object
    closed_at: object
    rating: str
    result: str
    version: int
    can_call_back: bool


def status_of(case: Case, *, result: str = "") -> CaseStatus:
    """The caller-facing summary of a case already in hand (no queries beyond its loaded relations)."""
    return CaseStatus(
        number=case.number,
        status=case.status,
        status_label=str(Status(case.status).label),
        is_open=case.status not in FINISHED,
        category=case.category.name if case.category_id else "",
        level=case.level,
        lead_department=case.lead_department.name if case.lead_department_id else "",
        reported_at=case.reported_at,
        due_at=case.due_at,
        handled_at=case.handled_at,
        closed_at=case.closed_at,
        rating=case.rating,
        result=result,
        version=case.version,
        can_call_back=case.status == Status.CLOSED,
    )


def hotline_status(*, actor, number: str) -> CaseStatus:
    """Where a case stands, in words an operator can read to the caller (in scope only)."""
    _operator(actor)
    case = selectors.case_get(user=actor, number=number)
    return status_of(case, result=public_result(case))


def public_result(case: Case) -> str:
    """The latest public handling, answer, rejection or transfer text on the case's timeline, or ""."""
    handled = (
        case.events.filter(action__in=("handle", "answer", "reject", "transfer"), public=True)
        .order_by("-at", "-id")
        .values_list("text", flat=True)
        .first()
    )
    return handled or ""


@transaction.atomic
def hotline_callback(
    *,
    actor,
    number: str,
    result: str,
    satisfaction: str = "",
    comment: str = "",
    reopen: bool = False,
    expected_version: int | None = None,
    at=None,
) -> Case:
    """Record a call-back (回访). Reached: the caller's satisfaction is the case's rating (the
    workflow's rate move, by the operator); an unsatisfied caller may have it reopened once. Not
    reached: a note on the timeline, the case stays closed and can be called again."""
    _operator(actor)
    case = selectors.case_get(user=actor, number=number)
    if result not in CALLBACK_RESULTS:
        raise DomainError(_("回访结果应为 reached（已联系上）或 not_reached（未联系上）"), field="result")
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise DomainError(_("回访意见不能超过500字"), field="comment")
    if result == "not_reached":
        if satisfaction:
            raise DomainError(_("未联系上来电人时不能填写满意度"), field="satisfaction")
        text = "回访未联系上来电人" + (f"：{comment}" if comment else "")
        return services.case_note(case=case, actor=actor, text=text, at=at)
    if satisfaction not in Rating.values:
        raise DomainError(
            _("请填写满意度：satisfied（满意）、fairly（基本满意）或 unsatisfied（不满意）"), field="satisfaction"
        )
    version = case.version if expected_version is None else expected_version
    case = services.case_rate(
        case=case, actor=actor, expected_version=version, rating=satisfaction, comment=comment, at=at
    )
    if reopen:
        if satisfaction != Rating.UNSATISFIED:
            raise DomainError(_("只有不满意的回访可以要求重新办理"), field="reopen")
        case = services.case_reopen(
            case=case, actor=actor, expected_version=case.version, reason=comment or "回访不满意，重新办理", at=at
        )
    return case
