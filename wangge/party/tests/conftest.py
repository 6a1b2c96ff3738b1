"""Fixtures for the party app on the shared tree: street A (甲) with community A1 and street B
(乙) with community B1; a unit in a grid of each; party staff of each street and community; a
resident of A's first grid who is also a member with an account."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from conftest import make_user
from wangge.accounts.roles import Role
from wangge.core import pii
from wangge.core.validators import credit_check_char, id_check_char
from wangge.party import services
from wangge.registry.models import Resident
from wangge.units import services as unit_services

A_GRID, A_GRID2, B_GRID = "510502001001001", "510502001001002", "510502002001001"
A1, B1 = "510502001001", "510502002001"


def idn(n: int) -> str:
    """A valid ID number, different for each n."""
    first17 = f"51050219800101{n:03d}"
    return first17 + id_check_char(first17)


def credit(n: int) -> str:
    first17 = f"91510502{n:09d}"
    return first17 + credit_check_char(first17)


def soon(hours: float = 0) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(hours=hours)


@pytest.fixture
def people(users, tree):
    return {
        **users,
        "party_a": make_user("party_a", Role.PARTY_SECRETARY, tree["street_a"]),
        "party_b": make_user("party_b", Role.PARTY_SECRETARY, tree["street_b"]),
        "community_a": make_user("community_a", Role.COMMUNITY_STAFF, tree["community_a"]),
        "community_b": make_user("community_b", Role.COMMUNITY_STAFF, tree["community_b"]),
        "resident_b": make_user("resident_b", Role.RESIDENT, tree["grids"][B_GRID]),
        "hotline": make_user("hotline", Role.HOTLINE_OPERATOR, tree["city"]),
    }


@pytest.fixture
def login(people):
    def build(name: str) -> Client:
        client = Client()
        client.force_login(people[name])
        return client

    return build


@pytest.fixture
def household_a(tree):
    return tree["compounds"][A_GRID].buildings.first().households.first()


def add_resident(household, n: int, name: str) -> Resident:
    number = idn(n)
    return Resident.objects.create(
        name=name,
        **pii.protect_id_number(number).as_fields("id"),
        gender="M",
        birth_date=datetime.date(1980, 1, 1),
        household=household,
        region_key=household.region_key,
    )


@pytest.fixture
def orgs(tree):
    """The territorial tree of street A and a unit organisation in A1 and in B1."""
    street = services.organisation_create(
        actor=None, name="甲街道党工委", kind="street_committee", region_code=tree["street_a"].code
    )
    community = services.organisation_create(
        actor=None, name="甲一社区党委", kind="community_committee", region_code=A1, parent_id=street.pk
    )
    grid = services.organisation_create(
        actor=None, name="甲一1网格党支部", kind="branch", region_code=A_GRID, parent_id=community.pk
    )
    unit_a = unit_services.unit_create(
        actor=None, name="甲区税务所", credit_code=credit(1), kind="agency", grid_code=A_GRID2
    )
    unit_b = unit_services.unit_create(
        actor=None, name="乙街道科技公司", credit_code=credit(2), kind="enterprise", grid_code=B_GRID
    )
    unit_org_a = services.organisation_create(
        actor=None,
        name="甲区税务所党支部",
        kind="branch",
        category="unit",
        region_code=A_GRID2,
        unit_code=unit_a.credit_code,
    )
    unit_org_b = services.organisation_create(
        actor=None,
        name="科技公司党支部",
        kind="branch",
        category="unit",
        region_code=B_GRID,
        unit_code=unit_b.credit_code,
    )
    return {
        "street": street,
        "community": community,
        "grid": grid,
        "unit_a": unit_a,
        "unit_b": unit_b,
        "unit_org_a": unit_org_a,
        "unit_org_b": unit_org_b,
    }


@pytest.fixture
def member_a(orgs, household_a, people):
    """An in-service member of the tax office living in A's first grid, with the resident account."""
    add_resident(household_a, 1, "张党员")
    return services.member_create(
        actor=None,
        name="张党员",
        id_number=idn(1),
        phone="13800001234",
        joined_on="2005-07-01",
        organisation_id=orgs["unit_org_a"].pk,
        in_service=True,
        employer_code=orgs["unit_a"].credit_code,
        user_id=people["resident_a"].pk,
    )


@pytest.fixture
def member_b(orgs, tree):
    return services.member_create(
        actor=None,
        name="李党员",
        id_number=idn(2),
        joined_on="2010-07-01",
        organisation_id=orgs["unit_org_b"].pk,
        grid_code=B_GRID,
        in_service=True,
        employer_name="乙区教育局",
    )


@pytest.fixture
def approved(orgs, member_a):
    """The tax office's organisation and member_a, both approved in community A1."""
    org_reg = services.registration_create(actor=None, community_code=A1, organisation_id=orgs["unit_org_a"].pk)
    member_reg = services.registration_create(actor=None, community_code=A1, member_id=member_a.pk, grid_code=A_GRID)
    for registration in (org_reg, member_reg):
        services.registration_decide(actor=None, registration=registration, status="approved")
    return {"organisation": org_reg, "member": member_reg}
