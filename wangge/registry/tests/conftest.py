"""Ledger fixtures on top of the shared tree: more houses, the staff who keep the ledgers, and
a way to register people with valid (synthetic) ID numbers."""

import datetime
import itertools

import pytest

from conftest import make_user
from wangge.accounts.roles import Role
from wangge.core.validators import id_check_char
from wangge.regions.models import Building, Compound, Household
from wangge.registry import services

A_GRID, A_GRID2, B_GRID = "510502001001001", "510502001001002", "510502002001001"
_serial = itertools.count(100)


def make_id(birth: str = "19800101", district: str = "510502", male: bool = True) -> str:
    """A valid GB 11643 number (17 digits + check character) for a synthetic person."""
    n = next(_serial) % 100
    first17 = f"{district}{birth}{n:02d}{1 if male else 2}"
    return first17 + id_check_char(first17)


@pytest.fixture
def ledger(tree, users):
    a_compound = tree["compounds"][A_GRID]
    a_building = Building.objects.get(compound=a_compound)
    a_building.compound.lng, a_building.compound.lat = 105.405, 28.915
    a_building.compound.save()
    houses = {
        "a101": Household.objects.get(building=a_building),
        "a102": Household.objects.create(building=a_building, region_key=A_GRID, unit=1, room="102"),
        "a201": Household.objects.create(building=a_building, region_key=A_GRID, unit=1, room="201"),
    }
    compound2 = Compound.objects.create(name="甲二花园", grid=tree["grids"][A_GRID2], region_key=A_GRID2)
    building2 = Building.objects.create(compound=compound2, region_key=A_GRID2, name="2栋")
    houses["a2"] = Household.objects.create(building=building2, region_key=A_GRID2, unit=1, room="301")
    houses["b101"] = Household.objects.get(building__compound=tree["compounds"][B_GRID])
    people = {
        "community_a": make_user("community_a", Role.COMMUNITY_STAFF, tree["community_a"]),
        "community_b": make_user("community_b", Role.COMMUNITY_STAFF, tree["community_b"]),
        "parttime_a": make_user("parttime_a", Role.PART_TIME_GRID_WORKER, tree["grids"][A_GRID]),
        "gridworker_a2": make_user("gridworker_a2", Role.GRID_WORKER, tree["grids"][A_GRID2]),
        "gridworker_b": make_user("gridworker_b", Role.GRID_WORKER, tree["grids"][B_GRID]),
        "leader": make_user("leader", Role.LEADER, tree["city"]),
    }
    users.update(people)
    return {"houses": houses, "users": users}


@pytest.fixture
def register(ledger):
    """register(house_key, name, **fields) → a resident created by the system."""

    def build(house: str, name: str, *, id_number: str | None = None, phone: str = "", **fields):
        return services.resident_create(
            actor=None,
            household=ledger["houses"][house],
            name=name,
            id_number=id_number or make_id(),
            phone=phone,
            moved_in=fields.pop("moved_in", datetime.date(2020, 5, 1)),
            **fields,
        )

    return build
