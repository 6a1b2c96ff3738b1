"""The demo content on the shared test tree (whose first grid has the demo's code): a matter at
every step, built by the real services, and nothing built twice by accident."""

import types

import pytest

from conftest import make_user
from wangge.accounts.roles import Role
from wangge.deliberation import demo
from wangge.deliberation.models import Evaluation, Matter, Status, Vote

pytestmark = pytest.mark.django_db


def test_demo_has_a_matter_at_every_step(tree):
    grid = tree["grids"][demo.GRID]
    make_user("community", Role.COMMUNITY_STAFF, tree["community_a"])
    make_user("gridworker", Role.GRID_WORKER, grid)
    make_user("resident", Role.RESIDENT, grid)
    builder = types.SimpleNamespace(counts={"users": 3})
    demo.build(builder)
    assert set(Matter.objects.values_list("status", flat=True)) == set(Status.values)
    assert builder.counts["users"] == 3 + len(demo.VOTERS)
    assert Vote.objects.filter(published_at__isnull=False, passed=True).count() == 4
    assert Evaluation.objects.count() == 8
