"""Points fixtures on top of the shared tree: community staff of 甲一 and 乙一, residents in the
registry and as login accounts, and `serve(...)`, which confirms a service the way the party app
does — by sending its signal inside a transaction."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.db import transaction

from conftest import make_user
from wangge.accounts.roles import Role
from wangge.core.validators import id_check_char
from wangge.party.contracts import ActivityType, service_confirmed
from wangge.regions.models import Household
from wangge.registry import services as registry

A_GRID, A_GRID2, B_GRID = "510502001001001", "510502001001002", "510502002001001"
_serial = itertools.count(10)


def make_id() -> str:
    first17 = f"51050219800101{next(_serial) % 100:02d}1"
    return first17 + id_check_char(first17)


@pytest.fixture
def people(users, tree):
    staff = {
        "community_a": make_user("community_a", Role.COMMUNITY_STAFF, tree["community_a"]),
        "community_b": make_user("community_b", Role.COMMUNITY_STAFF, tree["community_b"]),
        "secretary_a": make_user("secretary_a", Role.PARTY_SECRETARY, tree["community_a"]),
        "parttime_a": make_user("parttime_a", Role.PART_TIME_GRID_WORKER, tree["grids"][A_GRID]),
        "resident_b": make_user("resident_b", Role.RESIDENT, tree["grids"][B_GRID]),
        "hotline": make_user("hotline", Role.HOTLINE_OPERATOR, tree["city"]),
    }
    users.update(staff)
    return users


@pytest.fixture
def residents(tree):
    def register(grid: str, name: str):
        house = Household.objects.filter(region_key=grid).first()
        return registry.resident_create(
            actor=None, household=house, name=name, id_number=make_id(), moved_in=datetime.date(2020, 1, 1)
        )

    return {"a": register(A_GRID, "张三"), "a2": register(A_GRID, "李四"), "b": register(B_GRID, "王五")}


def serve(key: str, *, region_key: str = A_GRID, hours="2", activity_type=ActivityType.VOLUNTEER, **who):
    """Confirm one service as the party app would; returns what the receivers answered."""
    arguments = {
        "key": key,
        "activity_type": activity_type,
        "hours": Decimal(hours),
        "occurred_on": who.pop("occurred_on", datetime.date(2026, 11, 5)),
        "region_key": region_key,
        "resident_id": None,
        "user_id": None,
        "unit_id": None,
        "label": who.pop("label", "参加『清洁家园』志愿服务"),
        "actor": who.pop("actor", None),
    }
    arguments.update(who)
    with transaction.atomic():
        return service_confirmed.send(sender=None, **arguments)
