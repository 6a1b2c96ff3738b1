"""Writes to cases. `case_report` files a new case from any channel; every other write is one move
of the workflow table (`workflow.case_transition`), wrapped here with the arguments it takes."""

import math
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.roles import STAFF_ROLES, Role
from wangge.core import audit, pii
from wangge.core.errors import DomainError, validation_error_to_domain
from wangge.core.validators import MOBILE_PATTERN
from wangge.notify.services import notify
from wangge.regions.models import KEY_LENGTH, Level, Region
from wangge.regions.selectors import locate

from . import recipients, suggestions, summary
from .attachments import attach
from .models import (
    Case,
    CaseEvent,
    CaseLevel,
    Category,
    Channel,
    ContactPreference,
    Status,
)
from .numbers import allocate_number
from .parties import actor_label
from .rules import check_category
from .workflow import case_link, case_transition

# Mainland China and its islands, generously: a point outside is a typo or a swapped lng/lat.
CHINA_BOUNDS = (73.4, 3.8, 135.1, 53.6)

# Which channels each role may report through; the system itself (actor None) may use any.
_EVERYONE_STAFF = {Channel.API, Channel.OPEN311}
CHANNELS_BY_ROLE = {
    Role.RESIDENT: {Channel.RESIDENT, Channel.OPEN311},
    Role.GRID_WORKER: {Channel.GRID, Channel.VISIT},
    Role.PART_TIME_GRID_WORKER: {Channel.GRID, Channel.VISIT},
    Role.BUILDING_HEAD: {Channel.GRID, Channel.VISIT},
    Role.COMMUNITY_STAFF: {Channel.GRID, Channel.VISIT, Channel.DELIBERATION, Channel.INSPECTION},
    Role.STREET_DISPATCHER: {Channel.INSPECTION, Channel.LINKAGE, Channel.LEADER, Channel.DELIBERATION},
    Role.DEPARTMENT_HANDLER: {Channel.INSPECTION},
    Role.HOTLINE_OPERATOR: {Channel.HOTLINE, Channel.LINKAGE},
    Role.PARTY_SECRETARY: {Channel.DELIBERATION, Channel.VISIT},
    Role.LEADER: {Channel.LEADER, Channel.INSPECTION},
    Role.ADMINISTRATOR: set(),
}
# Channels where the person reporting is the account acting; on the others (a caller, another
# system) the reporter is named in the report.
SELF_REPORTED = {
    Channel.RESIDENT,
    Channel.GRID,
    Channel.VISIT,
    Channel.INSPECTION,
    Channel.LEADER,
    Channel.DELIBERATION,
}
LANDLINE = r"^0[1-9][0-9]{1,2}-?[0-9]{7,8}$"


def _community_containing(lng: float, lat: float) -> Region | None:
    """The community a point lies in when it lies in none of the grids (grids may not cover all)."""
    import shapely

    from wangge.regions.geometry import to_shape

    point = shapely.Point(lng, lat)
    for region in Region.objects.filter(level=Level.COMMUNITY, geometry__isnull=False).only("key", "geometry"):
        if to_shape(region.geometry).covers(point):
            return region
    return None


def _place(*, actor, lng, lat, crs, region_code) -> tuple[Region | None, str, float | None, float | None]:
    """(grid id or None, region_key, WGS-84 lng, lat) of a report."""
    if lng is not None or lat is not None:
        if lng is None or lat is None:
            raise DomainError(_("经度和纬度须同时提供"), field="lng" if lng is None else "lat")
        if not (math.isfinite(lng) and math.isfinite(lat)):
            raise DomainError(_("经纬度必须是有限的数字"), field="lng")
        hit, (wgs_lng, wgs_lat) = locate(lng=lng, lat=lat, crs=crs)
        west, south, east, north = CHINA_BOUNDS
        if not (west <= wgs_lng <= east and south <= wgs_lat <= north):
            raise DomainError(_("位置不在中国境内，请检查经纬度是否填反"), field="lng")
        if hit is not None:
            # The index has the grid's id and code, and a grid's key is its 15-digit code: no query.
            return hit.id, hit.code[: KEY_LENGTH[Level.GRID]], wgs_lng, wgs_lat
        community = _community_containing(wgs_lng, wgs_lat)
        if community is not None:
            return None, community.key, wgs_lng, wgs_lat
        if not region_code:
            raise DomainError(_("该位置不在本平台的任何网格或社区内，请在地图上重新选点"), field="lng")
        grid, key, __, __ = _place(actor=actor, lng=None, lat=None, crs=crs, region_code=region_code)
        return grid, key, wgs_lng, wgs_lat
    region = None
    if region_code:
        region = Region.objects.filter(code=region_code.strip()).first()
        if region is None:
            raise DomainError(_("区域代码 %(code)s 不存在") % {"code": region_code}, field="region_code")
    elif actor is not None and actor.scope_region_id:
        region = actor.scope_region
    if region is None or region.level < Level.COMMUNITY:
        raise DomainError(_("请在地图上选点，或选择问题所在的社区或网格"), field="region_code" if region else "lng")
    if region.level == Level.MICROGRID:
        region = region.parent
    return (region.pk if region.level == Level.GRID else None), region.key, None, None


def _phone(value: str) -> str:
    import re

    value = (value or "").strip().replace(" ", "")
    if value and not (MOBILE_PATTERN.match(value) or re.match(LANDLINE, value)):
        raise DomainError(_("联系电话应为11位手机号，或带区号的固定电话（如 0830-1234567）"), field="reporter_phone")
    return value


@transaction.atomic
def case_report(
    *,
    actor,
    text: str,
    channel: str,
    category: Category | str | None = None,
    lng: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    address: str = "",
    region_code: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    contact_preference: str | None = None,
    photos=(),
    source_ref: str = "",
    at: datetime | None = None,
) -> Case:
    """File a problem from any channel: checks the text and place, puts the point in its grid,
    numbers the case and tells the community. Anyone logged in may report, through the channels
    of their role; `actor=None` is a system (imports, the demo)."""
    now = at or timezone.now()
    if actor is not None:
        allowed = CHANNELS_BY_ROLE.get(actor.role, set()) | (_EVERYONE_STAFF if actor.role in STAFF_ROLES else set())
        if channel not in allowed:
            label = Channel(channel).label if channel in Channel.values else channel
            raise DomainError(_("您的角色不能通过「%(channel)s」渠道上报") % {"channel": label}, field="channel")
    elif channel not in Channel.values:
        raise DomainError(_("未知渠道：%(channel)s") % {"channel": channel}, field="channel")
    text = (text or "").strip()
    if len(text) < 2:
        raise DomainError(_("请描述问题（至少2个字）"), field="text")
    if len(text) > 2000:
        raise DomainError(_("问题描述不能超过2000字"), field="text")
    if "\x00" in text or "\x00" in (address or ""):
        raise DomainError(_("内容中含有空字符（NUL）"), field="text")
    address = (address or "").strip()
    if len(address) > 200:
        raise DomainError(_("地址不能超过200字"), field="address")
    grid_id, region_key, lng, lat = _place(actor=actor, lng=lng, lat=lat, crs=crs, region_code=region_code)
    case = Case(region_key=region_key)
    if isinstance(category, str) and category:
        from .selectors import category_for_code

        found = category_for_code(code=category, region_key=region_key)
        if found is None:
            raise DomainError(_("事项类别 %(code)s 不存在") % {"code": category}, field="category")
        category = check_category(found, case)
    elif category:
        category = check_category(Category.objects.filter(pk=category.pk).first(), case)  # as it is now
    source_ref = (source_ref or "").strip()
    if len(source_ref) > 64:
        raise DomainError(_("来源编号不能超过64个字符"), field="source_ref")
    if source_ref and Case.objects.filter(channel=channel, source_ref=source_ref).exists():
        raise DomainError(
            _("来源编号 %(ref)s 的问题已经上报过") % {"ref": source_ref}, code="duplicate", field="source_ref"
        )
    self_reported = channel in SELF_REPORTED or (actor is not None and actor.role == Role.RESIDENT)
    reporter = actor if self_reported else None
    reporter_name = (reporter_name or "").strip()[:50]
    if reporter is not None and not reporter_name:
        reporter_name = reporter.display_name or reporter.get_username()
    phone = _phone(reporter_phone)
    phone_cipher, _index, phone_masked = pii.protect_phone(phone)
    if contact_preference is None:
        contact_preference = (
            ContactPreference.APP if reporter else (ContactPreference.PHONE if phone else ContactPreference.NONE)
        )
    if contact_preference not in ContactPreference.values:
        raise DomainError(_("回复方式应为站内消息、电话回访、短信或无需回复"), field="contact_preference")
    if contact_preference in (ContactPreference.PHONE, ContactPreference.SMS) and not phone:
        raise DomainError(_("选择电话或短信回复时请留下联系电话"), field="reporter_phone")
    if contact_preference == ContactPreference.APP and reporter is None:
        raise DomainError(_("站内消息只能回复有账号的上报人，请选择电话、短信或无需回复"), field="contact_preference")
    case = Case(
        text=text,
        category=category or None,
        channel=channel,
        source_ref=source_ref,
        reporter=reporter,
        reporter_name=reporter_name,
        reporter_phone_cipher=phone_cipher,
        reporter_phone_masked=phone_masked,
        contact_preference=contact_preference,
        lng=lng,
        lat=lat,
        address=address,
        grid_id=grid_id,
        region_key=region_key,
        status=Status.REPORTED,
        level=CaseLevel.COMMUNITY,
        reported_at=now,
    )
    try:
        # The table's constraints hold by construction here (status, level, version are set above;
        # the source reference was checked), and the category, reporter and grid were just read in
        # this transaction: skipping their one-query-each checks keeps intake short.
        case.full_clean(exclude=["number", "category", "reporter", "grid"], validate_constraints=False)
    except ValidationError as exc:
        raise validation_error_to_domain(exc) from None
    # Taken last: the counter row stays locked until commit, so the less follows, the more
    # reports can be filed at once.
    case.number = allocate_number(timezone.localtime(now).year)
    case.save()
    event = CaseEvent.objects.create(
        case=case,
        at=now,
        action="report",
        to_status=Status.REPORTED,
        actor=actor,
        # Staff filing for someone (the 12345 operator, a grid worker) are named; a resident's
        # own report keeps the name they gave, if any.
        actor_label=reporter_name or (actor_label(actor) if actor and actor.role in STAFF_ROLES else audit.SYSTEM),
        data={"channel": channel},
    )
    if photos:
        attach(case=case, event=event, actor=actor, photos=photos, now=now)
    audit.record(
        actor=actor,
        verb="case.report",
        target=case,
        scope_key=region_key,
        after=audit.snapshot(
            case, ["number", "category", "channel", "region_key", "reporter", "reporter_phone_masked", "address"]
        ),
    )
    notify(
        recipients=recipients.community_staff(case),
        kind="case.reported",
        title=f"新上报案件 {case.number}",
        body=text[:200],
        link=case_link(case),
        target=case,
    )
    suggestions.request_for(case)
    # Last, so the summary rows stay locked only until the commit (reports in one place and day
    # add to the same rows).
    summary.record(None, summary.fact(case))
    return case


def phone_reveal_capability(actor) -> str | None:
    """What an actor needs to see a reporter's phone in full: the hotline calls reporters back as its
    job (None: no further right); everyone else needs the right to see personal data."""
    from wangge.accounts.roles import REVEAL_PII

    return None if actor is not None and actor.role == Role.HOTLINE_OPERATOR else REVEAL_PII


def can_reveal_phone(actor, case: Case) -> bool:
    """Whether the case page offers the reveal: a phone is stored and the actor may see it."""
    capability = phone_reveal_capability(actor)
    return bool(case.reporter_phone_cipher) and (capability is None or actor.can(capability))


def reporter_phone(*, actor, case: Case, reason: str) -> str:
    """The caller's full phone number, for calling back; the reveal is audited with its reason."""
    from .parties import can_see

    if not can_see(actor, case):
        from wangge.core.errors import NotFound

        raise NotFound(_("案件不存在，或不在您的管辖范围内"))
    if not case.reporter_phone_cipher:
        return ""
    return pii.reveal(
        actor=actor,
        obj=case,
        cipher="reporter_phone_cipher",
        reason=reason,
        verb="case.reveal_phone",
        capability=phone_reveal_capability(actor),
    )


# ---- one wrapper per move of the table -------------------------------------------------------


def _move(action: str, case: Case, actor, expected_version, at, **data) -> Case:
    return case_transition(case=case, action=action, actor=actor, expected_version=expected_version, at=at, **data)


@transaction.atomic
def case_accept(*, case, actor, expected_version, category=None, text="", at=None) -> Case:
    """File a reported case (案卷建立), choosing its category. Community staff, dispatchers, hotline."""
    moved = _move("accept", case, actor, expected_version, at, category=category, text=text)
    suggestions.record_final(moved, actor)
    return moved


def case_reject(*, case, actor, expected_version, reason, at=None) -> Case:
    """Refuse to file, with the reason told to the reporter. Community staff, dispatchers, hotline."""
    return _move("reject", case, actor, expected_version, at, text=reason)


def case_merge(*, case, into, actor, expected_version, text="", at=None) -> Case:
    """Merge a duplicate into an open case; its reporter hears the result of that one."""
    return _move("merge", case, actor, expected_version, at, into=into, text=text)


def case_transfer(*, case, actor, expected_version, service, reference, text="", at=None) -> Case:
    """Hand an emergency to 110/119/120, recording their reference number."""
    return _move("transfer", case, actor, expected_version, at, service=service, reference=reference, text=text)


@transaction.atomic
def case_answer(*, case, actor, expected_version, text, category=None, at=None) -> Case:
    """Close a consultation, suggestion or praise with an answer, sending no one on site."""
    moved = _move("answer", case, actor, expected_version, at, text=text, category=category)
    suggestions.record_final(moved, actor)
    return moved


def case_take(*, case, actor, expected_version, text="", at=None) -> Case:
    """The community handles a filed case itself (clock starts). Community staff."""
    return _move("take", case, actor, expected_version, at, text=text)


def case_escalate(*, case, actor, expected_version, reason="", at=None) -> Case:
    """Send a filed or returned case one level up (community → street → district)."""
    return _move("escalate", case, actor, expected_version, at, text=reason)


@transaction.atomic
def case_dispatch(*, case, actor, expected_version, lead, assisting=(), category=None, note="", at=None) -> Case:
    """Dispatch to one lead and any assisting departments serving the place (clock starts). Dispatchers."""
    moved = _move(
        "dispatch",
        case,
        actor,
        expected_version,
        at,
        lead=lead,
        assisting=list(assisting),
        category=category,
        text=note,
    )
    suggestions.record_final(moved, actor)
    return moved


@transaction.atomic
def case_assign_community(*, case, actor, expected_version, category=None, note="", at=None) -> Case:
    """Hand the case down to its community; refused unless its category is on the access catalogue."""
    moved = _move("assign_community", case, actor, expected_version, at, category=category, text=note)
    suggestions.record_final(moved, actor)
    return moved


def case_return(*, case, actor, expected_version, reason, at=None) -> Case:
    """The handler returns a wrongly sent case (退单); the second return goes to arbitration."""
    return _move("return", case, actor, expected_version, at, text=reason)


def case_rule_return(*, case, actor, expected_version, ruling, lead=None, assisting=(), at=None) -> Case:
    """The dispatcher rules on a twice-returned case: `lead` (default: the returning department) must
    handle it and cannot return it again."""
    return _move("rule_return", case, actor, expected_version, at, text=ruling, lead=lead, assisting=list(assisting))


def case_start(*, case, actor, expected_version, note="", at=None) -> Case:
    """The lead department (or the community) signs for the case and starts work."""
    return _move("start", case, actor, expected_version, at, text=note)


def case_suspend(*, case, actor, expected_version, reason, at=None) -> Case:
    """Stop the clock while waiting on the resident. The handler."""
    return _move("suspend", case, actor, expected_version, at, text=reason)


def case_resume(*, case, actor, expected_version, note="", at=None) -> Case:
    """Restart the clock; the deadline moves on by the working time suspended. The handler."""
    return _move("resume", case, actor, expected_version, at, text=note)


def case_request_extension(*, case, actor, expected_version, reason, hours=0, days=0, at=None) -> Case:
    """Ask for more working hours or days (延期). The handler, before the deadline."""
    return _move("request_extension", case, actor, expected_version, at, text=reason, hours=hours, days=days)


def case_approve_extension(*, case, actor, expected_version, note="", at=None) -> Case:
    """Grant the pending extension: the deadline moves by it. Dispatchers."""
    return _move("approve_extension", case, actor, expected_version, at, text=note)


def case_deny_extension(*, case, actor, expected_version, reason, at=None) -> Case:
    """Refuse the pending extension. Dispatchers."""
    return _move("deny_extension", case, actor, expected_version, at, text=reason)


def case_handle(*, case, actor, expected_version, report, photos=(), at=None) -> Case:
    """Report the result with text and photos (处理反馈); the clock stops. The handler."""
    return _move("handle", case, actor, expected_version, at, text=report, photos=list(photos))


def case_rework(*, case, actor, expected_version, reason, photos=(), at=None) -> Case:
    """On-site check failed: back to the handler, whose clock goes on. The grid worker."""
    return _move("rework", case, actor, expected_version, at, text=reason, photos=list(photos))


def case_verify(*, case, actor, expected_version, photos, note="", at=None) -> Case:
    """Confirm the result on site with at least one photo (核查). The grid worker."""
    return _move("verify", case, actor, expected_version, at, text=note, photos=list(photos))


def case_close(*, case, actor, expected_version, note="", at=None) -> Case:
    """Close a verified case; the reporter and every merged reporter are told. The level's holder."""
    return _move("close", case, actor, expected_version, at, text=note)


def case_rate(*, case, actor, expected_version, rating, comment="", at=None) -> Case:
    """满意/基本满意/不满意 from the reporter, or from the hotline calling back."""
    return _move("rate", case, actor, expected_version, at, rating=rating, text=comment)


def case_reopen(*, case, actor, expected_version, reason="", at=None) -> Case:
    """Reopen an unsatisfied case, once: back to the same handler with a fresh clock."""
    return _move("reopen", case, actor, expected_version, at, text=reason)


def case_urge(*, case, actor, text="", at=None) -> Case:
    """Urge the handler (催办); recorded and counted. Overseers and the reporter."""
    return _move("urge", case, actor, None, at, text=text)


def case_supervise(*, case, actor, text="", at=None) -> Case:
    """Put the case under supervision (督办): it shows on leaders' boards. Leaders and dispatchers."""
    return _move("supervise", case, actor, None, at, text=text)


def case_note(*, case, actor, text, photos=(), at=None) -> Case:
    """An internal note on the timeline (assisting departments report their part this way)."""
    return _move("note", case, actor, None, at, text=text, photos=list(photos))
