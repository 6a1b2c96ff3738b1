"""The rules beside the workflow table: the preconditions, data checks and effects of each move.
Each function takes the move's context (`Ctx`) and either raises a DomainError or returns changes."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.core.errors import DomainError, NotFound
from wangge.regions.models import KEY_LENGTH, Department

from . import recipients, sla
from .models import (
    ANSWERABLE_KINDS,
    OPEN,
    WITH_HANDLER,
    AccessCatalogueItem,
    Case,
    CaseAssist,
    CaseEvent,
    CaseLevel,
    Category,
    Rating,
    Status,
    TransferService,
)
from .parties import acting_level, actor_label, can_see

# ---- the context a move works in -------------------------------------------------------------


@dataclass
class Ctx:
    case: Case
    actor: object
    data: dict
    now: datetime
    event_data: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return (self.data.get("text") or "").strip()


def require_text(message: str):
    def check(ctx: Ctx) -> None:
        if not ctx.text:
            raise DomainError(str(message), field="text")
        if len(ctx.text) > 2000:
            raise DomainError(_("说明不能超过2000字"), field="text")

    return check


def optional_text(ctx: Ctx) -> None:
    if len(ctx.text) > 2000:
        raise DomainError(_("说明不能超过2000字"), field="text")


def applicable_prefixes(region_key: str) -> list[str]:
    """Region keys whose catalogue applies to a place: the place's own and every ancestor's."""
    return [region_key[:n] for n in sorted(set(KEY_LENGTH.values())) if n <= len(region_key)]


def check_category(category, case: Case) -> Category:
    if not isinstance(category, Category):
        raise DomainError(_("请选择事项类别"), field="category")
    if not category.is_active:
        raise DomainError(_("事项类别「%(name)s」已停用") % {"name": category.name}, field="category")
    if not case.region_key.startswith(category.region_key):
        raise DomainError(_("事项类别「%(name)s」不适用于案件所在地") % {"name": category.name}, field="category")
    return category


def _category(ctx: Ctx) -> Category:
    category = ctx.data.get("category") or ctx.case.category
    if isinstance(category, Category):  # as it is now, not as the caller last saw it
        category = Category.objects.filter(pk=category.pk).first()
    check_category(category, ctx.case)
    ctx.data["category"] = category
    return category


def check_department(department, case: Case, field_name: str) -> Department:
    """A department answers for the region it serves: the case must lie in it."""
    if not isinstance(department, Department) or not case.region_key.startswith(department.region_key):
        raise DomainError(_("所选部门不负责案件所在地"), field=field_name)
    return department


def _departments(ctx: Ctx, *, lead_required: bool) -> None:
    lead = ctx.data.get("lead")
    if lead is None and lead_required:
        raise DomainError(_("请选择主办部门"), field="lead")
    if lead is not None:
        check_department(lead, ctx.case, "lead")
    assisting = []
    for department in ctx.data.get("assisting") or []:
        check_department(department, ctx.case, "assisting")
        if lead is not None and department.pk == lead.pk:
            raise DomainError(_("主办部门不能同时是协办部门"), field="assisting")
        if department.pk not in {d.pk for d in assisting}:
            assisting.append(department)
    ctx.data["assisting"] = assisting


def set_assists(case: Case, departments) -> None:
    CaseAssist.objects.filter(case=case).delete()
    CaseAssist.objects.bulk_create([CaseAssist(case=case, department=d) for d in departments])


def on_access_catalogue(category: Category, region_key: str) -> bool:
    return AccessCatalogueItem.objects.filter(
        category=category, is_active=True, region_key__in=applicable_prefixes(region_key)
    ).exists()


# ---- what each move does ------------------------------------------------------------------


def accept_validate(ctx):
    optional_text(ctx)
    _category(ctx)


def accept_effect(ctx):
    return {"category": ctx.data["category"], "level": min(ctx.case.level, acting_level(ctx.actor, ctx.case))}


def accept_tell(ctx):
    tell = [(reporter_of(ctx.case), "case.accepted", _("您反映的问题 %(n)s 已受理"))]
    if ctx.case.level != CaseLevel.COMMUNITY:
        tell.append((recipients.dispatchers(ctx.case), "case.to_dispatch", _("案件 %(n)s 待派遣")))
    return tell


def merge_validate(ctx):
    optional_text(ctx)
    into = ctx.data.get("into")
    if not isinstance(into, Case):
        raise DomainError(_("请选择要并入的案件"), field="into")
    into = Case.objects.select_for_update().filter(pk=into.pk).first()
    if into is None or (ctx.actor is not None and not can_see(ctx.actor, into)):
        raise NotFound(_("要并入的案件不存在或不在您的管辖范围内"), field="into")
    if into.pk == ctx.case.pk:
        raise DomainError(_("案件不能并入自己"), field="into")
    if into.status not in OPEN:
        raise DomainError(
            _("案件 %(n)s 已%(s)s，不能再并入") % {"n": into.number, "s": into.get_status_display()}, field="into"
        )
    ctx.data["into"] = into
    ctx.event_data["into"] = into.number


def merge_after(ctx):
    into = ctx.data["into"]
    # Reports already merged into this one follow it, so every reporter hears the final result.
    Case.objects.filter(merged_into=ctx.case).exclude(pk=into.pk).update(merged_into=into)
    CaseEvent.objects.create(
        case=into,
        at=ctx.now,
        action="merge_in",
        actor=ctx.actor,
        actor_label=actor_label(ctx.actor),
        text=_("重复上报 %(n)s 已并入本案") % {"n": ctx.case.number},
        data={"from": ctx.case.number},
        public=False,
    )


def transfer_validate(ctx):
    optional_text(ctx)
    if ctx.data.get("service") not in TransferService.values:
        raise DomainError(_("请选择移交对象：110、119 或 120"), field="service")
    reference = (ctx.data.get("reference") or "").strip()
    if not reference or len(reference) > 64:
        raise DomainError(_("请填写对方的接警或受理编号（不超过64个字符）"), field="reference")
    ctx.data["reference"] = reference
    ctx.event_data.update(service=ctx.data["service"], reference=reference)


def answer_validate(ctx):
    require_text(gettext_lazy("请填写答复内容"))(ctx)
    category = _category(ctx)
    if category.kind not in ANSWERABLE_KINDS:
        raise DomainError(_("只有咨询、建议、表扬类事项可以直接答复办结"), field="category")


def take_check(ctx):
    if ctx.case.level != CaseLevel.COMMUNITY:
        raise DomainError(_("案件已上报到街道，由街道派遣"), code="invalid_transition")


def _clock(ctx, category=None) -> dict:
    category = category or ctx.data.get("category") or ctx.case.category
    changes = sla.start_clock(category=category, now=ctx.now)
    if ctx.case.first_dispatched_at is None:
        changes["first_dispatched_at"] = ctx.now
    ctx.event_data["due_at"] = changes["due_at"].isoformat()
    return changes


def take_effect(ctx):
    return {"lead_department": None, **_clock(ctx)}


def escalate_check(ctx):
    if ctx.case.level == CaseLevel.DISTRICT:
        raise DomainError(_("案件已在区县层级，不能再向上提级"), code="invalid_transition")


def escalate_effect(ctx):
    ctx.event_data.update(from_level=ctx.case.level, to_level=ctx.case.level - 1)
    return {"level": ctx.case.level - 1}


def dispatch_validate(ctx):
    optional_text(ctx)
    _category(ctx)
    _departments(ctx, lead_required=True)
    ctx.event_data.update(lead=ctx.data["lead"].code, assisting=[d.code for d in ctx.data["assisting"]])


def dispatch_effect(ctx):
    return {
        "category": ctx.data["category"],
        "lead_department": ctx.data["lead"],
        # Departments are dispatched by the street or above, whoever presses the button.
        "level": min(ctx.case.level, acting_level(ctx.actor, ctx.case), CaseLevel.STREET),
        **_clock(ctx),
    }


def dispatch_tell(ctx):
    return [
        (recipients.handlers(ctx.case), "case.dispatched", _("新派遣案件 %(n)s（主办）")),
        (recipients.assistants(ctx.case), "case.dispatched", _("新派遣案件 %(n)s（协办）")),
    ]


def assign_validate(ctx):
    optional_text(ctx)
    category = _category(ctx)
    if not on_access_catalogue(category, ctx.case.region_key):
        raise DomainError(
            _("「%(name)s」不在社区工作准入目录内，不能派给社区") % {"name": category.name},
            code="off_catalogue",
            field="category",
        )


def assign_effect(ctx):
    return {
        "category": ctx.data["category"],
        "lead_department": None,
        "level": CaseLevel.COMMUNITY,
        **_clock(ctx),
    }


def return_check(ctx):
    if ctx.case.arbitrated:
        raise DomainError(_("该案件已经裁定由你单位办理，不能再次退回"), code="invalid_transition")


def return_target(ctx) -> str:
    # A second return goes to the dispatcher for a ruling instead of back to the queue.
    return Status.ARBITRATION if ctx.case.return_count >= 1 else Status.RETURNED


def return_effect(ctx):
    case = ctx.case
    ctx.event_data.update(
        department=case.lead_department.code if case.lead_department_id else None, count=case.return_count + 1
    )
    changes = {"return_count": case.return_count + 1, **sla.stop_clock()}
    if case.lead_department_id is None:
        changes["level"] = min(case.level, CaseLevel.STREET)  # the community hands it back to the street
    if return_target(ctx) == Status.RETURNED:
        changes["lead_department"] = None
    return changes


def return_after(ctx):
    if ctx.case.status == Status.RETURNED:
        set_assists(ctx.case, [])


def rule_validate(ctx):
    require_text(gettext_lazy("请填写裁定意见"))(ctx)
    _departments(ctx, lead_required=False)
    lead = ctx.data.get("lead") or ctx.case.lead_department
    ctx.data["lead"] = lead
    ctx.event_data.update(lead=lead.code if lead else None, assisting=[d.code for d in ctx.data["assisting"]])


def rule_effect(ctx):
    lead = ctx.data["lead"]
    changes = {"arbitrated": True, "lead_department": lead, **_clock(ctx)}
    if lead is None:
        changes["level"] = CaseLevel.COMMUNITY
    return changes


def rule_after(ctx):
    if ctx.data["assisting"]:
        set_assists(ctx.case, ctx.data["assisting"])


def extension_request_check(ctx):
    if ctx.case.extension_requested_at is not None:
        raise DomainError(_("已有待审批的延期申请"), code="invalid_transition")
    if ctx.case.breached_at is not None:
        raise DomainError(_("案件已经超期，不能再申请延期"), code="invalid_transition")


def extension_request_validate(ctx):
    require_text(gettext_lazy("请填写延期理由"))(ctx)
    hours, days = ctx.data.get("hours") or 0, ctx.data.get("days") or 0
    if not isinstance(hours, int) or not isinstance(days, int) or hours < 0 or days < 0:
        raise DomainError(_("延期时长应为非负整数"), field="hours")
    if hours == 0 and days == 0:
        raise DomainError(_("请填写延期的工作小时数或工作日数"), field="hours")
    if hours > 240 or days > 60:
        raise DomainError(_("一次延期不能超过240个工作小时或60个工作日"), field="days" if days > 60 else "hours")
    ctx.event_data.update(hours=hours, days=days)


def extension_request_effect(ctx):
    return {
        "extension_hours": ctx.data.get("hours") or 0,
        "extension_days": ctx.data.get("days") or 0,
        "extension_requested_at": ctx.now,
    }


def extension_pending_check(ctx):
    if ctx.case.extension_requested_at is None:
        raise DomainError(_("没有待审批的延期申请"), code="invalid_transition")


def extension_approve_effect(ctx):
    case = ctx.case
    ctx.event_data.update(hours=case.extension_hours, days=case.extension_days)
    changes = sla.extend_clock(case=case, hours=case.extension_hours, days=case.extension_days)
    ctx.event_data["due_at"] = changes["due_at"].isoformat()
    return changes


def extension_deny_effect(ctx):
    return {"extension_hours": 0, "extension_days": 0, "extension_requested_at": None}


def verify_validate(ctx):
    optional_text(ctx)
    if not ctx.data.get("photos"):
        raise DomainError(_("现场核查须上传至少一张现场照片"), field="photos")


def rate_validate(ctx):
    optional_text(ctx)
    if ctx.data.get("rating") not in Rating.values:
        raise DomainError(_("请选择评价：满意、基本满意或不满意"), field="rating")
    ctx.event_data["rating"] = ctx.data["rating"]


def rate_tell(ctx):
    if ctx.case.rating == Rating.UNSATISFIED:
        return [(recipients.closers(ctx.case), "case.unsatisfied", _("案件 %(n)s 的反映人不满意"))]
    return []


def reopen_check(ctx):
    if ctx.case.rating != Rating.UNSATISFIED:
        raise DomainError(_("只有评价为不满意的案件可以重新办理"), code="invalid_transition")
    if ctx.case.reopen_count >= 1:
        raise DomainError(_("每个案件只能重新办理一次"), code="invalid_transition")


def reopen_target(ctx) -> str:
    # A case never sent to a handler (answered at once) goes back to be dispatched.
    return Status.DISPATCHED if ctx.case.first_dispatched_at else Status.ACCEPTED


def reopen_effect(ctx):
    changes = {"reopen_count": ctx.case.reopen_count + 1, "closed_at": None, "handled_at": None}
    if reopen_target(ctx) == Status.DISPATCHED:
        changes.update(_clock(ctx))
    return changes


def reporter_of(case: Case) -> list:
    return [case.reporter] if case.reporter_id else []


def handler_or_holder(case: Case) -> list:
    return recipients.handlers(case) if case.status in WITH_HANDLER else recipients.dispatchers(case)


def breach_effect(ctx):
    case = ctx.case
    new_level = max(case.level - 1, CaseLevel.DISTRICT)
    ctx.event_data.update(from_level=case.level, to_level=new_level, due_at=case.due_at.isoformat())
    return {"breached_at": ctx.now, "breach_count": F("breach_count") + 1, "level": new_level}
