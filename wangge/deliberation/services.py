"""Writes to deliberation, one service per act: proposing, hearing, carrying out and evaluating a
matter (meetings and votes are in `meetings`). Each checks the actor's capability and place, runs
in one transaction and writes one audit record; status changes go through
`workflow.matter_transition`."""

import datetime
import math
import os

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.accounts.models import User
from wangge.accounts.roles import HEAR_MATTERS, PROPOSE_MATTER, RUN_MEETINGS, Role, require
from wangge.cases.attachments import max_bytes, sniff
from wangge.cases.models import Channel
from wangge.core import audit
from wangge.core.errors import Conflict, DomainError, Forbidden, NotFound
from wangge.core.scope import in_scope
from wangge.core.validators import parse_record_id, parse_text
from wangge.regions.models import Building, Compound, Level, Region

from . import notices
from .models import (
    Evaluation,
    Home,
    Matter,
    MatterPhoto,
    Meeting,
    PlaceLevel,
    Rating,
    Status,
    Support,
    Task,
)
from .selectors import CASE_DONE, progress, takes_part
from .workflow import matter_transition

NOT_FOUND = gettext_lazy("议事事项不存在，或不在您的管辖范围内")
MAX_FILES = 9
CHINA_BOUNDS = (73.4, 3.8, 135.1, 53.6)


def supports_needed() -> int:
    return max(1, int(getattr(settings, "WANGGE_DELIBERATION_SUPPORTS", 5)))


# ---- small checks ---------------------------------------------------------------------------


def resolve_place(value: str) -> dict:
    """Parse a place: a community or grid code, `compound:<id>` or `building:<id>`."""
    value = (value or "").strip()
    if not value:
        raise DomainError(_("请选择议事范围（楼栋、小区、网格或社区）"), field="place")
    kind, __, ident = value.partition(":")
    if kind in ("compound", "building"):
        try:
            pk = parse_record_id(ident, field="place", label=_("议事范围"))
        except DomainError:
            pk = None
        if pk is None:
            raise DomainError(_("议事范围 %(value)s 无效") % {"value": value}, field="place")
        if kind == "compound":
            compound = Compound.objects.select_related("grid").filter(pk=pk).first()
            if compound is None:
                raise DomainError(_("小区 %(id)s 不存在") % {"id": ident}, field="place")
            return {
                "level": PlaceLevel.COMPOUND,
                "region": compound.grid,
                "compound": compound,
                "building": None,
                "region_key": compound.region_key,
            }
        building = Building.objects.select_related("compound__grid").filter(pk=pk).first()
        if building is None:
            raise DomainError(_("楼栋 %(id)s 不存在") % {"id": ident}, field="place")
        return {
            "level": PlaceLevel.BUILDING,
            "region": building.compound.grid,
            "compound": building.compound,
            "building": building,
            "region_key": building.region_key,
        }
    region = Region.objects.filter(code=value).first()
    if region is None:
        raise DomainError(_("区域代码 %(value)s 不存在") % {"value": value}, field="place")
    if region.level not in (Level.COMMUNITY, Level.GRID):
        raise DomainError(_("议事范围只能是楼栋、小区、网格或社区"), field="place")
    level = PlaceLevel.COMMUNITY if region.level == Level.COMMUNITY else PlaceLevel.GRID
    return {"level": level, "region": region, "compound": None, "building": None, "region_key": region.key}


def _files(files, *, allow_pdf: bool) -> list[tuple[ContentFile, str, str]]:
    """Check uploads by their first bytes; returns (content, type, name) for each."""
    files = list(files or [])
    if len(files) > MAX_FILES:
        raise DomainError(_("每次最多上传 %(n)d 个文件") % {"n": MAX_FILES}, field="photos")
    checked = []
    for file in files:
        name = os.path.basename(getattr(file, "name", "") or "")[:120]
        data = file.read()
        if not data:
            raise DomainError(_("文件 %(name)s 是空文件") % {"name": name}, field="photos")
        if len(data) > max_bytes():
            raise DomainError(
                _("文件 %(name)s 超过上限 %(kb)d KB") % {"name": name, "kb": max_bytes() // 1024}, field="photos"
            )
        kind = sniff(data[:16]) or ("application/pdf" if allow_pdf and data.startswith(b"%PDF-") else None)
        if kind is None:
            allowed = _("JPEG、PNG、WebP 图片或 PDF") if allow_pdf else _("JPEG、PNG 或 WebP 图片")
            raise DomainError(_("文件 %(name)s 不是 %(allowed)s") % {"name": name, "allowed": allowed}, field="photos")
        checked.append((ContentFile(data), kind, name))
    return checked


def _in_place_or_404(user, region_key: str) -> None:
    if user is not None and not takes_part(user, region_key):
        raise NotFound(str(NOT_FOUND))


def _staff_scope_or_404(user, region_key: str, message: str = NOT_FOUND) -> None:
    if user is not None and not in_scope(user, region_key):
        raise NotFound(str(message))


def _locked(matter: Matter) -> Matter:
    return (
        Matter.objects.select_for_update(of=("self",))
        .select_related("region", "compound", "building")
        .get(pk=matter.pk)
    )


# ---- 1 居民提事 propose -------------------------------------------------------------------------


@transaction.atomic
def matter_propose(
    *,
    actor,
    title: str,
    description: str,
    place: str,
    address: str = "",
    lng: float | None = None,
    lat: float | None = None,
    on_behalf_of: str = "",
    photos=(),
) -> Matter:
    """A resident (or a grid worker for one) raises a matter for a place of their own."""
    require(actor, PROPOSE_MATTER)
    title = parse_text(title, field="title", label=_("标题"), limit=100, required=True, min_length=2)
    description = parse_text(
        description, field="description", label=_("事项描述"), limit=2000, required=True, min_length=5
    )
    address = parse_text(address, field="address", label=_("位置"), limit=200)
    on_behalf_of = parse_text(on_behalf_of, field="on_behalf_of", label=_("代提居民姓名"), limit=50)
    if on_behalf_of and actor.role == Role.RESIDENT:
        raise DomainError(_("居民请以本人名义提事"), field="on_behalf_of")
    if (lng is None) != (lat is None):
        raise DomainError(_("经度和纬度须同时提供"), field="lng" if lng is None else "lat")
    if lng is not None:
        west, south, east, north = CHINA_BOUNDS
        if not (math.isfinite(lng) and math.isfinite(lat) and west <= lng <= east and south <= lat <= north):
            raise DomainError(_("位置不在中国境内，请检查经纬度"), field="lng")
    where = resolve_place(place)
    if not takes_part(actor, where["region_key"]):
        raise DomainError(_("只能为本人所在的楼栋、小区、网格或社区提事"), field="place")
    checked = _files(photos, allow_pdf=False)
    matter = Matter.objects.create(
        title=title,
        description=description,
        address=address,
        lng=lng,
        lat=lat,
        on_behalf_of=on_behalf_of,
        proposer=actor,
        **where,
    )
    for content, kind, name in checked:
        photo = MatterPhoto(matter=matter, content_type=kind, original_name=name)
        photo.file.save("photo", content, save=False)
        photo.save()
    matter.events.create(action="propose", to_status=Status.PROPOSED, actor=actor, actor_label=str(actor))
    audit.record(
        actor=actor,
        verb="matter.propose",
        target=matter,
        scope_key=matter.region_key,
        after=audit.snapshot(matter, ["title", "level", "region_key", "on_behalf_of"]),
    )
    return matter


@transaction.atomic
def matter_support(*, actor, matter: Matter) -> Matter:
    """Someone of the same place supports a proposed matter, once; the supports the setting asks
    for move it to the grid's hearing."""
    require(actor, PROPOSE_MATTER)
    matter = _locked(matter)
    _in_place_or_404(actor, matter.region_key)
    if matter.status != Status.PROPOSED:
        raise Conflict(
            _("事项当前状态为「%(status)s」，不再征集附议") % {"status": matter.get_status_display()}, field="status"
        )
    if matter.proposer_id == actor.pk:
        raise DomainError(_("不能附议自己提出的事项"), field="matter")
    try:
        with transaction.atomic():
            Support.objects.create(matter=matter, user=actor)
    except IntegrityError:
        raise Conflict(_("您已经附议过这个事项"), code="duplicate") from None
    Matter.objects.filter(pk=matter.pk).update(support_count=F("support_count") + 1)
    matter.refresh_from_db()
    audit.record(actor=actor, verb="matter.support", target=matter, scope_key=matter.region_key)
    if matter.support_count >= supports_needed():
        matter_transition(
            matter=matter,
            action="supported",
            actor=actor,
            by_system=True,
            note=_("附议 %(n)d 人") % {"n": matter.support_count},
        )
        notices.hearing(matter)
    return matter


# ---- 2 网格听事 hear ----------------------------------------------------------------------------


def matter_accept(*, actor, matter: Matter, note: str = "") -> Matter:
    """The grid takes a proposal into hearing before it has all its supports."""
    return matter_transition(
        matter=matter,
        action="accept",
        actor=actor,
        note=parse_text(note, field="note", label=_("说明"), limit=500),
    )


@transaction.atomic
def matter_merge(*, actor, matter: Matter, into: Matter) -> Matter:
    """A duplicate joins the matter it repeats; its supporters count for that one."""
    require(actor, HEAR_MATTERS)
    if into is None or into.pk == matter.pk:
        raise DomainError(_("请选择另一个事项作为合并目标"), field="into")
    _staff_scope_or_404(actor, into.region_key, _("合并目标不存在，或不在您的管辖范围内"))
    if into.is_finished or into.merged_into_id:
        raise DomainError(
            _("合并目标「%(title)s」已%(status)s，不能再合并进去")
            % {"title": into.title, "status": into.get_status_display()},
            field="into",
        )
    matter = matter_transition(
        matter=matter,
        action="merge",
        actor=actor,
        changes={"merged_into": into},
        note=_("合并到「%(title)s」") % {"title": into.title},
    )
    moved = Support.objects.filter(matter=matter).exclude(user__in=Support.objects.filter(matter=into).values("user"))
    moved = moved.exclude(user_id=into.proposer_id)
    count = 0
    for support in moved:
        Support.objects.create(matter=into, user_id=support.user_id)
        count += 1
    if count:
        Matter.objects.filter(pk=into.pk).update(support_count=F("support_count") + count)
    return matter


def matter_answer(*, actor, matter: Matter, answer: str) -> Matter:
    """What was simply a question is answered and closed."""
    answer = parse_text(answer, field="answer", label=_("答复内容"), limit=2000, required=True, min_length=5)
    return matter_transition(matter=matter, action="answer", actor=actor, changes={"answer": answer}, note=answer)


def _case_channel(actor) -> str:
    from wangge.cases.services import _EVERYONE_STAFF, CHANNELS_BY_ROLE

    if actor is None:
        return Channel.DELIBERATION
    allowed = CHANNELS_BY_ROLE.get(actor.role, set()) | _EVERYONE_STAFF
    for channel in (Channel.DELIBERATION, Channel.GRID, Channel.API):
        if channel in allowed:
            return channel
    return Channel.API


def _file_case(*, actor, matter: Matter, text: str):
    from wangge.cases.services import case_report

    return case_report(
        actor=actor,
        text=text,
        channel=_case_channel(actor),
        region_code=matter.region.code,
        lng=matter.lng,
        lat=matter.lat,
        address=matter.address or matter.place_label,
        contact_preference="none",
    )


@transaction.atomic
def matter_refer(*, actor, matter: Matter, note: str = "") -> Matter:
    """What is really a repair becomes a case of the cases app (its own loop takes it from there)."""
    require(actor, HEAR_MATTERS)
    matter = _locked(matter)
    _staff_scope_or_404(actor, matter.region_key)
    if matter.status not in (Status.PROPOSED, Status.HEARING):
        raise Conflict(
            _("事项当前状态为「%(status)s」，不能转为案件") % {"status": matter.get_status_display()}, field="status"
        )
    note = parse_text(note, field="note", label=_("说明"), limit=500)
    case = _file_case(
        actor=actor,
        matter=matter,
        text=(
            _("【居民议事转办】%(title)s：%(description)s") % {"title": matter.title, "description": matter.description}
        )[:2000],
    )
    return matter_transition(
        matter=matter, action="refer", actor=actor, changes={"case": case}, note=note or case.number
    )


def matter_schedule(*, actor, matter: Matter, meeting: Meeting) -> Matter:
    """Put a heard matter on the agenda of a planned meeting whose place contains it."""
    from .selectors import open_meetings_for

    require(actor, HEAR_MATTERS)
    if meeting is None or not open_meetings_for(matter).filter(pk=meeting.pk).exists():
        raise DomainError(_("请选择一个筹备中、且范围包含该事项的议事会议"), field="meeting")
    _staff_scope_or_404(actor, matter.region_key)
    return matter_transition(
        matter=matter,
        action="schedule",
        actor=actor,
        changes={"meeting": meeting},
        note=_("列入「%(title)s」") % {"title": meeting.title},
    )


# ---- 5 协同办事 carry out -----------------------------------------------------------------------


@transaction.atomic
def task_add(
    *,
    actor,
    matter: Matter,
    title: str,
    deadline: datetime.date,
    owner_name: str = "",
    owner_username: str = "",
    as_case: bool = False,
) -> Task:
    """A decision spawns a task with an owner and a deadline, or a case in the cases app."""
    require(actor, RUN_MEETINGS)
    matter = _locked(matter)
    _staff_scope_or_404(actor, matter.region_key)
    if matter.status not in (Status.DECIDED, Status.IN_PROGRESS):
        raise Conflict(_("只有表决通过的事项可以分派办理任务"), field="status")
    title = parse_text(title, field="title", label=_("任务内容"), limit=200, required=True, min_length=2)
    if deadline is None:
        raise DomainError(_("请填写完成期限"), field="deadline")
    if deadline < timezone.localdate():
        raise DomainError(_("完成期限不能早于今天"), field="deadline")
    owner = None
    owner_username = (owner_username or "").strip()
    if owner_username:
        owner = User.objects.filter(username=owner_username, is_active=True).first()
        if (
            owner is None
            or owner.scope_key is None
            or not (matter.region_key.startswith(owner.scope_key) or owner.scope_key.startswith(matter.region_key))
        ):
            raise DomainError(
                _("账号 %(username)s 不存在，或与本事项所在区域无关") % {"username": owner_username},
                field="owner_username",
            )
    owner_name = parse_text(
        owner_name or (str(owner) if owner else ""),
        field="owner_name",
        label=_("责任人或单位"),
        limit=100,
        required=True,
        min_length=2,
    )
    case = (
        _file_case(
            actor=actor,
            matter=matter,
            text=_("【议事决定】%(title)s：%(task)s") % {"title": matter.title, "task": title},
        )
        if as_case
        else None
    )
    task = Task.objects.create(
        matter=matter, title=title, deadline=deadline, owner=owner, owner_name=owner_name, case=case
    )
    audit.record(
        actor=actor,
        verb="matter.task_add",
        target=matter,
        scope_key=matter.region_key,
        after={"task": task.pk, "title": title, "deadline": str(deadline), "case": case.number if case else None},
    )
    if matter.status == Status.DECIDED:
        matter_transition(matter=matter, action="start", actor=actor, note=title)
    return task


@transaction.atomic
def task_done(*, actor, task: Task, note: str = "") -> Task:
    """The owner (or the meeting's staff) reports a task done; the matter is done when all are."""
    task = Task.objects.select_for_update(of=("self",)).select_related("matter").get(pk=task.pk)
    matter = task.matter
    is_owner = actor is not None and task.owner_id == actor.pk
    if not is_owner:
        require(actor, RUN_MEETINGS)
        _staff_scope_or_404(actor, matter.region_key, _("任务不存在，或不在您的管辖范围内"))
    if task.case_id:
        raise DomainError(_("该任务是案件，随案件结案自动完成"), field="task")
    if task.done_at is not None:
        raise Conflict(_("该任务已完成"), field="task")
    note = parse_text(note, field="note", label=_("完成情况"), limit=1000)
    Task.objects.filter(pk=task.pk).update(done_at=timezone.now(), note=note)
    task.refresh_from_db()
    audit.record(
        actor=actor, verb="matter.task_done", target=matter, scope_key=matter.region_key, after={"task": task.pk}
    )
    _finish_when_all_done(matter, actor)
    return task


def _finish_when_all_done(matter: Matter, actor) -> None:
    """The matter is carried out when its last task or case is done: the system moves it on."""
    done, total = progress(matter)
    if matter.status == Status.IN_PROGRESS and done == total:
        matter_transition(
            matter=matter,
            action="finish",
            actor=actor,
            by_system=True,
            changes={"done_at": timezone.now()},
            note=_("全部任务完成"),
        )
        notices.ready_to_rate(matter)


def on_case_moved(sender, *, case, to_status, from_status, actor, **kwargs) -> None:
    """A case filed for a decision closed: when it was the matter's last open piece, finish the
    matter (inside the case's own transaction, so both commit or neither)."""
    if to_status not in CASE_DONE or from_status in CASE_DONE:
        return
    task = Task.objects.select_related("matter").filter(case=case).first()
    if task is None:
        return
    audit.record(
        actor=actor,
        verb="matter.case_done",
        target=task.matter,
        scope_key=task.matter.region_key,
        after={"task": task.pk, "case": case.number},
    )
    _finish_when_all_done(task.matter, actor)


@transaction.atomic
def matter_finish(*, actor, matter: Matter) -> Matter:
    """Mark the matter done once every task and case is done (cases close in their own app)."""
    done, total = progress(matter)
    if total == 0 or done < total:
        raise Conflict(_("还有 %(n)d 项任务或案件未完成，不能办结") % {"n": total - done}, field="status")
    matter = matter_transition(matter=matter, action="finish", actor=actor, changes={"done_at": timezone.now()})
    notices.ready_to_rate(matter)
    return matter


def matter_close(*, actor, matter: Matter) -> Matter:
    """End the residents' evaluation of a done matter."""
    return matter_transition(matter=matter, action="close", actor=actor)


# ---- 6 居民评事 evaluate ------------------------------------------------------------------------


@transaction.atomic
def evaluation_add(*, actor, matter: Matter, rating: str, comment: str = "") -> Evaluation:
    """A resident of the place rates the result of a done matter, once."""
    if actor is None:
        raise Forbidden(_("请登录后评价"))
    _in_place_or_404(actor, matter.region_key)
    if actor.role != Role.RESIDENT:
        raise Forbidden(_("只有本议事范围内的居民可以评价办理结果"))
    if matter.status != Status.DONE:
        raise Conflict(_("事项办结后才能评价"), field="status")
    if rating not in Rating.values:
        raise DomainError(_("请选择满意、基本满意或不满意"), field="rating")
    comment = parse_text(comment, field="comment", label=_("意见"), limit=500)
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(matter=matter, rater=actor, rating=rating, comment=comment)
    except IntegrityError:
        raise Conflict(_("您已经评价过这个事项"), code="duplicate") from None
    audit.record(
        actor=actor, verb="matter.evaluate", target=matter, scope_key=matter.region_key, after={"rating": rating}
    )
    return evaluation


# ---- voters -------------------------------------------------------------------------------------


@transaction.atomic
def home_set(*, actor, user: User, household) -> Home:
    """Record the household a resident account votes for (staff who keep the ledgers)."""
    from wangge.accounts.roles import KEEP_LEDGERS

    require(actor, KEEP_LEDGERS)
    if actor is not None and not in_scope(actor, household.region_key):
        raise NotFound(_("住户不存在，或不在您的管辖范围内"))
    if user.role != Role.RESIDENT:
        raise DomainError(_("只有居民账号可以登记为住户投票人"), field="user")
    home, __ = Home.objects.update_or_create(user=user, defaults={"household": household})
    audit.record(
        actor=actor, verb="home.set", target=user, scope_key=household.region_key, after={"household": household.pk}
    )
    return home
