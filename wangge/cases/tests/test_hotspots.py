"""Hot spot detection on hand-placed cases, and its page, API and export in and out of scope."""

import io
import math
from datetime import timedelta

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from wangge.cases import hotspots
from wangge.cases.models import Case, Category, Status
from wangge.core.geo import METRES_PER_DEGREE

LAT, LNG = 28.915, 105.405  # in grid 甲一1
GRID_A1, GRID_B1 = "510502001001001", "510502002001001"
_numbers = iter(range(1, 10_000))


@pytest.fixture(autouse=True)
def hotspot_settings(settings):
    settings.WANGGE_HOTSPOT_K = 3
    settings.WANGGE_HOTSPOT_RADIUS_M = 100
    settings.WANGGE_HOTSPOT_DAYS = 7


@pytest.fixture
def garbage(tree):
    return Category.objects.create(region_key="5105", code="0101", name="暴露垃圾")


def east(metres: float) -> float:
    return LNG + metres / (METRES_PER_DEGREE * math.cos(math.radians(LAT)))


def put(category, *, metres_east=0.0, days_ago=1.0, status=Status.ACCEPTED, grid=GRID_A1, lat=LAT, lead=None):
    return Case.objects.create(
        number=f"WG-2026-{next(_numbers):06d}",
        text="垃圾",
        channel="grid",
        category=category,
        region_key=grid,
        reported_at=timezone.now() - timedelta(days=days_ago),
        status=status,
        lat=lat,
        lng=east(metres_east),
        lead_department=lead,
    )


def found(user):
    return hotspots.hotspot_list(user=user)


def test_one_short_of_k_is_no_hot_spot(users, garbage):
    put(garbage)
    put(garbage, metres_east=30)
    assert found(users["admin"]) == []


def test_k_cases_within_the_radius_are_one_hot_spot(users, garbage):
    made = [put(garbage, metres_east=m, days_ago=d) for m, d in ((0, 3), (40, 2), (80, 1))]
    spots = found(users["admin"])
    assert len(spots) == 1
    assert spots[0].count == 3 and spots[0].numbers == [c.number for c in made]
    assert spots[0].category_name == "暴露垃圾"


def test_far_apart_is_no_hot_spot(users, garbage):
    for metres in (0, 150, 300):  # each within 150 m of the next, never three within 100 m of one
        put(garbage, metres_east=metres)
    assert found(users["admin"]) == []


def test_older_than_t_days_or_finished_or_other_categories_do_not_count(users, garbage, tree):
    lamp = Category.objects.create(region_key="5105", code="0201", name="路灯不亮")
    put(garbage)
    put(garbage, metres_east=10)
    put(garbage, metres_east=20, days_ago=8)  # outside the window
    put(garbage, metres_east=30, status=Status.CLOSED)  # no longer open
    put(lamp, metres_east=40)  # another category
    assert found(users["admin"]) == []


def test_detection_is_deterministic_and_each_case_counts_once():
    points = [(LAT, east(m), (i,)) for i, m in enumerate((0, 50, 100, 150, 200, 250))]
    first = hotspots.detect(points, k=3, radius_m=60)
    assert first == hotspots.detect(points, k=3, radius_m=60)
    members = [i for group in first for i in group]
    assert len(members) == len(set(members))
    assert first == [[1, 0, 2], [4, 3, 5]]


def test_page_api_and_export_by_scope(users, garbage, client_for, django_assert_max_num_queries):
    for metres in (0, 10, 20):
        put(garbage, metres_east=metres)
    assert Client().get("/dashboard/hotspots/").status_code == 302
    assert Client().get("/api/v1/hotspots").status_code == 401
    assert client_for("gridworker_a").get("/api/v1/hotspots").status_code == 403
    assert client_for("dispatcher_b").get("/api/v1/hotspots").json() == []  # street B sees none of A's
    assert client_for("dispatcher_b").get("/api/v1/hotspots", {"region": "510502001000"}).status_code == 404
    assert "WG-2026" not in client_for("dispatcher_b").get("/dashboard/hotspots/").content.decode()
    client = client_for("dispatcher_a")
    with django_assert_max_num_queries(6):
        body = client.get("/api/v1/hotspots").json()
    assert len(body) == 1 and body[0]["count"] == 3
    page = client.get("/dashboard/hotspots/")
    assert page.status_code == 200 and body[0]["numbers"][0] in page.content.decode()
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/dashboard/export/hotspots.xlsx").content)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert rows[0][0] == "暴露垃圾" and rows[0][1] == 3
    assert (
        client_for("dispatcher_b").get("/dashboard/export/hotspots.xlsx", {"region": "510502001000"}).status_code == 404
    )


def test_a_department_handler_sees_hot_spots_of_the_cases_it_leads_only(users, garbage, tree):
    for metres in (0, 10, 20):
        put(garbage, metres_east=metres)  # not dispatched: no lead department yet
    assert found(users["handler"]) == []
    led = [put(garbage, metres_east=m, lead=tree["department"]) for m in (0, 10, 20)]
    [spot] = found(users["handler"])
    assert sorted(spot.numbers) == sorted(c.number for c in led)
    assert len(found(users["admin"])) == 1 and found(users["admin"])[0].count == 6
