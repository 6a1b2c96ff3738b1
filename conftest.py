"""Shared test fixtures: a small region tree with square grids, and users of several scopes.

Tree (codes are real-format, names invented):
  city 5105 → district 510502 → streets 510502001 (A) and 510502002 (B)
  → communities 510502001001 (A1) and 510502002001 (B1) → 2×2 grids of 0.01° each.
"""

import pytest
import shapely
from django.test import Client

from wangge.accounts import services as account_services
from wangge.accounts.roles import Role
from wangge.regions.grids import bump_grid_version
from wangge.regions.models import Building, Compound, Department, Household, Level, Region

PASSWORD = "test-pass-2026"
SHARED_DATA = __import__("pathlib").Path(__file__).resolve().parent.parent / "shared" / "data"


def square(x0: float, y0: float, size: float = 0.01) -> dict:
    return shapely.geometry.mapping(shapely.box(x0, y0, x0 + size, y0 + size))


def _as_json(geometry: dict) -> dict:
    import json

    return json.loads(json.dumps(geometry))


def make_region(code, key, name, level, parent=None, geometry=None):
    return Region.objects.create(
        code=code, key=key, name=name, level=level, parent=parent, geometry=_as_json(geometry) if geometry else None
    )


@pytest.fixture
def tree(db):
    province = make_region("510000000000", "51", "四川省", Level.PROVINCE)
    city = make_region("510500000000", "5105", "泸州市", Level.CITY, province)
    district = make_region("510502000000", "510502", "江阳区", Level.DISTRICT, city)
    street_a = make_region("510502001000", "510502001", "甲街道", Level.STREET, district)
    street_b = make_region("510502002000", "510502002", "乙街道", Level.STREET, district)
    community_a = make_region(
        "510502001001", "510502001001", "甲一社区", Level.COMMUNITY, street_a, square(105.40, 28.90, 0.02)
    )
    community_b = make_region(
        "510502002001", "510502002001", "乙一社区", Level.COMMUNITY, street_b, square(105.50, 28.90, 0.02)
    )
    grids = {}
    for community, x0 in ((community_a, 105.40), (community_b, 105.50)):
        number = 0
        for y in (28.91, 28.90):  # north row first, then west→east
            for x in (x0, x0 + 0.01):
                number += 1
                code = f"{community.code}{number:03d}"
                grids[code] = make_region(
                    code, code, f"{community.name}{number}网格", Level.GRID, community, square(x, y)
                )
    bump_grid_version()
    department = Department.objects.create(
        code="510502-CG", name="江阳区城市管理局", region=district, region_key=district.key
    )
    compounds = {}
    for code in ("510502001001001", "510502002001001"):
        compound = Compound.objects.create(name=f"{code[-6:]}花园", grid=grids[code], region_key=code)
        building = Building.objects.create(compound=compound, region_key=code, name="1栋", floors=6, units=2)
        Household.objects.create(building=building, region_key=code, unit=1, room="101")
        compounds[code] = compound
    return {
        "city": city,
        "district": district,
        "street_a": street_a,
        "street_b": street_b,
        "community_a": community_a,
        "community_b": community_b,
        "grids": grids,
        "department": department,
        "compounds": compounds,
    }


def make_user(username, role, region=None, department=None):
    return account_services.user_create(
        actor=None,
        username=username,
        password=PASSWORD,
        role=role,
        display_name=username,
        region_code=region.code if region else None,
        department_code=department.code if department else None,
    )


@pytest.fixture
def users(tree):
    return {
        "admin": make_user("admin", Role.ADMINISTRATOR, tree["city"]),
        "admin_a": make_user("admin_a", Role.ADMINISTRATOR, tree["street_a"]),
        "dispatcher_a": make_user("dispatcher_a", Role.STREET_DISPATCHER, tree["street_a"]),
        "dispatcher_b": make_user("dispatcher_b", Role.STREET_DISPATCHER, tree["street_b"]),
        "gridworker_a": make_user("gridworker_a", Role.GRID_WORKER, tree["grids"]["510502001001001"]),
        "handler": make_user("handler", Role.DEPARTMENT_HANDLER, department=tree["department"]),
        "resident_a": make_user("resident_a", Role.RESIDENT, tree["grids"]["510502001001001"]),
    }


@pytest.fixture(autouse=True)
def fresh_dispatch_model_cache():
    """The dispatch model cache lives in the process, keyed by version id and checksum; each test's
    database is rolled back, so a version id (and even its checksum: training is deterministic)
    comes back in the next test and must not find the previous test's model or its failure."""
    from wangge.dispatch_ai import runtime

    runtime.clear_cache()
    yield
    runtime.clear_cache()


@pytest.fixture
def client_for(users):
    def build(name: str) -> Client:
        client = Client()
        client.force_login(users[name])
        return client

    return build


def pytest_configure(config):
    from django.conf import settings

    # Real hashing costs ~0.3 s a user; tests create many users and test no hash strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Background tasks run at once, inside the test; tests of the worker itself switch back.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
