"""Ballots arriving at the same instant, each from its own thread and database connection: one
person (or one household) still votes once, and the loser gets the clear message.

PostgreSQL only: it needs real concurrent transactions (`transaction=True`); SQLite has a single
writer and its table flush trips the audit log's triggers. CI runs the suite on PostgreSQL too."""

import datetime
import threading

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from conftest import make_user
from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.core.errors import Conflict
from wangge.deliberation import meetings, services
from wangge.deliberation.models import Ballot, Home, Vote
from wangge.regions.models import Household

from .conftest import A_GRID

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs concurrent transactions on PostgreSQL (set DATABASE_URL); SQLite has one writer",
    ),
]

THREADS = 8


def race(attempts) -> list[str]:
    """Each attempt is (user id, vote id, choice), all released together; "ok" or the refusal."""
    barrier = threading.Barrier(len(attempts))
    results = [""] * len(attempts)

    def run(index, user_id, vote_id, choice):
        try:
            actor = User.objects.select_related("scope_region").get(pk=user_id)
            vote = Vote.objects.get(pk=vote_id)
            barrier.wait(timeout=30)
            meetings.ballot_cast(actor=actor, vote=vote, choice=choice)
            results[index] = "ok"
        except Conflict as error:
            results[index] = error.message
        except Exception as error:  # the assertions show anything unexpected
            results[index] = f"unexpected: {error!r}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, *attempt)) for i, attempt in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def household_vote(tree):
    community = make_user("community_race", Role.COMMUNITY_STAFF, tree["community_a"])
    grid_worker = make_user("grid_race", Role.GRID_WORKER, tree["grids"][A_GRID])
    proposer = make_user("proposer_race", Role.RESIDENT, tree["grids"][A_GRID])
    building = tree["compounds"][A_GRID].buildings.get()
    matter = services.matter_propose(
        actor=proposer, title="楼道装灯", description="楼道太黑，希望装感应灯", place=f"building:{building.pk}"
    )
    services.matter_accept(actor=grid_worker, matter=matter)
    meeting = meetings.meeting_call(
        actor=community,
        title="楼栋议事",
        place=f"building:{building.pk}",
        starts_at=timezone.now() + datetime.timedelta(days=1),
        voter_rule="household",
    )
    services.matter_schedule(actor=grid_worker, matter=matter, meeting=meeting)
    return meetings.vote_open(actor=community, matter=matter), building


def test_the_same_voter_racing_votes_once(tree):
    vote, building = household_vote(tree)
    voter = make_user("voter_race", Role.RESIDENT, tree["grids"][A_GRID])
    Home.objects.create(user=voter, household=Household.objects.filter(building=building).first())
    results = race([(voter.pk, vote.pk, "yes")] * THREADS)
    assert results.count("ok") == 1, results
    assert all(r == "您已经投过票了，每人只能投一票" for r in results if r != "ok"), results
    assert Ballot.objects.filter(vote=vote).count() == 1


def test_one_household_racing_votes_once(tree):
    vote, building = household_vote(tree)
    household = Household.objects.filter(building=building).first()
    voters = []
    for n in range(THREADS):
        voter = make_user(f"family{n}", Role.RESIDENT, tree["grids"][A_GRID])
        Home.objects.create(user=voter, household=household)
        voters.append(voter)
    results = race([(voter.pk, vote.pk, "no") for voter in voters])
    assert results.count("ok") == 1, results
    assert all(r == "您家已有家庭成员投过票，每户只能投一票" for r in results if r != "ok"), results
    assert Ballot.objects.filter(vote=vote).count() == 1
