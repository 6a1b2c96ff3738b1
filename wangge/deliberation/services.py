"""Writes to deliberation, one service per act of the six steps. Each checks the actor's capability
and place, runs in one transaction and writes one audit record; status changes go through
`workflow.matter_transition`."""

import datetime
import math
import os

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from wangge.accounts.models import User
from wangge.accounts.roles import HEAR_MATTERS, PROPOSE_MATTER, RUN_MEETINGS, Role, require
from wangge.cases.attachments import max_bytes, sniff
from wangge.cases.models import Channel
from wangge.core import audit
from wangge.core.errors import Conflict, DomainError, Forbidden, NotFound
from wangge.core.scope import in_scope
from wangge.regions.models import Building, Compound, Level, Region

from . import notices
from .models import (
    Ballot,
    Category,
    Choice,
    Comment,
    Evaluation,
    Home,
    Majority,
    Matter,
    MatterPhoto,
    Meeting,
    MeetingFile,
    MeetingStatus,
    Participant,
    PlaceLevel,
    Rating,
    Status,
    Support,
    Task,
    Vote,
    VoterRule,
)
from .selectors import progress, takes_part
from .workflow import matter_transition

NOT_FOUND = "议事事项不存在，或不在您的管辖范围内"
MAX_FILES = 9
CHINA_BOUNDS = (73.4, 3.8, 135.1, 53.6)


def supports_needed() -> int:
    return max(1, int(getattr(settings, "WANGGE_DELIBERATION_SUPPORTS", 5)))


# ---- small checks ---------------------------------------------------------------------------


def _text(value, *, field: str, label: str, low: int, high: int, required: bool = True) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise DomainError(f"{label}中含有空字符（NUL）", field=field)
    if required and len(value) < low:
        raise DomainError(f"请填写{label}（至少{low}个字）", field=field)
    if len(value) > high:
        raise DomainError(f"{label}不能超过{high}字", field=field)
    return value


def resolve_place(value: str) -> dict:
    """Parse a place: a community or grid code, `compound:<id>` or `building:<id>`."""
    value = (value or "").strip()
    if not value:
        raise DomainError("请选择议事范围（楼栋、小区、网格或社区）", field="place")
    kind, _, ident = value.partition(":")
    if kind in ("compound", "building"):
        if not ident.isdigit():
            raise DomainError(f"议事范围 {value} 无效", field="place")
        if kind == "compound":
            compound = Compound.objects.select_related("grid").filter(pk=int(ident)).first()
            if compound is None:
                raise DomainError(f"小区 {ident} 不存在", field="place")
            return {
                "level": PlaceLevel.COMPOUND,
                "region": compound.grid,
                "compound": compound,
                "building": None,
                "region_key": compound.region_key,
            }
        building = Building.objects.select_related("compound__grid").filter(pk=int(ident)).first()
        if building is None:
            raise DomainError(f"楼栋 {ident} 不存在", field="place")
        return {
            "level": PlaceLevel.BUILDING,
            "region": building.compound.grid,
            "compound": building.compound,
            "building": building,
            "region_key": building.region_key,
        }
    region = Region.objects.filter(code=value).first()
    if region is None:
        raise DomainError(f"区域代码 {value} 不存在", field="place")
    if region.level not in (Level.COMMUNITY, Level.GRID):
        raise DomainError("议事范围只能是楼栋、小区、网格或社区", field="place")
    level = PlaceLevel.COMMUNITY if region.level == Level.COMMUNITY else PlaceLevel.GRID
    return {"level": level, "region": region, "compound": None, "building": None, "region_key": region.key}


def _files(files, *, allow_pdf: bool) -> list[tuple[ContentFile, str, str]]:
    """Check uploads by their first bytes; returns (content, type, name) for each."""
    files = list(files or [])
    if len(files) > MAX_FILES:
        raise DomainError(f"每次最多上传 {MAX_FILES} 个文件", field="photos")
    checked = []
    for file in files:
        name = os.path.basename(getattr(file, "name", "") or "")[:120]
        data = file.read()
        if not data:
            raise DomainError(f"文件 {name} 是空文件", field="photos")
        if len(data) > max_bytes():
            raise DomainError(f"文件 {name} 超过上限 {max_bytes() // 1024} KB", field="photos")
        kind = sniff(data[:16]) or ("application/pdf" if allow_pdf and data.startswith(b"%PDF-") else None)
        if kind is None:
            allowed = "JPEG、PNG、WebP 图片或 PDF" if allow_pdf else "JPEG、PNG 或 WebP 图片"
            raise DomainError(f"文件 {name} 不是 {allowed}", field="photos")
        checked.append((ContentFile(data), kind, name))
    return checked


def _in_place_or_404(user, region_key: str) -> None:
    if user is not None and not takes_part(user, region_key):
        raise NotFound(NOT_FOUND)


def _staff_scope_or_404(user, region_key: str, message: str = NOT_FOUND) -> None:
    if user is not None and not in_scope(user, region_key):
        raise NotFound(message)


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
    title = _text(title, field="title", label="标题", low=2, high=100)
    description = _text(description, field="description", label="事项描述", low=5, high=2000)
    address = _text(address, field="address", label="位置", low=0, high=200, required=False)
    on_behalf_of = _text(on_behalf_of, field="on_behalf_of", label="代提居民姓名", low=0, high=50, required=False)
    if on_behalf_of and actor.role == Role.RESIDENT:
        raise DomainError("居民请以本人名义提事", field="on_behalf_of")
    if (lng is None) != (lat is None):
        raise DomainError("经度和纬度须同时提供", field="lng" if lng is None else "lat")
    if lng is not None:
        west, south, east, north = CHINA_BOUNDS
        if not (math.isfinite(lng) and math.isfinite(lat) and west <= lng <= east and south <= lat <= north):
            raise DomainError("位置不在中国境内，请检查经纬度", field="lng")
    where = resolve_place(place)
    if not takes_part(actor, where["region_key"]):
        raise DomainError("只能为本人所在的楼栋、小区、网格或社区提事", field="place")
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
        raise Conflict(f"事项当前状态为「{matter.get_status_display()}」，不再征集附议", field="status")
    if matter.proposer_id == actor.pk:
        raise DomainError("不能附议自己提出的事项", field="matter")
    try:
        with transaction.atomic():
            Support.objects.create(matter=matter, user=actor)
    except IntegrityError:
        raise Conflict("您已经附议过这个事项", code="duplicate") from None
    Matter.objects.filter(pk=matter.pk).update(support_count=F("support_count") + 1)
    matter.refresh_from_db()
    audit.record(actor=actor, verb="matter.support", target=matter, scope_key=matter.region_key)
    if matter.support_count >= supports_needed():
        matter_transition(
            matter=matter, action="supported", actor=actor, by_system=True, note=f"附议 {matter.support_count} 人"
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
        note=_text(note, field="note", label="说明", low=0, high=500, required=False),
    )


@transaction.atomic
def matter_merge(*, actor, matter: Matter, into: Matter) -> Matter:
    """A duplicate joins the matter it repeats; its supporters count for that one."""
    require(actor, HEAR_MATTERS)
    if into is None or into.pk == matter.pk:
        raise DomainError("请选择另一个事项作为合并目标", field="into")
    _staff_scope_or_404(actor, into.region_key, "合并目标不存在，或不在您的管辖范围内")
    if into.is_finished or into.merged_into_id:
        raise DomainError(f"合并目标「{into.title}」已{into.get_status_display()}，不能再合并进去", field="into")
    matter = matter_transition(
        matter=matter, action="merge", actor=actor, changes={"merged_into": into}, note=f"合并到「{into.title}」"
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
    answer = _text(answer, field="answer", label="答复内容", low=5, high=2000)
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
        raise Conflict(f"事项当前状态为「{matter.get_status_display()}」，不能转为案件", field="status")
    note = _text(note, field="note", label="说明", low=0, high=500, required=False)
    case = _file_case(actor=actor, matter=matter, text=f"【居民议事转办】{matter.title}：{matter.description}"[:2000])
    return matter_transition(
        matter=matter, action="refer", actor=actor, changes={"case": case}, note=note or case.number
    )


def matter_schedule(*, actor, matter: Matter, meeting: Meeting) -> Matter:
    """Put a heard matter on the agenda of a planned meeting whose place contains it."""
    from .selectors import open_meetings_for

    require(actor, HEAR_MATTERS)
    if meeting is None or not open_meetings_for(matter).filter(pk=meeting.pk).exists():
        raise DomainError("请选择一个筹备中、且范围包含该事项的议事会议", field="meeting")
    _staff_scope_or_404(actor, matter.region_key)
    return matter_transition(
        matter=matter, action="schedule", actor=actor, changes={"meeting": meeting}, note=f"列入「{meeting.title}」"
    )


# ---- 3 社区议事 deliberate ----------------------------------------------------------------------


@transaction.atomic
def meeting_call(
    *,
    actor,
    title: str,
    place: str,
    starts_at: datetime.datetime,
    venue: str = "",
    voter_rule: str = VoterRule.REPRESENTATIVES,
    quorum_percent: int = 50,
    majority: str = Majority.SIMPLE,
) -> Meeting:
    """Call a meeting for a place in the caller's scope, with the voting rules it will use."""
    require(actor, RUN_MEETINGS)
    title = _text(title, field="title", label="会议名称", low=2, high=100)
    venue = _text(venue, field="venue", label="地点", low=0, high=100, required=False)
    if starts_at is None:
        raise DomainError("请填写召开时间", field="starts_at")
    if voter_rule not in VoterRule.values:
        raise DomainError("表决资格应为「每户一票」或「到会居民代表每人一票」", field="voter_rule")
    if majority not in Majority.values:
        raise DomainError("通过规则应为「过半数」或「三分之二以上」", field="majority")
    if not isinstance(quorum_percent, int) or not 1 <= quorum_percent <= 100:
        raise DomainError("参与率下限应为1到100之间的整数", field="quorum_percent")
    where = resolve_place(place)
    if actor is not None and not in_scope(actor, where["region_key"]):
        raise DomainError("只能为您管辖范围内的楼栋、小区、网格或社区召集议事", field="place")
    meeting = Meeting.objects.create(
        title=title,
        starts_at=starts_at,
        venue=venue,
        voter_rule=voter_rule,
        quorum_percent=quorum_percent,
        majority=majority,
        convener=actor,
        **where,
    )
    audit.record(
        actor=actor,
        verb="meeting.call",
        target=meeting,
        scope_key=meeting.region_key,
        after=audit.snapshot(meeting, ["title", "level", "region_key", "voter_rule", "quorum_percent", "majority"]),
    )
    return meeting


def _meeting_staff(actor, meeting: Meeting) -> None:
    require(actor, RUN_MEETINGS)
    _staff_scope_or_404(actor, meeting.region_key, "议事会议不存在，或不在您的管辖范围内")


@transaction.atomic
def participant_invite(*, actor, meeting: Meeting, category: str, name: str = "", username: str = "") -> Participant:
    """Invite someone by category; representatives who will vote need their account named."""
    _meeting_staff(actor, meeting)
    if category not in Category.values:
        raise DomainError("请选择参会类别", field="category")
    user = None
    username = (username or "").strip()
    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None or not takes_part(user, meeting.region_key):
            raise DomainError(f"账号 {username} 不存在，或不属于本议事范围", field="username")
    name = _text(name or (str(user) if user else ""), field="name", label="姓名或单位", low=2, high=100)
    if category == Category.REPRESENTATIVE and user is None:
        raise DomainError("居民代表须填写账号，才能参加表决", field="username")
    try:
        with transaction.atomic():
            participant = Participant.objects.create(meeting=meeting, category=category, name=name, user=user)
    except IntegrityError:
        raise Conflict(f"{name} 已在参会名单中", field="username") from None
    audit.record(
        actor=actor,
        verb="meeting.invite",
        target=meeting,
        scope_key=meeting.region_key,
        after={"category": category, "name": name, "user": user.pk if user else None},
    )
    return participant


@transaction.atomic
def attendance_record(*, actor, meeting: Meeting, present: list[int]) -> int:
    """Mark who attended (the rest did not). Returns how many attended."""
    _meeting_staff(actor, meeting)
    if Vote.objects.filter(meeting=meeting, published_at__isnull=False).exists():
        raise Conflict("本次会议已有表决结果公布，出席情况不能再修改", field="present")
    ids = {int(i) for i in present}
    unknown = ids - set(meeting.participants.values_list("pk", flat=True))
    if unknown:
        raise DomainError(
            "参会人员编号 " + "、".join(map(str, sorted(unknown))) + " 不在本次会议名单中", field="present"
        )
    meeting.participants.update(attended=False)
    count = meeting.participants.filter(pk__in=ids).update(attended=True)
    audit.record(
        actor=actor,
        verb="meeting.attendance",
        target=meeting,
        scope_key=meeting.region_key,
        after={"present": sorted(ids)},
    )
    return count


@transaction.atomic
def meeting_hold(*, actor, meeting: Meeting, minutes: str, files=()) -> Meeting:
    """Record the meeting as held, with its minutes and attachments."""
    _meeting_staff(actor, meeting)
    minutes = _text(minutes, field="minutes", label="会议纪要", low=10, high=10000)
    if meeting.status != MeetingStatus.PLANNED:
        raise Conflict("会议已召开，纪要已记录", field="minutes")
    checked = _files(files, allow_pdf=True)
    Meeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.HELD, minutes=minutes, updated_at=timezone.now())
    for content, kind, name in checked:
        item = MeetingFile(meeting=meeting, content_type=kind, original_name=name)
        item.file.save("file", content, save=False)
        item.save()
    audit.record(
        actor=actor, verb="meeting.hold", target=meeting, scope_key=meeting.region_key, after={"files": len(checked)}
    )
    meeting.refresh_from_db()
    return meeting


@transaction.atomic
def comment_add(*, actor, meeting: Meeting, text: str) -> Comment:
    """Anyone of the place comments online, before or after the meeting."""
    if actor is None or not takes_part(actor, meeting.region_key):
        raise NotFound("议事会议不存在，或不在您的管辖范围内")
    text = _text(text, field="text", label="意见", low=2, high=1000)
    comment = Comment.objects.create(
        meeting=meeting, author=actor, text=text, after_meeting=meeting.status == MeetingStatus.HELD
    )
    audit.record(actor=actor, verb="meeting.comment", target=meeting, scope_key=meeting.region_key)
    return comment


# ---- 4 民主定事 decide ------------------------------------------------------------------------


@transaction.atomic
def vote_open(*, actor, matter: Matter, question: str = "") -> Vote:
    """Open the vote on a matter on a meeting's agenda, under that meeting's rules."""
    require(actor, RUN_MEETINGS)
    matter = _locked(matter)
    _staff_scope_or_404(actor, matter.region_key)
    if matter.status != Status.SCHEDULED:
        raise Conflict("只有已列入议程的事项可以发起表决", field="status")
    if Vote.objects.filter(matter=matter).exists():
        raise Conflict("该事项已经发起过表决", code="duplicate")
    question = _text(question or f"是否同意：{matter.title}", field="question", label="表决事项", low=2, high=200)
    vote = Vote.objects.create(meeting=matter.meeting, matter=matter, question=question)
    audit.record(actor=actor, verb="vote.open", target=vote, scope_key=matter.region_key, after={"question": question})
    notices.vote_opened(vote)
    return vote


def eligible_count(meeting: Meeting) -> int:
    if meeting.voter_rule == VoterRule.HOUSEHOLD:
        return meeting.households().count()
    return meeting.participants.filter(category=Category.REPRESENTATIVE, attended=True, user__isnull=False).count()


@transaction.atomic
def ballot_cast(*, actor, vote: Vote, choice: str) -> Ballot:
    """One ballot: once per voter, and once per household under the household rule. The database's
    unique constraints hold this when two requests arrive at once."""
    vote = Vote.objects.select_related("meeting", "matter").get(pk=vote.pk)
    meeting = vote.meeting
    if actor is None or not takes_part(actor, vote.matter.region_key):
        raise NotFound("表决不存在，或不在您的管辖范围内")
    if choice not in Choice.values:
        raise DomainError("请选择同意、反对或弃权", field="choice")
    if vote.published_at is not None:
        raise Conflict("表决结果已公布，不能再投票", code="published")
    household = None
    if meeting.voter_rule == VoterRule.HOUSEHOLD:
        home = Home.objects.select_related("household").filter(user=actor).first()
        if home is None or not meeting.households().filter(pk=home.household_id).exists():
            raise Forbidden("本次表决每户一票：您的账号未登记为本议事范围内住户的投票人")
        household = home.household
    else:
        representative = meeting.participants.filter(user=actor, category=Category.REPRESENTATIVE).first()
        if representative is None:
            raise Forbidden("本次表决由到会居民代表投票：您不是本次会议的居民代表")
        if not representative.attended:
            raise Forbidden("本次表决由到会居民代表投票：您未登记出席")
    try:
        with transaction.atomic():
            ballot = Ballot.objects.create(vote=vote, voter=actor, household=household, choice=choice)
    except IntegrityError:
        if (
            household is not None
            and Ballot.objects.filter(vote=vote, household=household).exclude(voter=actor).exists()
        ):
            raise Conflict("您家已有家庭成员投过票，每户只能投一票", code="duplicate") from None
        raise Conflict("您已经投过票了，每人只能投一票", code="duplicate") from None
    except DatabaseError:
        # The vote was published between our check and the insert: the trigger refused it.
        raise Conflict("表决结果已公布，不能再投票", code="published") from None
    audit.record(actor=actor, verb="vote.ballot", target=vote, scope_key=vote.matter.region_key)
    return ballot


def tally(*, yes: int, no: int, abstain: int, eligible: int, quorum_percent: int, majority: str) -> tuple[bool, bool]:
    """(quorum met, passed). The quorum is ballots cast against those eligible; the majority is of
    ballots cast (abstentions count as cast and not in favour)."""
    cast = yes + no + abstain
    quorum_met = eligible > 0 and cast * 100 >= quorum_percent * eligible
    if majority == Majority.TWO_THIRDS:
        carried = yes * 3 >= cast * 2
    else:
        carried = yes * 2 > cast
    return quorum_met, quorum_met and cast > 0 and carried


@transaction.atomic
def vote_publish(*, actor, vote: Vote) -> Vote:
    """Count the ballots, publish the result and move the matter on. After this neither the vote
    nor its ballots can change (the database refuses)."""
    require(actor, RUN_MEETINGS)
    vote = Vote.objects.select_for_update(of=("self",)).select_related("meeting", "matter").get(pk=vote.pk)
    _staff_scope_or_404(actor, vote.matter.region_key, "表决不存在，或不在您的管辖范围内")
    if vote.published_at is not None:
        raise Conflict("表决结果已公布，不能更改", code="published")
    counts = {c: 0 for c in Choice.values}
    for choice in Ballot.objects.filter(vote=vote).values_list("choice", flat=True):
        counts[choice] += 1
    meeting = vote.meeting
    eligible = eligible_count(meeting)
    quorum_met, passed = tally(
        yes=counts["yes"],
        no=counts["no"],
        abstain=counts["abstain"],
        eligible=eligible,
        quorum_percent=meeting.quorum_percent,
        majority=meeting.majority,
    )
    now = timezone.now()
    Vote.objects.filter(pk=vote.pk).update(
        eligible=eligible,
        yes=counts["yes"],
        no=counts["no"],
        abstain=counts["abstain"],
        quorum_met=quorum_met,
        passed=passed,
        published_at=now,
    )
    vote.refresh_from_db()
    audit.record(
        actor=actor,
        verb="vote.publish",
        target=vote,
        scope_key=vote.matter.region_key,
        after={"eligible": eligible, **counts, "quorum_met": quorum_met, "passed": passed},
    )
    note = f"应投 {eligible}，同意 {counts['yes']}，反对 {counts['no']}，弃权 {counts['abstain']}"
    if passed:
        matter_transition(
            matter=vote.matter, action="pass", actor=actor, by_system=True, note=note, changes={"decided_at": now}
        )
    else:
        matter_transition(
            matter=vote.matter,
            action="fail",
            actor=actor,
            by_system=True,
            note=note + ("" if quorum_met else "（未达参与率）"),
        )
    return vote


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
        raise Conflict("只有表决通过的事项可以分派办理任务", field="status")
    title = _text(title, field="title", label="任务内容", low=2, high=200)
    if deadline is None:
        raise DomainError("请填写完成期限", field="deadline")
    if deadline < timezone.localdate():
        raise DomainError("完成期限不能早于今天", field="deadline")
    owner = None
    owner_username = (owner_username or "").strip()
    if owner_username:
        owner = User.objects.filter(username=owner_username, is_active=True).first()
        if (
            owner is None
            or owner.scope_key is None
            or not (matter.region_key.startswith(owner.scope_key) or owner.scope_key.startswith(matter.region_key))
        ):
            raise DomainError(f"账号 {owner_username} 不存在，或与本事项所在区域无关", field="owner_username")
    owner_name = _text(
        owner_name or (str(owner) if owner else ""), field="owner_name", label="责任人或单位", low=2, high=100
    )
    case = _file_case(actor=actor, matter=matter, text=f"【议事决定】{matter.title}：{title}") if as_case else None
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
        _staff_scope_or_404(actor, matter.region_key, "任务不存在，或不在您的管辖范围内")
    if task.case_id:
        raise DomainError("该任务是案件，随案件结案自动完成", field="task")
    if task.done_at is not None:
        raise Conflict("该任务已完成", field="task")
    note = _text(note, field="note", label="完成情况", low=0, high=1000, required=False)
    Task.objects.filter(pk=task.pk).update(done_at=timezone.now(), note=note)
    task.refresh_from_db()
    audit.record(
        actor=actor, verb="matter.task_done", target=matter, scope_key=matter.region_key, after={"task": task.pk}
    )
    done, total = progress(matter)
    if matter.status == Status.IN_PROGRESS and done == total:
        matter_transition(
            matter=matter,
            action="finish",
            actor=actor,
            by_system=True,
            changes={"done_at": timezone.now()},
            note="全部任务完成",
        )
        notices.ready_to_rate(matter)
    return task


@transaction.atomic
def matter_finish(*, actor, matter: Matter) -> Matter:
    """Mark the matter done once every task and case is done (cases close in their own app)."""
    done, total = progress(matter)
    if total == 0 or done < total:
        raise Conflict(f"还有 {total - done} 项任务或案件未完成，不能办结", field="status")
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
        raise Forbidden("请登录后评价")
    _in_place_or_404(actor, matter.region_key)
    if actor.role != Role.RESIDENT:
        raise Forbidden("只有本议事范围内的居民可以评价办理结果")
    if matter.status != Status.DONE:
        raise Conflict("事项办结后才能评价", field="status")
    if rating not in Rating.values:
        raise DomainError("请选择满意、基本满意或不满意", field="rating")
    comment = _text(comment, field="comment", label="意见", low=0, high=500, required=False)
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(matter=matter, rater=actor, rating=rating, comment=comment)
    except IntegrityError:
        raise Conflict("您已经评价过这个事项", code="duplicate") from None
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
        raise NotFound("住户不存在，或不在您的管辖范围内")
    if user.role != Role.RESIDENT:
        raise DomainError("只有居民账号可以登记为住户投票人", field="user")
    home, _ = Home.objects.update_or_create(user=user, defaults={"household": household})
    audit.record(
        actor=actor, verb="home.set", target=user, scope_key=household.region_key, after={"household": household.pk}
    )
    return home
