"""Fixtures for the units app: units and resources in street A (甲) and street B (乙) of the
shared tree, and helpers for valid credit codes and future times."""

import datetime

import pytest
from django.utils import timezone

from conftest import make_user
from wangge.accounts.roles import Role
from wangge.core.validators import credit_check_char
from wangge.units import services
from wangge.units.bookings import booking_create

A_GRID, A_GRID2, B_GRID = "510502001001001", "510502001001002", "510502002001001"
EVERY_DAY = "每天 08:00-22:00"


def credit(n: int) -> str:
    """A valid unified social credit code, different for each n."""
    first17 = f"91510502{n:09d}"
    return first17 + credit_check_char(first17)


def at(days: int = 1, hour: int = 9, minute: int = 0) -> datetime.datetime:
    """A local time `days` from today."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def more_users(users, tree):
    return {
        "community_a": make_user("community_a", Role.COMMUNITY_STAFF, tree["community_a"]),
        "community_b": make_user("community_b", Role.COMMUNITY_STAFF, tree["community_b"]),
        "leader_a": make_user("leader_a", Role.LEADER, tree["street_a"]),
        "resident_a2": make_user("resident_a2", Role.RESIDENT, tree["grids"][A_GRID2]),
        "resident_b": make_user("resident_b", Role.RESIDENT, tree["grids"][B_GRID]),
    }


@pytest.fixture
def all_users(users, more_users):
    return {**users, **more_users}


@pytest.fixture
def units(tree):
    return {
        "a": services.unit_create(
            actor=None,
            name="甲街道第一小学",
            credit_code=credit(1),
            kind="school",
            grid_code=A_GRID,
            contact_name="王老师",
            contact_phone="13800001234",
            address="甲路1号",
            has_party_organisation=True,
            party_organisation_name="第一小学党支部",
        ),
        "a2": services.unit_create(
            actor=None, name="甲街道卫生院", credit_code=credit(2), kind="hospital", grid_code=A_GRID2
        ),
        "b": services.unit_create(
            actor=None, name="乙街道科技公司", credit_code=credit(3), kind="enterprise", grid_code=B_GRID
        ),
    }


@pytest.fixture
def resources(units, tree):
    return {
        "a": services.resource_create(
            actor=None,
            name="第一小学操场",
            kind="sports",
            owner_unit_code=units["a"].credit_code,
            location="甲路1号",
            capacity=200,
            opening_hours=EVERY_DAY,
        ),
        "a_compound": services.resource_create(
            actor=None,
            name="花园活动室",
            kind="venue",
            owner_grid_code=A_GRID,
            owner_compound_name=tree["compounds"][A_GRID].name,
            capacity=30,
            opening_hours=EVERY_DAY,
            price_rule="resident_low_cost",
            standard_price="40",
            low_price="10",
        ),
        "b": services.resource_create(
            actor=None,
            name="科技公司会议室",
            kind="meeting_room",
            owner_unit_code=units["b"].credit_code,
            capacity=20,
            opening_hours=EVERY_DAY,
            price_rule="unit_low_cost",
            standard_price="100",
            low_price="20",
        ),
    }


@pytest.fixture
def login(all_users):
    """A test client logged in as one of `all_users`."""
    from django.test import Client

    def build(name: str) -> Client:
        client = Client()
        client.force_login(all_users[name])
        return client

    return build


@pytest.fixture
def twelve_booked(all_users, tree):
    """Twelve units of grid A, each with a resource booked once for the unit by community staff
    and once by resident_a: enough rows for the list endpoints' query budgets. Returns the last
    resource."""
    for n in range(12):
        unit = services.unit_create(
            actor=None,
            name=f"单位{n}",
            credit_code=credit(200 + n),
            kind="enterprise",
            grid_code=A_GRID,
            compound_name=tree["compounds"][A_GRID].name,
        )
        resource = services.resource_create(
            actor=None, name=f"场地{n}", kind="venue", owner_unit_code=unit.credit_code, opening_hours=EVERY_DAY
        )
        booking_create(
            actor=all_users["community_a"], resource=resource, unit=unit, starts_at=at(), ends_at=at(hour=10)
        )
        booking_create(actor=all_users["resident_a"], resource=resource, starts_at=at(hour=10), ends_at=at(hour=11))
    return resource
