"""The demo city: deterministic, grids tiling their communities, valid fake people, every role."""

import sqlite3

import pytest
import shapely
from django.core.management import call_command

from tests.demo_site import build_demo
from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.core import pii
from wangge.core.models import AuditEvent
from wangge.core.validators import check_id_number
from wangge.regions.geometry import area_m2
from wangge.regions.locator import get_index
from wangge.regions.models import Compound, Level, Region
from wangge.registry.models import Resident

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def demo(db):
    call_command("demo_city", "--seed", "1", "--scale", "small", stdout=open("/dev/null", "w"))


def fingerprint_of_models() -> list:
    regions = list(Region.objects.order_by("code").values_list("code", "name"))
    compounds = list(
        Compound.objects.order_by("region_key", "name").values_list("region_key", "name", "property_company")
    )
    residents = list(Resident.objects.order_by("id_masked", "name").values_list("name", "id_masked", "birth_date"))[
        :500
    ]
    return [regions, compounds, [(n, m, str(b)) for n, m, b in residents]]


def test_the_same_seed_builds_the_same_city(demo, tmp_path):
    other = build_demo(tmp_path)
    with sqlite3.connect(other["database"]) as connection:
        regions = connection.execute("SELECT code, name FROM regions_region ORDER BY code").fetchall()
        compounds = connection.execute(
            "SELECT region_key, name, property_company FROM regions_compound ORDER BY region_key, name"
        ).fetchall()
        residents = connection.execute(
            "SELECT name, id_masked, birth_date FROM registry_resident ORDER BY id_masked, name LIMIT 500"
        ).fetchall()
    assert [regions, compounds, residents] == [[tuple(r) for r in part] for part in fingerprint_of_models()]
    assert "admin" in other["output"] and "wangge-demo-2026" in other["output"]


def test_real_names_and_codes_of_luzhou(demo):
    assert Region.objects.get(code="510500000000").name == "泸州市"
    assert Region.objects.get(code="510502001000").name == "南城街道"
    assert Region.objects.get(code="510504001000").name == "小市街道"
    assert Region.objects.filter(level=Level.GRID).count() == 36


def test_grids_tile_each_community_exactly(demo):
    for community in Region.objects.filter(level=Level.COMMUNITY):
        outline = shapely.geometry.shape(community.geometry)
        grids = [
            shapely.geometry.shape(g)
            for g in Region.objects.filter(parent=community, level=Level.GRID).values_list("geometry", flat=True)
        ]
        union = shapely.union_all(grids)
        assert area_m2(union.symmetric_difference(outline)) < 1, community.name
        assert abs(sum(area_m2(g) for g in grids) - area_m2(union)) < 1, community.name  # no overlaps
    # Every compound's point lies in its own grid.
    index = get_index()
    for compound in Compound.objects.select_related("grid")[:50]:
        assert index.locate(compound.lng, compound.lat).code == compound.grid.code


def test_people_have_valid_but_recognisably_fake_id_numbers(demo):
    sample = list(Resident.objects.order_by("id")[:300])
    assert Resident.objects.count() > 1000
    for resident in sample:
        number = pii.decrypt(resident.id_cipher)
        assert check_id_number(number) is None
        assert number[14] == "9"  # order codes 9xx mark demo people
        assert number[:6] == resident.region_key[:6]
        assert pii.blind_index(number) == resident.id_index
        assert resident.id_masked == pii.mask_id_number(number)
    assert {r.kind for r in sample} == {"registered", "floating"}


def test_one_account_of_every_role_and_an_audit_record(demo):
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert AuditEvent.objects.filter(verb="demo_city.build").count() == 1
    assert User.objects.get(username="handler").scope_department.code == "510502-CG"


def test_the_demo_cases_leave_the_indicator_summary_as_a_rebuild_would(demo):
    from wangge.cases import summary
    from wangge.cases.models import Case

    rows = summary.snapshot()
    assert rows and sum(row[5] for row in rows if row[0] == "d") == Case.objects.exclude(status="merged").count()
    summary.rebuild()
    assert summary.snapshot() == rows


def test_a_second_run_leaves_the_city_alone(demo):
    before = Region.objects.count(), Resident.objects.count()
    call_command("demo_city", "--seed", "2", stdout=open("/dev/null", "w"))
    assert (Region.objects.count(), Resident.objects.count()) == before


def test_a_building_head_sees_the_buildings_of_their_micro_grid_only(demo, client):
    from wangge.regions.models import Building

    head = User.objects.get(username="buildinghead")
    client.force_login(head)
    mine = Building.objects.filter(microgrid=head.scope_region)
    sibling = Building.objects.filter(microgrid__parent=head.scope_region.parent).exclude(microgrid=head.scope_region)
    assert mine.exists() and sibling.exists()
    page = client.get(f"/regions/{head.scope_region.code}/").content.decode()
    for building in mine:
        assert f"/buildings/{building.pk}/" in page
    building_page = client.get(f"/buildings/{mine.first().pk}/").content.decode()
    assert "已脱敏" in building_page and "********" in building_page
    assert client.get(f"/buildings/{sibling.first().pk}/").status_code == 404


def test_the_demo_points_ledger_reconciles_and_has_content(demo):
    from wangge.points.models import ModelSelection, Movement, Redemption, Reward, UnitScore
    from wangge.units.models import Unit

    call_command("points_check", stdout=open("/dev/null", "w"))  # raises CommandError (exit 1) otherwise
    assert Movement.objects.filter(kind="service", entries__account__kind="person").count() >= 30
    assert Redemption.objects.exists() and Reward.objects.filter(stock__gt=0).exists()
    assert ModelSelection.objects.filter(title="family").exists()
    scores = UnitScore.objects.filter(region_key__startswith="510502001001")
    assert scores.filter(total__gt=100).exists()
    assert Unit.objects.filter(booking_barred=True, booking_barred_reason__contains="年度共建评分").exists()


def test_the_demo_cases_carry_the_first_model_s_suggestions(demo):
    # The model is trained after the cases are filed; they are asked again once it exists.
    from wangge.dispatch_ai.models import Suggestion

    statuses = set(Suggestion.objects.filter(case_type="cases.case").values_list("status", flat=True))
    assert statuses and "no_model" not in statuses
