"""Writes to the special care groups (特殊人群台账): who is cared for, how closely, how often
they are visited and by whom."""

import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from wangge.accounts.roles import MANAGE_CARE, require
from wangge.core import audit
from wangge.core.errors import Conflict, DomainError, NotFound
from wangge.core.scope import in_scope

from ..common import KEEP, VISITOR_ROLES
from ..models import CareGroup, CareLevel, CareRecord, Resident
from .residents import _check_date, _check_resident, _clean_text

CARE_FIELDS = [
    "resident",
    "group",
    "level",
    "visit_every_days",
    "responsible",
    "region_key",
    "plan",
    "last_visit_on",
    "next_due_on",
    "ended_on",
    "end_reason",
]


def _check_record(actor, record: CareRecord) -> None:
    if actor is not None and not in_scope(actor, record.region_key):
        raise NotFound(_("关爱记录不存在或不在您的管辖范围内"), field="record")


def _level(level) -> int:
    if level not in CareLevel.values:
        raise DomainError(_("关爱等级应为1（重点关注）、2（一般关注）或3（日常关注）"), field="level")
    return level


def _frequency(days) -> int:
    if type(days) is not int or not 1 <= days <= 365:
        raise DomainError(_("走访周期应为1至365天"), field="visit_every_days")
    return days


def _responsible(actor, user, region_key: str):
    """The named visitor: an active grid worker, building head or community worker inside the
    actor's scope whose own scope covers the resident."""
    if user is None:
        raise DomainError(_("请指定责任网格员"), field="responsible")
    if actor is not None and not in_scope(actor, user.scope_key or "\0"):
        raise NotFound(_("责任人不存在或不在您的管辖范围内"), field="responsible")
    if not user.is_active or user.role not in VISITOR_ROLES:
        raise DomainError(
            _("责任人%(u)s不是在岗的网格员、楼栋长或社区工作者") % {"u": user.username}, field="responsible"
        )
    if not in_scope(user, region_key):
        raise DomainError(_("责任人%(u)s的管辖范围不包括该居民的住址") % {"u": user.username}, field="responsible")
    return user


def next_due(record: CareRecord) -> datetime.date | None:
    if record.last_visit_on is None:
        return None
    return record.last_visit_on + datetime.timedelta(days=record.visit_every_days)


@transaction.atomic
def care_create(
    *,
    actor,
    resident: Resident,
    group: str,
    responsible,
    level: int = CareLevel.MEDIUM,
    visit_every_days: int = 30,
    plan: str = "",
) -> CareRecord:
    """Put a resident living in the area into a care group with a level, a visit frequency and
    a named visitor. A resident may be in several groups, once in each."""
    require(actor, MANAGE_CARE)
    _check_resident(actor, resident)
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    if resident.left_on is not None:
        raise DomainError(_("已迁出的居民不能列为关爱对象"), field="resident")
    if group not in CareGroup.values:
        raise DomainError(_("未知的关爱类别：%(g)s") % {"g": group}, field="group")
    record = CareRecord(
        resident=resident,
        group=group,
        level=_level(level),
        visit_every_days=_frequency(visit_every_days),
        responsible=_responsible(actor, responsible, resident.region_key),
        region_key=resident.region_key,
        plan=_clean_text(plan, field="plan", label=_("帮扶计划"), max_length=2000),
    )
    duplicate = Conflict(
        _("%(name)s已在“%(group)s”关爱名单中") % {"name": resident.name, "group": CareGroup(group).label},
        code="duplicate",
        field="group",
    )
    if CareRecord.objects.filter(resident=resident, group=group, ended_on__isnull=True).exists():
        raise duplicate
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        raise duplicate from None
    audit.record(
        actor=actor,
        verb="care.create",
        target=record,
        target_label=f"{resident.name} {CareGroup(group).label}",
        scope_key=record.region_key,
        after=audit.snapshot(record, CARE_FIELDS),
    )
    return record


@transaction.atomic
def care_update(
    *, actor, record: CareRecord, level=KEEP, visit_every_days=KEEP, responsible=KEEP, plan=KEEP
) -> CareRecord:
    """Change a care record's level, frequency, visitor or plan; the next visit date follows
    the new frequency."""
    require(actor, MANAGE_CARE)
    _check_record(actor, record)
    record = CareRecord.objects.select_for_update().select_related("resident").get(pk=record.pk)
    if record.ended_on is not None:
        raise Conflict(_("该关爱记录已于%(d)s结束") % {"d": record.ended_on.isoformat()}, field="record")
    before = audit.snapshot(record, CARE_FIELDS)
    if level is not KEEP:
        record.level = _level(level)
    if visit_every_days is not KEEP:
        record.visit_every_days = _frequency(visit_every_days)
        record.next_due_on = next_due(record)
    if responsible is not KEEP:
        record.responsible = _responsible(actor, responsible, record.region_key)
    if plan is not KEEP:
        record.plan = _clean_text(plan, field="plan", label=_("帮扶计划"), max_length=2000)
    after = audit.snapshot(record, CARE_FIELDS)
    if after == before:
        return record
    record.save()
    audit.record(
        actor=actor,
        verb="care.update",
        target=record,
        target_label=f"{record.resident.name} {record.get_group_display()}",
        scope_key=record.region_key,
        before=before,
        after=after,
    )
    return record


@transaction.atomic
def care_end(*, actor, record: CareRecord, on: datetime.date, reason: str) -> CareRecord:
    """Close a care record (e.g. the child came of age, the family left low income) with a reason."""
    require(actor, MANAGE_CARE)
    _check_record(actor, record)
    record = CareRecord.objects.select_for_update().select_related("resident").get(pk=record.pk)
    if record.ended_on is not None:
        raise Conflict(_("该关爱记录已于%(d)s结束") % {"d": record.ended_on.isoformat()}, field="record")
    on = _check_date(on, field="on", label=_("结束日期"))
    if on < record.created_at.date():
        raise DomainError(_("结束日期不能早于列入日期"), field="on")
    reason = _clean_text(reason, field="reason", label=_("结束原因"), max_length=200, required=True)
    before = audit.snapshot(record, CARE_FIELDS)
    record.ended_on, record.end_reason = on, reason
    record.save()
    audit.record(
        actor=actor,
        verb="care.end",
        target=record,
        target_label=f"{record.resident.name} {record.get_group_display()}",
        scope_key=record.region_key,
        before=before,
        after=audit.snapshot(record, CARE_FIELDS),
        note=reason,
    )
    return record
