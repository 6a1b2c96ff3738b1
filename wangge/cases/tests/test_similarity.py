"""Text similarity in duplicate suggestions and hot spots: nearby reports of the same problem are
found by what they say, not only by their category and place."""

import math
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from wangge.cases import hotspots, selectors
from wangge.cases.models import Case, Status
from wangge.core.errors import DomainError
from wangge.core.geo import METRES_PER_DEGREE, degree_box, distance_m

from .conftest import A1

pytestmark = pytest.mark.django_db

SEWAGE = "幸福小区3栋楼下污水管道破裂冒水"
SEWAGE_AGAIN = "幸福小区3栋污水管破了，楼下全是污水"
SEWAGE_THIRD = "3栋楼下污水管道破裂，污水流到路上"
STALLS = "路边有人占道经营卖水果"


def east(metres: float) -> tuple[float, float]:
    return A1[0] + metres / (METRES_PER_DEGREE * math.cos(math.radians(A1[1]))), A1[1]


def test_distance_and_degree_box_agree_at_street_scale():
    assert distance_m(105.0, 28.0, 105.0, 29.0) == pytest.approx(111_195, rel=1e-3)
    lng, lat = east(150)
    assert distance_m(A1[0], A1[1], lng, lat) == pytest.approx(150, rel=1e-2)
    west, south, east_edge, north = degree_box(A1[0], A1[1], 200)
    assert west < A1[0] < east_edge and south < A1[1] < north
    assert distance_m(A1[0], A1[1], east_edge, A1[1]) == pytest.approx(200, rel=1e-2)
    assert distance_m(A1[0], A1[1], A1[0], north) == pytest.approx(200, rel=1e-2)


def test_duplicates_need_similar_text_and_the_most_similar_come_first(drive, people, settings):
    settings.WANGGE_DUPLICATE_SIMILARITY = 0.3
    case = drive.report(text=SEWAGE, where=A1)
    alike_far = drive.report(text=SEWAGE, where=east(150))
    alike_near = drive.report(text=SEWAGE_AGAIN, where=east(20))
    unrelated = drive.report(text=STALLS, where=east(5))  # same category, closest, says something else
    found = selectors.duplicate_candidates(user=people["community_a"], case=case)
    assert [c.number for c in found] == [alike_far.number, alike_near.number]
    assert found[0].similarity == pytest.approx(1.0) and 0.3 <= found[1].similarity < 1.0
    assert unrelated.number not in {c.number for c in found}

    settings.WANGGE_DUPLICATE_SIMILARITY = 0  # rank only
    found = selectors.duplicate_candidates(user=people["community_a"], case=case)
    assert [c.number for c in found] == [alike_far.number, alike_near.number, unrelated.number]


def test_the_case_page_and_api_offer_only_similar_duplicates(drive, people):
    case = drive.report(text=SEWAGE)
    alike = drive.report(text=SEWAGE_AGAIN, where=east(30))
    unrelated = drive.report(text=STALLS, where=east(10))
    client = Client()
    client.force_login(people["community_a"])
    body = client.get(f"/cases/{case.number}/").content.decode()
    assert alike.number in body and unrelated.number not in body and "相似度" in body
    rows = client.get(f"/api/v1/cases/{case.number}/duplicates").json()
    assert [r["number"] for r in rows] == [alike.number] and 0 < rows[0]["similarity"] <= 1


def put(*, text: str, metres: float, category=None, status=Status.REPORTED) -> Case:
    lng, lat = east(metres)
    number = f"WG-2026-{Case.objects.count() + 900:06d}"
    return Case.objects.create(
        number=number,
        text=text,
        channel="grid",
        category=category,
        region_key="510502001001001",
        reported_at=timezone.now() - timedelta(hours=1),
        status=status,
        lat=lat,
        lng=lng,
    )


@pytest.fixture
def spread(catalogue, settings):
    """Three reports of one sewage problem under three different categories (one not yet filed),
    and three unrelated reports in the same place under one category each."""
    settings.WANGGE_HOTSPOT_K = 3
    settings.WANGGE_HOTSPOT_RADIUS_M = 100
    settings.WANGGE_HOTSPOT_SIMILARITY = 0.4
    c = catalogue
    sewage = [
        put(text=SEWAGE, metres=0, category=None),
        put(text=SEWAGE_AGAIN, metres=30, category=c["garbage"], status=Status.ACCEPTED),
        put(text=SEWAGE_THIRD, metres=60, category=c["building"], status=Status.ACCEPTED),
    ]
    others = [
        put(text=STALLS, metres=10, category=c["lamp"], status=Status.ACCEPTED),
        put(text="晚上广场舞音响声音太大", metres=20, category=c["lamp"], status=Status.ACCEPTED),
        put(text="共享单车乱停放堵住消防通道", metres=40, category=c["lamp"], status=Status.ACCEPTED),
    ]
    return sewage, others


def test_hot_spots_by_text_group_one_problem_across_categories(people, spread):
    sewage, others = spread
    by_category = hotspots.hotspot_list(user=people["dispatcher_a"])
    # The three lamp cases are near each other: by category they are a hot spot, by text they are not.
    assert [set(s.numbers) for s in by_category] == [{c.number for c in others}]
    by_text = hotspots.hotspot_list(user=people["dispatcher_a"], by="text")
    assert [set(s.numbers) for s in by_text] == [{c.number for c in sewage}]
    assert by_text[0].text.startswith("幸福小区3栋") and by_text[0].count == 3


def test_hot_spots_by_text_through_the_api_and_page(people, spread):
    sewage, _ = spread
    client = Client()
    client.force_login(people["dispatcher_a"])
    body = client.get("/api/v1/hotspots", {"by": "text"}).json()
    assert len(body) == 1 and set(body[0]["numbers"]) == {c.number for c in sewage} and body[0]["text"]
    response = client.get("/api/v1/hotspots", {"by": "words"})
    assert response.status_code == 400 and response.json()["field"] == "by"
    page = client.get("/dashboard/hotspots/", {"by": "text"}).content.decode()
    assert sewage[0].number in page and "按相似文字" in page
    with pytest.raises(DomainError):
        hotspots.hotspot_list(user=people["dispatcher_a"], by="words")
