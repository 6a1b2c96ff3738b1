"""Every region endpoint: anonymous → 401, out of scope → the same 404 as a missing object,
in scope → the data; list endpoints stay within a query budget."""

import pytest
from django.test import Client

from wangge.accounts.services import token_create
from wangge.regions.models import Building, Compound

pytestmark = pytest.mark.django_db

A_COMMUNITY, B_COMMUNITY = "510502001001", "510502002001"
A_GRID, B_GRID = "510502001001001", "510502002001001"


def endpoints(tree):
    """(url in street A, url in street B) for every GET endpoint that reads one object."""
    a_compound, b_compound = tree["compounds"][A_GRID], tree["compounds"][B_GRID]
    a_building, b_building = Building.objects.get(compound=a_compound), Building.objects.get(compound=b_compound)
    return [
        (f"/api/v1/regions/{A_COMMUNITY}", f"/api/v1/regions/{B_COMMUNITY}"),
        (f"/api/v1/regions/{A_GRID}/grids", f"/api/v1/regions/{B_GRID}/grids"),
        (f"/api/v1/compounds/{a_compound.pk}", f"/api/v1/compounds/{b_compound.pk}"),
        (f"/api/v1/compounds/{a_compound.pk}/buildings", f"/api/v1/compounds/{b_compound.pk}/buildings"),
        (f"/api/v1/buildings/{a_building.pk}", f"/api/v1/buildings/{b_building.pk}"),
        (f"/api/v1/regions?parent={A_COMMUNITY}", f"/api/v1/regions?parent={B_COMMUNITY}"),
        (f"/api/v1/compounds?region={A_COMMUNITY}", f"/api/v1/compounds?region={B_COMMUNITY}"),
    ]


def test_anonymous_callers_get_401_everywhere(tree):
    client = Client()
    for in_a, _ in endpoints(tree):
        response = client.get(in_a)
        assert response.status_code == 401, in_a
        assert response.json()["code"] == "unauthenticated"
    for url in (
        "/api/v1/me",
        "/api/v1/locate?lng=105.4&lat=28.9",
        "/api/v1/users",
        "/api/v1/audit",
        "/api/v1/regions",
        "/api/v1/compounds",
    ):
        assert client.get(url).status_code == 401, url


def test_out_of_scope_looks_exactly_like_missing(client_for, tree):
    client = client_for("dispatcher_a")
    for in_a, in_b in endpoints(tree):
        assert client.get(in_a).status_code == 200, in_a
        out = client.get(in_b)
        assert out.status_code == 404, in_b
        missing = client.get(
            in_b.replace(B_COMMUNITY, "510502002099")
            .replace(B_GRID, "510502002099001")
            .replace(f"/{tree['compounds'][B_GRID].pk}", "/999999")
            .replace(f"/{Building.objects.get(compound=tree['compounds'][B_GRID]).pk}", "/999999")
        )
        assert missing.status_code == 404
        assert out.json() == missing.json()


def test_region_detail_lists_children_and_staff_in_scope(client_for, tree, users):
    body = client_for("dispatcher_a").get("/api/v1/regions/510502001000").json()
    assert body["name"] == "甲街道" and body["level"] == 4
    assert [c["code"] for c in body["children"]] == [A_COMMUNITY]
    assert [s["username"] for s in body["staff"]] == ["admin_a", "dispatcher_a"]
    grid = client_for("dispatcher_a").get(f"/api/v1/regions/{A_GRID}").json()
    assert grid["parent_code"] == A_COMMUNITY and grid["level"] == 6


def test_lists_contain_only_the_callers_scope(client_for, tree):
    client = client_for("dispatcher_a")
    grids = client.get("/api/v1/regions?level=6").json()
    assert grids["count"] == 4 and all(item["code"].startswith("510502001") for item in grids["items"])
    compounds = client.get("/api/v1/compounds").json()
    assert [c["grid_code"] for c in compounds["items"]] == [A_GRID]
    everything = client_for("admin").get("/api/v1/regions?level=6").json()
    assert everything["count"] == 8


def test_grid_worker_sees_only_their_grid(client_for, tree):
    client = client_for("gridworker_a")
    assert client.get(f"/api/v1/regions/{A_GRID}").status_code == 200
    assert client.get("/api/v1/regions/510502001001002").status_code == 404
    assert client.get(f"/api/v1/regions/{A_COMMUNITY}").status_code == 404
    collection = client.get(f"/api/v1/regions/{A_GRID}/grids").json()
    assert [f["properties"]["code"] for f in collection["features"]] == [A_GRID]


def test_department_staff_see_their_departments_region(client_for, tree):
    client = client_for("handler")
    assert client.get("/api/v1/regions/510502000000").status_code == 200
    assert client.get("/api/v1/regions/510500000000").status_code == 404


def test_map_geojson_carries_the_grids_under_a_region(client_for, tree):
    collection = client_for("admin").get("/api/v1/regions/510502000000/grids").json()
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 8
    assert collection["features"][0]["geometry"]["type"] == "Polygon"


def test_locate_answers_inside_scope_only(client_for, tree):
    inside = client_for("dispatcher_a").get("/api/v1/locate?lng=105.405&lat=28.915").json()
    assert inside["found"] and inside["grid_code"] == A_GRID and inside["community_code"] == A_COMMUNITY
    other = client_for("dispatcher_a").get("/api/v1/locate?lng=105.505&lat=28.915").json()
    assert other == {
        "found": False,
        "grid_code": None,
        "grid_name": None,
        "community_code": None,
        "crs": "wgs84",
        "wgs84": [105.505, 28.915],
    }
    assert client_for("dispatcher_b").get("/api/v1/locate?lng=105.505&lat=28.915").json()["found"]


def test_locate_explains_bad_input(client_for, tree):
    client = client_for("admin")
    missing = client.get("/api/v1/locate?lng=105.4")
    assert missing.status_code == 422 and missing.json()["field"] == "lat"
    text = client.get("/api/v1/locate?lng=east&lat=28.9")
    assert text.status_code == 422 and text.json()["field"] == "lng"
    crs = client.get("/api/v1/locate?lng=105.4&lat=28.9&crs=bd09")
    assert crs.status_code == 400 and crs.json()["field"] == "crs"


def test_api_tokens_authenticate_systems(users, tree):
    _, raw = token_create(actor=users["admin"], user=users["dispatcher_a"], name="hotline bridge")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me").json()["username"] == "dispatcher_a"
    assert client.get(f"/api/v1/regions/{B_COMMUNITY}").status_code == 404
    assert Client(HTTP_AUTHORIZATION="Bearer wg_not-a-token").get("/api/v1/me").status_code == 401


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/regions?level=7",
        "/api/v1/regions?parent=510502001001001",
        "/api/v1/compounds",
        "/api/v1/users",
        "/api/v1/audit",
    ],
)
def test_list_endpoints_stay_within_a_query_budget(client_for, tree, users, django_assert_max_num_queries, url):
    from conftest import make_user
    from wangge.accounts.roles import Role
    from wangge.regions.models import Level, Region

    client = client_for("admin")
    grid = tree["grids"][A_GRID]
    for n in range(30):  # more rows of every listed kind must not mean more queries
        Compound.objects.create(name=f"加测{n}", grid=grid, region_key=A_GRID)
        Region.objects.create(
            code=f"{A_GRID}{n:02d}", key=f"{A_GRID}{n:02d}", name=f"微{n}", level=Level.MICROGRID, parent=grid
        )
        make_user(f"extra{n}", Role.GRID_WORKER, grid)
    client.get(url)  # warm the session
    with django_assert_max_num_queries(6):
        response = client.get(url)
    assert response.status_code == 200 and response.json()["count"] >= 30
