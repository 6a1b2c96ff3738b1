"""Activities (sign-up, check-in by QR code) and service records confirmed by the community.

Check-in: the organiser's phone shows a QR code of a signed link naming the activity and its
current secret; whoever opens it while logged in, during the activity, is checked in. The
signature stops anyone forging a link from an activity number; replacing the secret retires
every code shown so far.

Confirming a service record sends `contracts.service_confirmed` inside the confirming
transaction, keyed "party.service:<id>"; the transition table lets a record be confirmed once.
"""

import datetime

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.roles import MANAGE_PARTY, require
from wangge.core import audit
from wangge.core.errors import Conflict, DomainError
from wangge.core.scope import in_scope
from wangge.core.validators import parse_record_id, parse_text
from wangge.regions.models import Level

from . import common
from .contracts import ActivityType, service_confirmed
from .models import Activity, Attendance, Claim, Member, Organisation, ServiceRecord, ServiceStatus
from .services import approved_registration, member_in_scope

CHECKIN_SALT = "wangge.party.checkin"
# Check-in opens a little before the start and stays open a while after the end.
CHECKIN_EARLY = datetime.timedelta(hours=1)
CHECKIN_LATE = datetime.timedelta(hours=2)


# More people than any activity of a community gathers; also keeps the number inside the column.
MAX_CAPACITY = 10000


def _member_of(user) -> Member | None:
    if user is None or not user.is_authenticated:
        return None
    return Member.objects.filter(user=user, left_on__isnull=True).first()


@transaction.atomic
def activity_create(
    *,
    actor,
    title: str,
    activity_type: str,
    community_code: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    place: str = "",
    capacity: int | None = None,
    project_id: int | None = None,
    need_id: int | None = None,
) -> Activity:
    """An activity of a community in the actor's scope (volunteering, patrol, …)."""
    require(actor, MANAGE_PARTY)
    community = common.region(actor, community_code, field="community_code", levels=(Level.COMMUNITY,), label=_("社区"))
    if not isinstance(starts_at, datetime.datetime):
        raise DomainError(_("请填写开始时间"), field="starts_at")
    if not isinstance(ends_at, datetime.datetime) or ends_at <= starts_at:
        raise DomainError(_("结束时间应晚于开始时间"), field="ends_at")
    if ends_at - starts_at > datetime.timedelta(days=7):
        raise DomainError(_("一次活动最长7天，长期项目请放在项目清单"), field="ends_at")
    if capacity is not None and capacity < 1:
        raise DomainError(_("人数上限至少为1，不限人数请留空"), field="capacity")
    if capacity is not None and capacity > MAX_CAPACITY:
        raise DomainError(_("人数上限最多为%(n)d人") % {"n": MAX_CAPACITY}, field="capacity")
    activity = Activity(
        title=parse_text(title, "title", 100, label=_("活动名称"), required=True),
        activity_type=common.choice(activity_type, ActivityType, "activity_type", _("活动类型")),
        community=community,
        region_key=community.key,
        place=parse_text(place, "place", 120, label=_("地点")),
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        organiser=actor if actor is not None and actor.pk else None,
    )
    if project_id not in (None, ""):
        activity.project = _in_community("project", project_id, community.key)
    if need_id not in (None, ""):
        activity.need = _in_community("need", need_id, community.key)
    activity.save()
    audit.record(
        actor=actor,
        verb="party.activity.create",
        target=activity,
        scope_key=activity.region_key,
        after=audit.snapshot(activity),
    )
    return activity


def _in_community(kind: str, pk, key: str):
    from .models import Need, Project

    model = {"project": Project, "need": Need}[kind]
    found = model.objects.filter(pk=pk, region_key__startswith=key).first()
    if found is None:
        raise common.not_found(str(model._meta.verbose_name), f"{kind}_id")
    return found


@transaction.atomic
def activity_sign_up(*, actor, activity: Activity, member_id: int | None = None) -> Attendance:
    """Sign oneself up for an activity of one's community, or (party staff) sign up a member."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if not common.reachable(actor, activity.region_key):
        raise common.not_found(_("活动"))
    if activity.ends_at <= timezone.now():
        raise Conflict(_("活动已结束，不能报名"))
    member_id = parse_record_id(member_id, field="member_id", label=_("党员"))
    if member_id is not None:
        require(actor, MANAGE_PARTY)
        member = Member.objects.select_related("organisation").filter(pk=member_id, left_on__isnull=True).first()
        if member is None or not member_in_scope(actor, member):
            raise common.not_found(_("党员"), "member_id")
        attendance = Attendance(activity=activity, member=member, user=member.user)
    else:
        attendance = Attendance(activity=activity, user=actor, member=_member_of(actor))
    taken = activity.attendances.count()
    if activity.capacity is not None and taken >= activity.capacity:
        raise Conflict(_("报名人数已满（%(n)d人）") % {"n": activity.capacity})
    try:
        with transaction.atomic():
            attendance.save()
    except IntegrityError:
        raise Conflict(_("%(who)s 已报名该活动") % {"who": attendance.label}) from None
    audit.record(
        actor=actor,
        verb="party.activity.sign_up",
        target=attendance,
        target_label=f"{attendance.label} → {activity.title}",
        scope_key=activity.region_key,
    )
    return attendance


def checkin_token(activity: Activity) -> str:
    return signing.dumps({"a": activity.pk, "s": activity.checkin_secret}, salt=CHECKIN_SALT, compress=True)


def checkin_activity(token: str) -> Activity:
    """The activity a check-in link names; a forged, altered or retired link is refused."""
    try:
        data = signing.loads(token, salt=CHECKIN_SALT)
        activity = Activity.objects.filter(pk=int(data["a"]), checkin_secret=str(data["s"])).first()
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        activity = None
    if activity is None:
        raise DomainError(_("签到码无效或已更换，请扫描组织者手机上的最新签到码"), field="token", code="bad_token")
    return activity


@transaction.atomic
def activity_check_in(*, actor, token: str) -> tuple[Attendance, bool]:
    """Check the logged-in person in at the activity the scanned code names. Returns the
    attendance and whether this scan checked them in (False: already checked in). Anyone
    logged in who is there may check in, signed up or not: the code is shown on site."""
    activity = checkin_activity(token)
    if actor is None or not actor.is_authenticated:
        raise DomainError(_("请先登录再签到"), code="unauthenticated")
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    now = timezone.now()
    if now < activity.starts_at - CHECKIN_EARLY:
        raise Conflict(_("签到尚未开始：活动开始前1小时开放签到"))
    if now > activity.ends_at + CHECKIN_LATE:
        raise Conflict(_("签到已结束"))
    attendance = Attendance.objects.filter(activity=activity, user=actor).first()
    member = _member_of(actor)
    if attendance is None and member is not None:
        attendance = Attendance.objects.filter(activity=activity, member=member).first()
    if attendance is None:
        attendance = Attendance(activity=activity, user=actor, member=member)
    if attendance.checked_in_at is not None:
        return attendance, False
    attendance.checked_in_at = now
    attendance.save()
    audit.record(
        actor=actor,
        verb="party.activity.check_in",
        target=attendance,
        target_label=f"{attendance.label} → {activity.title}",
        scope_key=activity.region_key,
    )
    return attendance, True


@transaction.atomic
def activity_renew_code(*, actor, activity: Activity) -> Activity:
    """Replace the check-in secret, e.g. when a photo of the code went round a chat group."""
    require(actor, MANAGE_PARTY)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if actor is not None and not in_scope(actor, activity.region_key):
        raise common.not_found(_("活动"))
    from .models import new_checkin_secret

    activity.checkin_secret = new_checkin_secret()
    activity.save(update_fields=["checkin_secret", "updated_at"])
    audit.record(actor=actor, verb="party.activity.renew_code", target=activity, scope_key=activity.region_key)
    return activity


# ---- service records ------------------------------------------------------------------------


def _check_creditable(record: ServiceRecord) -> None:
    """The points ledger needs a resident, an account or a unit to credit."""
    if record.member_id and not (record.member.resident_id or record.member.user_id or record.user_id):
        raise DomainError(_("%(m)s 未关联居民档案或账号，无法记录服务") % {"m": record.member.name}, field="member_id")
    if record.organisation_id and not record.organisation.unit_id and not record.member_id and not record.user_id:
        raise DomainError(
            _("%(o)s 未关联驻区单位，无法记录服务") % {"o": record.organisation.name}, field="organisation_id"
        )


def _save_record(actor, record: ServiceRecord) -> ServiceRecord:
    _check_creditable(record)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        raise Conflict(_("%(w)s 在该活动已有服务记录") % {"w": record.who_label}) from None
    audit.record(
        actor=actor,
        verb="party.service.record",
        target=record,
        scope_key=record.region_key,
        after=audit.snapshot(record),
    )
    return record


@transaction.atomic
def service_record_attendance(*, actor, activity: Activity, hours) -> list[ServiceRecord]:
    """After an activity, record the same hours for everyone checked in who has no record yet."""
    require(actor, MANAGE_PARTY)
    if actor is not None and not in_scope(actor, activity.region_key):
        raise common.not_found(_("活动"))
    amount = common.hours(hours)
    if amount <= 0:
        raise DomainError(_("服务时长应大于0"), field="hours")
    if activity.starts_at > timezone.now():
        raise Conflict(_("活动尚未开始，不能记录服务时长"))
    recorded_users = set(activity.service_records.exclude(user=None).values_list("user_id", flat=True))
    recorded_members = set(activity.service_records.exclude(member=None).values_list("member_id", flat=True))
    created = []
    for attendance in activity.attendances.filter(checked_in_at__isnull=False).select_related("member", "user"):
        if attendance.user_id in recorded_users or attendance.member_id in recorded_members:
            continue
        record = ServiceRecord(
            activity=activity,
            activity_type=activity.activity_type,
            member=attendance.member,
            user=attendance.user,
            community=activity.community,
            region_key=activity.region_key,
            occurred_on=timezone.localtime(activity.starts_at).date(),
            hours=amount,
            description=_("参加『%(t)s』") % {"t": activity.title},
            recorded_by=actor if actor is not None and actor.pk else None,
        )
        created.append(_save_record(actor, record))
    if not created:
        raise DomainError(_("没有需要记录的签到人员：尚无人签到，或都已记录"), field="hours")
    return created


@transaction.atomic
def service_record_create(
    *,
    actor,
    community_code: str,
    occurred_on,
    hours,
    description: str,
    activity_type: str = ActivityType.VOLUNTEER,
    member_id: int | None = None,
    organisation_id: int | None = None,
    claim_id: int | None = None,
) -> ServiceRecord:
    """Record service done outside an activity — a member's or a unit's work on a claimed need."""
    require(actor, MANAGE_PARTY)
    community = common.region(actor, community_code, field="community_code", levels=(Level.COMMUNITY,), label=_("社区"))
    member_id = parse_record_id(member_id, field="member_id", label=_("党员"))
    organisation_id = parse_record_id(organisation_id, field="organisation_id", label=_("党组织"))
    claim_id = parse_record_id(claim_id, field="claim_id", label=_("认领"))
    if (member_id is None) == (organisation_id is None):
        raise DomainError(_("请选择服务的党员或党组织（二选一）"), field="member_id")
    record = ServiceRecord(
        community=community,
        region_key=community.key,
        activity_type=common.choice(activity_type, ActivityType, "activity_type", _("服务类型")),
        occurred_on=common.date(occurred_on, "occurred_on", _("服务日期")),
        hours=common.hours(hours),
        description=parse_text(description, "description", 200, label=_("服务内容"), required=True),
        recorded_by=actor if actor is not None and actor.pk else None,
    )
    if record.occurred_on > timezone.localdate():
        raise DomainError(_("服务日期不能晚于今天"), field="occurred_on")
    # Whoever served lives or sits in the actor's scope, or has reported to this community (双报到):
    # the community's issuing account pays for the service, so no one else may be credited from it.
    if member_id is not None:
        record.member = Member.objects.select_related("organisation").filter(pk=member_id, left_on__isnull=True).first()
        if record.member is None or not (
            member_in_scope(actor, record.member)
            or approved_registration(community_key=community.key, member=record.member)
        ):
            raise common.not_found(_("党员"), "member_id")
        record.user_id = record.member.user_id
    else:
        record.organisation = Organisation.objects.filter(pk=organisation_id).first()
        if record.organisation is None or not (
            actor is None
            or in_scope(actor, record.organisation.region_key)
            or approved_registration(community_key=community.key, organisation=record.organisation)
        ):
            raise common.not_found(_("党组织"), "organisation_id")
    if claim_id is not None:
        record.claim = Claim.objects.filter(pk=claim_id, region_key__startswith=community.key).first()
        if record.claim is None:
            raise common.not_found(_("认领"), "claim_id")
    return _save_record(actor, record)


# The one table of service-record moves.
SERVICE_TRANSITIONS = {
    ("submitted", "confirmed"): "confirm",
    ("submitted", "rejected"): "reject",
}


def _move(actor, record: ServiceRecord, status: str) -> ServiceRecord:
    require(actor, MANAGE_PARTY)
    record = (
        ServiceRecord.objects.select_for_update(of=("self",)).select_related("member", "organisation").get(pk=record.pk)
    )
    if actor is not None and not in_scope(actor, record.region_key):
        raise common.not_found(_("服务记录"))
    if (record.status, status) not in SERVICE_TRANSITIONS:
        raise Conflict(
            _("该服务记录已是“%(s)s”，不能再%(v)s")
            % {"s": record.get_status_display(), "v": _("确认") if status == "confirmed" else _("退回")},
            field="status",
        )
    return record


@transaction.atomic
def service_confirm(*, actor, record: ServiceRecord) -> ServiceRecord:
    """The community confirms a service record, once. The points ledger hears of it in the same
    transaction; if a receiver refuses, the confirmation rolls back with it."""
    record = _move(actor, record, ServiceStatus.CONFIRMED)
    record.status = ServiceStatus.CONFIRMED
    record.confirmed_by = actor if actor is not None and actor.pk else None
    record.confirmed_at = timezone.now()
    record.save(update_fields=["status", "confirmed_by", "confirmed_at", "updated_at"])
    audit.record(
        actor=actor,
        verb="party.service.confirm",
        target=record,
        scope_key=record.region_key,
        before={"status": "submitted"},
        after={"status": "confirmed", "hours": str(record.hours)},
    )
    member = record.member
    service_confirmed.send(
        sender=ServiceRecord,
        key=f"party.service:{record.pk}",
        activity_type=record.activity_type,
        hours=record.hours,
        occurred_on=record.occurred_on,
        region_key=record.region_key,
        resident_id=member.resident_id if member is not None else None,
        user_id=record.user_id or (member.user_id if member is not None else None),
        unit_id=record.organisation.unit_id if record.organisation_id else None,
        label=record.description,
        actor=actor if actor is not None and actor.pk else None,
    )
    return record


@transaction.atomic
def service_reject(*, actor, record: ServiceRecord, reason: str) -> ServiceRecord:
    """The community does not confirm a record (not there, wrong hours), saying why."""
    record = _move(actor, record, ServiceStatus.REJECTED)
    reason = parse_text(reason, "reason", 200, label=_("退回原因"), required=True)
    record.status, record.reason = ServiceStatus.REJECTED, reason
    record.save(update_fields=["status", "reason", "updated_at"])
    audit.record(
        actor=actor,
        verb="party.service.reject",
        target=record,
        scope_key=record.region_key,
        before={"status": "submitted"},
        after={"status": "rejected", "reason": reason},
    )
    return record
