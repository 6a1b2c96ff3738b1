"""The six steps as services: who may do each, which moves the table allows and refuses, the vote
rules, the unalterable published result, the roll-up of progress and the residents' ratings."""

import pytest
from django.db import DatabaseError, transaction
from django.test import override_settings

from wangge.cases.models import Case
from wangge.cases.models import Status as CaseStatus
from wangge.core.errors import Conflict, DomainError, Forbidden, NotFound
from wangge.core.models import AuditEvent
from wangge.deliberation import meetings, services
from wangge.deliberation.models import Ballot, Matter, Status, Support, Vote
from wangge.deliberation.selectors import progress, rating_summary

from .conftest import (
    A_GRID,
    B_GRID,
    decided,
    homes,
    later,
    meeting_for,
    propose,
    scheduled,
    to_hearing,
    with_representatives,
)

pytestmark = pytest.mark.django_db


# ---- 1 propose and support ---------------------------------------------------------------------


def test_resident_proposes_for_own_grid_and_it_is_audited(people):
    matter = propose(people)
    assert matter.status == Status.PROPOSED
    assert matter.region_key == A_GRID
    assert AuditEvent.objects.filter(verb="matter.propose", target_id=str(matter.pk)).exists()


def test_proposing_for_another_place_or_without_role_is_refused(people):
    with pytest.raises(DomainError) as error:
        propose(people, place=B_GRID)
    assert error.value.field == "place"
    with pytest.raises(Forbidden):
        propose(people, who="dispatcher_a")
    with pytest.raises(DomainError) as error:
        services.matter_propose(actor=people["resident_a"], title="", description="说明说明说明", place=A_GRID)
    assert error.value.field == "title"
    assert not Matter.objects.exists()


def test_resident_may_propose_for_the_community_around_their_grid(people, tree):
    matter = propose(people, place=tree["community_a"].code)
    assert matter.level == "community"


@override_settings(WANGGE_DELIBERATION_SUPPORTS=3)
def test_enough_supports_move_the_matter_to_hearing(people):
    matter = propose(people)
    for name in ("r1", "r2"):
        services.matter_support(actor=people[name], matter=matter)
    matter.refresh_from_db()
    assert (matter.status, matter.support_count) == (Status.PROPOSED, 2)
    services.matter_support(actor=people["r3"], matter=matter)
    matter.refresh_from_db()
    assert matter.status == Status.HEARING
    with pytest.raises(Conflict):  # no longer collecting
        services.matter_support(actor=people["r4"], matter=matter)


def test_support_once_per_person_not_own_not_from_elsewhere(people):
    matter = propose(people)
    services.matter_support(actor=people["r1"], matter=matter)
    with pytest.raises(Conflict):
        services.matter_support(actor=people["r1"], matter=matter)
    with pytest.raises(DomainError):
        services.matter_support(actor=people["resident_a"], matter=matter)
    with pytest.raises(NotFound):
        services.matter_support(actor=people["resident_b"], matter=matter)
    assert Support.objects.filter(matter=matter).count() == 1


def test_the_support_threshold_cannot_be_asked_for_directly(people):
    from wangge.deliberation.workflow import matter_transition

    matter = propose(people)
    with pytest.raises(Conflict):
        matter_transition(matter=matter, action="supported", actor=people["gridworker_a"])


# ---- 2 hear ------------------------------------------------------------------------------------


def test_only_hearers_in_scope_hear(people):
    matter = propose(people)
    with pytest.raises(Forbidden):
        services.matter_accept(actor=people["r1"], matter=matter)
    with pytest.raises(NotFound):
        services.matter_accept(actor=people["gridworker_b"], matter=matter)
    assert to_hearing(people, matter).status == Status.HEARING


def test_merge_moves_supporters_to_the_matter_it_repeats(people):
    first, second = propose(people, title="加装电梯"), propose(people, title="电梯加装", who="r5")
    services.matter_support(actor=people["r1"], matter=second)
    merged = services.matter_merge(actor=people["gridworker_a"], matter=second, into=first)
    assert merged.status == Status.MERGED and merged.merged_into == first
    first.refresh_from_db()
    assert first.support_count == 1
    with pytest.raises(DomainError):
        services.matter_merge(actor=people["gridworker_a"], matter=first, into=first)


def test_answer_closes_a_question(people):
    matter = to_hearing(people, propose(people))
    with pytest.raises(DomainError) as error:
        services.matter_answer(actor=people["gridworker_a"], matter=matter, answer="")
    assert error.value.field == "answer"
    matter = services.matter_answer(actor=people["gridworker_a"], matter=matter, answer="电梯加装补贴政策见社区公告栏")
    assert matter.status == Status.ANSWERED
    with pytest.raises(Conflict):  # finished: nothing more
        services.matter_accept(actor=people["gridworker_a"], matter=matter)


def test_refer_turns_a_repair_into_a_case(people):
    matter = to_hearing(people, propose(people, title="路灯不亮"))
    matter = services.matter_refer(actor=people["gridworker_a"], matter=matter)
    assert matter.status == Status.REFERRED
    case = Case.objects.get(pk=matter.case_id)
    assert case.region_key == A_GRID and "路灯不亮" in case.text


def test_schedule_needs_a_planned_meeting_containing_the_matter(people, tree):
    matter = to_hearing(people, propose(people))
    elsewhere = meetings.meeting_call(
        actor=people["community_a"],
        title="二网格议事会",
        place="510502001001002",
        starts_at=meeting_for(people).starts_at,
    )
    with pytest.raises(DomainError) as error:
        services.matter_schedule(actor=people["gridworker_a"], matter=matter, meeting=elsewhere)
    assert error.value.field == "meeting"
    community_meeting = meeting_for(people, place=tree["community_a"].code)
    matter = services.matter_schedule(actor=people["gridworker_a"], matter=matter, meeting=community_meeting)
    assert matter.status == Status.SCHEDULED


def test_cannot_schedule_before_hearing(people):
    matter = propose(people)
    with pytest.raises(Conflict):
        services.matter_schedule(actor=people["gridworker_a"], matter=matter, meeting=meeting_for(people))


# ---- 3 deliberate --------------------------------------------------------------------------------


def test_meeting_only_by_meeting_runners_in_scope(people):
    with pytest.raises(Forbidden):
        meetings.meeting_call(actor=people["resident_a"], title="议事会", place=A_GRID, starts_at=None)
    with pytest.raises(DomainError) as error:
        meeting_for(people, place=B_GRID)
    assert error.value.field == "place"
    with pytest.raises(DomainError) as error:
        meeting_for(people, quorum=0)
    assert error.value.field == "quorum_percent"


def test_participants_attendance_minutes_and_comments(people):
    meeting = meeting_for(people)
    meetings.participant_invite(actor=people["community_a"], meeting=meeting, category="property", name="安居物业")
    with pytest.raises(DomainError) as error:
        meetings.participant_invite(
            actor=people["community_a"], meeting=meeting, category="representative", name="张三"
        )
    assert error.value.field == "username"
    with pytest.raises(DomainError):
        meetings.participant_invite(
            actor=people["community_a"], meeting=meeting, category="representative", username="resident_b"
        )
    with_representatives(people, meeting)
    assert meeting.participants.filter(attended=True).count() == 3
    before = meetings.comment_add(actor=people["r5"], meeting=meeting, text="建议先听听低层住户的意见")
    with pytest.raises(NotFound):
        meetings.comment_add(actor=people["resident_b"], meeting=meeting, text="外人意见")
    with pytest.raises(DomainError) as error:
        meetings.meeting_hold(actor=people["community_a"], meeting=meeting, minutes="短")
    assert error.value.field == "minutes"
    meetings.meeting_hold(
        actor=people["community_a"], meeting=meeting, minutes="到会代表3人，讨论加装电梯费用分摊方案。"
    )
    after = meetings.comment_add(actor=people["r5"], meeting=meeting, text="会议纪要已看到，支持")
    assert (before.after_meeting, after.after_meeting) == (False, True)


# ---- 4 decide ----------------------------------------------------------------------------------


def test_representatives_vote_once_and_the_result_is_computed(people):
    matter, meeting = scheduled(people)
    with_representatives(people, meeting)
    vote = meetings.vote_open(actor=people["community_a"], matter=matter)
    meetings.ballot_cast(actor=people["r1"], vote=vote, choice="yes")
    # The audit log names the vote by its question, not "Vote object (n)".
    assert {e.target_label for e in AuditEvent.objects.filter(verb__startswith="vote.")} == {vote.question}
    with pytest.raises(Conflict):
        meetings.ballot_cast(actor=people["r1"], vote=vote, choice="no")
    with pytest.raises(Forbidden):  # invited, absent
        meetings.ballot_cast(actor=people["r4"], vote=vote, choice="yes")
    with pytest.raises(Forbidden):  # not a representative
        meetings.ballot_cast(actor=people["r5"], vote=vote, choice="yes")
    with pytest.raises(NotFound):
        meetings.ballot_cast(actor=people["resident_b"], vote=vote, choice="yes")
    meetings.ballot_cast(actor=people["r2"], vote=vote, choice="yes")
    with pytest.raises(Forbidden):
        meetings.vote_publish(actor=people["r1"], vote=vote)
    vote = meetings.vote_publish(actor=people["community_a"], vote=vote)
    assert (vote.eligible, vote.yes, vote.quorum_met, vote.passed) == (3, 2, True, True)
    matter.refresh_from_db()
    assert matter.status == Status.DECIDED and matter.decided_at is not None


def test_below_quorum_fails(people):
    matter, meeting = scheduled(people, quorum=80)
    with_representatives(people, meeting)
    vote = meetings.vote_open(actor=people["community_a"], matter=matter)
    for name in ("r1", "r2"):
        meetings.ballot_cast(actor=people[name], vote=vote, choice="yes")
    vote = meetings.vote_publish(actor=people["community_a"], vote=vote)
    assert (vote.quorum_met, vote.passed) == (False, False)
    matter.refresh_from_db()
    assert matter.status == Status.REJECTED


@pytest.mark.parametrize(
    "yes,no,abstain,majority,passed",
    [
        (2, 1, 0, "simple", True),
        (1, 1, 0, "simple", False),  # a tie is not a majority
        (2, 0, 2, "simple", False),  # abstentions count as cast, not in favour
        (2, 1, 0, "two_thirds", True),
        (3, 2, 0, "two_thirds", False),
    ],
)
def test_majority_rules(yes, no, abstain, majority, passed):
    assert (
        meetings.tally(yes=yes, no=no, abstain=abstain, eligible=5, quorum_percent=50, majority=majority)[1] is passed
    )


def test_household_rule_one_vote_per_household(people, building):
    matter, meeting = scheduled(people, rule="household", place=f"building:{building.pk}", quorum=50)
    homes(people, building, names=("r1", "r2", "r3"))
    # r4 lives in the same household as r1
    from wangge.deliberation.models import Home

    Home.objects.create(user=people["r4"], household=people["r1"].home.household)
    vote = meetings.vote_open(actor=people["community_a"], matter=matter)
    meetings.ballot_cast(actor=people["r1"], vote=vote, choice="yes")
    with pytest.raises(Conflict) as error:
        meetings.ballot_cast(actor=people["r4"], vote=vote, choice="no")
    assert "每户" in error.value.message
    with pytest.raises(Forbidden):  # no household recorded
        meetings.ballot_cast(actor=people["r5"], vote=vote, choice="yes")
    meetings.ballot_cast(actor=people["r2"], vote=vote, choice="yes")
    vote = meetings.vote_publish(actor=people["community_a"], vote=vote)
    assert (vote.eligible, vote.cast, vote.quorum_met, vote.passed) == (4, 2, True, True)


def test_published_vote_and_ballots_cannot_change(people):
    matter = decided(people)
    vote = Vote.objects.get(matter=matter)
    with pytest.raises(Conflict):
        meetings.vote_publish(actor=people["community_a"], vote=vote)
    with pytest.raises(Conflict):
        meetings.ballot_cast(actor=people["r1"], vote=vote, choice="no")
    # the database itself refuses, whatever the code path
    with pytest.raises(DatabaseError), transaction.atomic():
        Vote.objects.filter(pk=vote.pk).update(yes=0)
    with pytest.raises(DatabaseError), transaction.atomic():
        Ballot.objects.filter(vote=vote).update(choice="no")
    with pytest.raises(DatabaseError), transaction.atomic():
        Ballot.objects.filter(vote=vote).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        Ballot.objects.create(vote=vote, voter=people["r4"], choice="no")
    vote.refresh_from_db()
    assert (vote.yes, Ballot.objects.filter(vote=vote, choice="yes").count()) == (3, 3)


# ---- 5 carry out -------------------------------------------------------------------------------


def test_tasks_and_cases_roll_up(people):
    matter = decided(people)
    with pytest.raises(Forbidden):
        services.task_add(actor=people["resident_a"], matter=matter, title="联系电梯公司", deadline=later())
    with pytest.raises(DomainError) as error:
        services.task_add(actor=people["community_a"], matter=matter, title="联系电梯公司", deadline=later(-1))
    assert error.value.field == "deadline"
    task = services.task_add(
        actor=people["community_a"],
        matter=matter,
        title="联系电梯公司报价",
        deadline=later(),
        owner_username="gridworker_a",
    )
    matter.refresh_from_db()
    assert matter.status == Status.IN_PROGRESS
    case_task = services.task_add(
        actor=people["community_a"],
        matter=matter,
        title="清理井道杂物",
        deadline=later(),
        owner_name="城管",
        as_case=True,
    )
    assert case_task.case.text.startswith("【议事决定】")
    assert progress(matter) == (0, 2)
    with pytest.raises(Forbidden):  # not the owner, no capability
        services.task_done(actor=people["r1"], task=task)
    services.task_done(actor=people["gridworker_a"], task=task, note="已拿到三家报价")
    assert progress(matter) == (1, 2)
    with pytest.raises(Conflict):
        services.matter_finish(actor=people["community_a"], matter=matter)
    Case.objects.filter(pk=case_task.case_id).update(status=CaseStatus.CLOSED)
    assert progress(matter) == (2, 2)
    matter = services.matter_finish(actor=people["community_a"], matter=matter)
    assert matter.status == Status.DONE and matter.done_at is not None


def test_last_task_done_finishes_the_matter(people):
    matter = decided(people)
    task = services.task_add(
        actor=people["community_a"], matter=matter, title="张贴公示", deadline=later(), owner_name="社区"
    )
    services.task_done(actor=people["community_a"], task=task)
    matter.refresh_from_db()
    assert matter.status == Status.DONE


def test_no_tasks_on_an_undecided_matter(people):
    matter, _ = scheduled(people)
    with pytest.raises(Conflict):
        services.task_add(actor=people["community_a"], matter=matter, title="提前动工", deadline=later())


# ---- 6 evaluate --------------------------------------------------------------------------------


def test_residents_of_the_place_rate_once_after_done(people):
    matter = decided(people)
    with pytest.raises(Conflict):
        services.evaluation_add(actor=people["r1"], matter=matter, rating="satisfied")
    task = services.task_add(
        actor=people["community_a"], matter=matter, title="张贴公示", deadline=later(), owner_name="社区"
    )
    services.task_done(actor=people["community_a"], task=task)
    matter.refresh_from_db()
    services.evaluation_add(actor=people["r1"], matter=matter, rating="satisfied", comment="办得好")
    services.evaluation_add(actor=people["r2"], matter=matter, rating="unsatisfied")
    with pytest.raises(Conflict):
        services.evaluation_add(actor=people["r1"], matter=matter, rating="fairly")
    with pytest.raises(NotFound):
        services.evaluation_add(actor=people["resident_b"], matter=matter, rating="satisfied")
    with pytest.raises(Forbidden):
        services.evaluation_add(actor=people["gridworker_a"], matter=matter, rating="satisfied")
    with pytest.raises(DomainError) as error:
        services.evaluation_add(actor=people["r3"], matter=matter, rating="great")
    assert error.value.field == "rating"
    assert rating_summary(matter)["percent"] == 50
    matter = services.matter_close(actor=people["community_a"], matter=matter)
    with pytest.raises(Conflict):
        services.evaluation_add(actor=people["r3"], matter=matter, rating="satisfied")


# ---- who is told -------------------------------------------------------------------------------


@override_settings(WANGGE_DELIBERATION_SUPPORTS=1)
def test_hearers_voters_and_proposer_are_told(people):
    from wangge.notify.models import Notification

    matter = propose(people)
    services.matter_support(actor=people["r1"], matter=matter)
    told = set(Notification.objects.filter(kind="deliberation.hearing").values_list("recipient__username", flat=True))
    assert told == {"gridworker_a", "community_a"}
    decided_matter = decided(people)
    voters = set(Notification.objects.filter(kind="deliberation.vote").values_list("recipient__username", flat=True))
    assert voters == {"r1", "r2", "r3", "r4"}
    task = services.task_add(
        actor=people["community_a"], matter=decided_matter, title="张贴公示", deadline=later(), owner_name="社区"
    )
    services.task_done(actor=people["community_a"], task=task)
    rate = Notification.objects.filter(kind="deliberation.done").values_list("recipient__username", flat=True)
    assert list(rate) == ["resident_a"]


# ---- the table ---------------------------------------------------------------------------------


def test_every_move_is_refused_from_a_state_it_does_not_start_from(people):
    from wangge.deliberation.workflow import TABLE, matter_transition

    matter = propose(people)
    # states the database lets stand without a merge target, a case or a meeting
    free = [s for s in Status.values if s not in (Status.MERGED, Status.REFERRED, Status.SCHEDULED)]
    for move in TABLE:
        if move.capability is None:
            continue
        for status in free:
            if status in move.sources:
                continue
            Matter.objects.filter(pk=matter.pk).update(status=status)
            with pytest.raises(Conflict):
                matter_transition(matter=matter, action=move.action, actor=people["admin"])
    assert Matter.objects.get(pk=matter.pk).events.count() == 1  # only the proposal


def test_closing_the_last_case_finishes_the_matter_in_the_same_transaction(people):
    from wangge.cases import services as case_services
    from wangge.cases.models import Category

    matter = decided(people)
    task = services.task_add(
        actor=people["community_a"],
        matter=matter,
        title="清理井道杂物",
        deadline=later(),
        owner_name="城管",
        as_case=True,
    )
    case = Case.objects.get(pk=task.case_id)
    category = Category.objects.create(region_key=case.region_key[:4], code="0801", name="意见建议", kind="suggestion")
    case_services.case_answer(
        case=case,
        actor=people["community_a"],
        expected_version=case.version,
        text="物业已清理完毕，现场已核实",
        category=category,
    )
    matter.refresh_from_db()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.CLOSED
    assert matter.status == Status.DONE and matter.done_at is not None
    assert AuditEvent.objects.filter(verb="matter.case_done", target_id=str(matter.pk)).exists()
