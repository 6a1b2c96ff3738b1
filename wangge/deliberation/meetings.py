"""Writes of meetings and votes (社区议事, 民主定事): calling a meeting, inviting, attendance,
minutes and comments; opening a vote, casting ballots and publishing the result. Same rules as
`services`: capability and place checked, one transaction, one audit record each."""

import datetime

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import User
from wangge.accounts.roles import RUN_MEETINGS, require
from wangge.core import audit
from wangge.core.errors import Conflict, DomainError, Forbidden, NotFound
from wangge.core.scope import in_scope
from wangge.core.validators import parse_text

from . import notices
from .models import (
    Ballot,
    Category,
    Choice,
    Comment,
    Home,
    Majority,
    Matter,
    Meeting,
    MeetingFile,
    MeetingStatus,
    Participant,
    Status,
    Vote,
    VoterRule,
)
from .selectors import takes_part
from .services import _files, _locked, _staff_scope_or_404, resolve_place
from .workflow import matter_transition

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
    title = parse_text(title, field="title", label=_("会议名称"), limit=100, required=True, min_length=2)
    venue = parse_text(venue, field="venue", label=_("地点"), limit=100)
    if starts_at is None:
        raise DomainError(_("请填写召开时间"), field="starts_at")
    if voter_rule not in VoterRule.values:
        raise DomainError(_("表决资格应为「每户一票」或「到会居民代表每人一票」"), field="voter_rule")
    if majority not in Majority.values:
        raise DomainError(_("通过规则应为「过半数」或「三分之二以上」"), field="majority")
    if not isinstance(quorum_percent, int) or not 1 <= quorum_percent <= 100:
        raise DomainError(_("参与率下限应为1到100之间的整数"), field="quorum_percent")
    where = resolve_place(place)
    if actor is not None and not in_scope(actor, where["region_key"]):
        raise DomainError(_("只能为您管辖范围内的楼栋、小区、网格或社区召集议事"), field="place")
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
    _staff_scope_or_404(actor, meeting.region_key, _("议事会议不存在，或不在您的管辖范围内"))


@transaction.atomic
def participant_invite(*, actor, meeting: Meeting, category: str, name: str = "", username: str = "") -> Participant:
    """Invite someone by category; representatives who will vote need their account named."""
    _meeting_staff(actor, meeting)
    if category not in Category.values:
        raise DomainError(_("请选择参会类别"), field="category")
    user = None
    username = (username or "").strip()
    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None or not takes_part(user, meeting.region_key):
            raise DomainError(
                _("账号 %(username)s 不存在，或不属于本议事范围") % {"username": username}, field="username"
            )
    name = parse_text(
        name or (str(user) if user else ""), field="name", label=_("姓名或单位"), limit=100, required=True, min_length=2
    )
    if category == Category.REPRESENTATIVE and user is None:
        raise DomainError(_("居民代表须填写账号，才能参加表决"), field="username")
    try:
        with transaction.atomic():
            participant = Participant.objects.create(meeting=meeting, category=category, name=name, user=user)
    except IntegrityError:
        raise Conflict(_("%(name)s 已在参会名单中") % {"name": name}, field="username") from None
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
        raise Conflict(_("本次会议已有表决结果公布，出席情况不能再修改"), field="present")
    ids = {int(i) for i in present}
    unknown = ids - set(meeting.participants.values_list("pk", flat=True))
    if unknown:
        raise DomainError(
            _("参会人员编号 %(ids)s 不在本次会议名单中") % {"ids": "、".join(map(str, sorted(unknown)))},
            field="present",
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
    minutes = parse_text(minutes, field="minutes", label=_("会议纪要"), limit=10000, required=True, min_length=10)
    if meeting.status != MeetingStatus.PLANNED:
        raise Conflict(_("会议已召开，纪要已记录"), field="minutes")
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
        raise NotFound(_("议事会议不存在，或不在您的管辖范围内"))
    text = parse_text(text, field="text", label=_("意见"), limit=1000, required=True, min_length=2)
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
        raise Conflict(_("只有已列入议程的事项可以发起表决"), field="status")
    if Vote.objects.filter(matter=matter).exists():
        raise Conflict(_("该事项已经发起过表决"), code="duplicate")
    question = parse_text(
        question or _("是否同意：%(title)s") % {"title": matter.title},
        field="question",
        label=_("表决事项"),
        limit=200,
        required=True,
        min_length=2,
    )
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
        raise NotFound(_("表决不存在，或不在您的管辖范围内"))
    if choice not in Choice.values:
        raise DomainError(_("请选择同意、反对或弃权"), field="choice")
    if vote.published_at is not None:
        raise Conflict(_("表决结果已公布，不能再投票"), code="published")
    household = None
    if meeting.voter_rule == VoterRule.HOUSEHOLD:
        home = Home.objects.select_related("household").filter(user=actor).first()
        if home is None or not meeting.households().filter(pk=home.household_id).exists():
            raise Forbidden(_("本次表决每户一票：您的账号未登记为本议事范围内住户的投票人"))
        household = home.household
    else:
        representative = meeting.participants.filter(user=actor, category=Category.REPRESENTATIVE).first()
        if representative is None:
            raise Forbidden(_("本次表决由到会居民代表投票：您不是本次会议的居民代表"))
        if not representative.attended:
            raise Forbidden(_("本次表决由到会居民代表投票：您未登记出席"))
    try:
        with transaction.atomic():
            ballot = Ballot.objects.create(vote=vote, voter=actor, household=household, choice=choice)
    except IntegrityError:
        if (
            household is not None
            and Ballot.objects.filter(vote=vote, household=household).exclude(voter=actor).exists()
        ):
            raise Conflict(_("您家已有家庭成员投过票，每户只能投一票"), code="duplicate") from None
        raise Conflict(_("您已经投过票了，每人只能投一票"), code="duplicate") from None
    except DatabaseError:
        # The vote was published between our check and the insert: the trigger refused it.
        raise Conflict(_("表决结果已公布，不能再投票"), code="published") from None
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
    _staff_scope_or_404(actor, vote.matter.region_key, _("表决不存在，或不在您的管辖范围内"))
    if vote.published_at is not None:
        raise Conflict(_("表决结果已公布，不能更改"), code="published")
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
    note = _("应投 %(eligible)d，同意 %(yes)d，反对 %(no)d，弃权 %(abstain)d") % {"eligible": eligible, **counts}
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
            note=note + ("" if quorum_met else _("（未达参与率）")),
        )
    return vote
