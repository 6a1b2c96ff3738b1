"""Fixtures for deliberation: people of grid A1-1 (street A) and of street B, a building with
households, and helpers that take a matter to each step."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from conftest import make_user
from wangge.accounts.roles import Role
from wangge.deliberation import meetings, services
from wangge.deliberation.models import Category, Home
from wangge.regions.models import Household

A_GRID, A_GRID2, B_GRID = "510502001001001", "510502001001002", "510502002001001"


@pytest.fixture
def people(users, tree):
    grid = tree["grids"][A_GRID]
    extra = {
        "community_a": make_user("community_a", Role.COMMUNITY_STAFF, tree["community_a"]),
        "community_b": make_user("community_b", Role.COMMUNITY_STAFF, tree["community_b"]),
        "gridworker_b": make_user("gridworker_b", Role.GRID_WORKER, tree["grids"][B_GRID]),
        "resident_b": make_user("resident_b", Role.RESIDENT, tree["grids"][B_GRID]),
        "resident_a2": make_user("resident_a2", Role.RESIDENT, tree["grids"][A_GRID2]),
        "leader": make_user("leader", Role.LEADER, tree["city"]),
    }
    for n in range(1, 7):
        extra[f"r{n}"] = make_user(f"r{n}", Role.RESIDENT, grid)
    return {**users, **extra}


@pytest.fixture
def building(tree):
    """The building of grid A1-1's compound, with 4 households (101 exists; 102, 201, 202 added)."""
    compound = tree["compounds"][A_GRID]
    building = compound.buildings.get()
    for room in ("102", "201", "202"):
        Household.objects.create(building=building, region_key=building.region_key, unit=1, room=room)
    return building


@pytest.fixture
def client_of(people):
    def build(name: str) -> Client:
        client = Client()
        client.force_login(people[name])
        return client

    return build


def propose(people, title="小区加装电梯", place=A_GRID, who="resident_a"):
    return services.matter_propose(
        actor=people[who], title=title, description="3栋老人多，希望加装电梯方便出行", place=place
    )


def to_hearing(people, matter):
    return services.matter_accept(actor=people["gridworker_a"], matter=matter)


def meeting_for(people, place=A_GRID, rule="representatives", quorum=50, majority="simple"):
    return meetings.meeting_call(
        actor=people["community_a"],
        title="三月居民议事会",
        place=place,
        starts_at=timezone.now() + datetime.timedelta(days=2),
        venue="社区活动室",
        voter_rule=rule,
        quorum_percent=quorum,
        majority=majority,
    )


def scheduled(people, rule="representatives", quorum=50, majority="simple", place=A_GRID):
    matter = to_hearing(people, propose(people, place=place))
    meeting = meeting_for(people, place=place, rule=rule, quorum=quorum, majority=majority)
    matter = services.matter_schedule(actor=people["gridworker_a"], matter=matter, meeting=meeting)
    return matter, meeting


def with_representatives(people, meeting, names=("r1", "r2", "r3", "r4"), present=("r1", "r2", "r3")):
    ids = []
    for name in names:
        p = meetings.participant_invite(
            actor=people["community_a"], meeting=meeting, category=Category.REPRESENTATIVE, username=name
        )
        if name in present:
            ids.append(p.pk)
    meetings.attendance_record(actor=people["community_a"], meeting=meeting, present=ids)


def homes(people, building, names=("r1", "r2", "r3", "r4")):
    for name, household in zip(names, building.households.order_by("room"), strict=False):
        Home.objects.create(user=people[name], household=household)


def decided(people):
    matter, meeting = scheduled(people)
    with_representatives(people, meeting)
    vote = meetings.vote_open(actor=people["community_a"], matter=matter)
    for name in ("r1", "r2", "r3"):
        meetings.ballot_cast(actor=people[name], vote=vote, choice="yes")
    meetings.vote_publish(actor=people["community_a"], vote=vote)
    matter.refresh_from_db()
    return matter


def later(days=7):
    return timezone.localdate() + datetime.timedelta(days=days)
