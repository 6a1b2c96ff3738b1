"""Who is told what in deliberation (in-app messages, written inside the acting transaction):
the grid and community when a matter comes to hearing, the voters when a vote opens, and the
proposer and supporters when the result is ready to be rated."""

from django.urls import reverse

from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.notify.services import notify
from wangge.regions.models import KEY_LENGTH, Level

from .models import Category, Matter, Support, Vote, VoterRule


def _link(matter: Matter) -> str:
    return reverse("deliberation:matter_detail", args=[matter.pk])


def hearing(matter: Matter) -> None:
    keys = [matter.region_key[:n] for n in (KEY_LENGTH[Level.COMMUNITY], KEY_LENGTH[Level.GRID])]
    hearers = User.objects.filter(
        is_active=True, role__in=[Role.GRID_WORKER, Role.COMMUNITY_STAFF], scope_region__key__in=keys
    )
    notify(
        recipients=hearers,
        kind="deliberation.hearing",
        title=f"议事事项待听事：{matter.title}",
        body=f"附议 {matter.support_count} 人",
        link=_link(matter),
        target=matter,
        channels=(),
    )


def vote_opened(vote: Vote) -> None:
    meeting = vote.meeting
    if meeting.voter_rule == VoterRule.HOUSEHOLD:
        voters = User.objects.filter(home__household__in=meeting.households(), is_active=True)
    else:
        voters = User.objects.filter(
            pk__in=meeting.participants.filter(category=Category.REPRESENTATIVE).values("user"), is_active=True
        )
    notify(
        recipients=voters,
        kind="deliberation.vote",
        title=f"请参加表决：{vote.question}",
        body=f"{meeting.title}：{meeting.get_voter_rule_display()}",
        link=_link(vote.matter),
        target=vote.matter,
        channels=(),
    )


def ready_to_rate(matter: Matter) -> None:
    people = [matter.proposer, *User.objects.filter(pk__in=Support.objects.filter(matter=matter).values("user"))]
    notify(
        recipients=[p for p in people if p.role == Role.RESIDENT],
        kind="deliberation.done",
        title=f"议事事项已办结，请评价：{matter.title}",
        link=_link(matter),
        target=matter,
        channels=(),
    )
