"""Registering a building in a compound and a household in a building from a page: keepers of
the house ledger in their scope; refusals come back on the form and write nothing."""

import pytest
from django.test import Client

from wangge.core.models import AuditEvent
from wangge.regions.models import Building, Household

from .conftest import A_GRID, B_GRID

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(ledger, tree):
    a_compound, b_compound = tree["compounds"][A_GRID], tree["compounds"][B_GRID]
    return {
        "a_compound": a_compound,
        "b_compound": b_compound,
        "a_building": Building.objects.get(compound=a_compound, name="1栋"),
        "b_building": Building.objects.get(compound=b_compound),
    }


def building_url(compound) -> str:
    return f"/registry/compounds/{compound.pk}/buildings/new/"


def household_url(building) -> str:
    return f"/registry/buildings/{building.pk}/households/new/"


def test_who_may_open_the_forms(ledger, places, client_for):
    for url in (building_url(places["a_compound"]), household_url(places["a_building"])):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
        assert client_for("dispatcher_a").get(url).status_code == 403
        assert client_for("gridworker_a").get(url).status_code == 200
    # another grid's compound or building answers like a missing one
    assert client_for("gridworker_a").get(building_url(places["b_compound"])).status_code == 404
    assert client_for("gridworker_a").get(household_url(places["b_building"])).status_code == 404
    assert client_for("gridworker_a").post(building_url(places["b_compound"]), {"name": "9栋"}).status_code == 404
    assert not Building.objects.filter(name="9栋").exists()


def test_a_keeper_registers_a_building(ledger, places, client_for):
    client = client_for("gridworker_a")
    response = client.post(building_url(places["a_compound"]), {"name": "3栋", "floors": 18, "units": 2})
    building = Building.objects.get(compound=places["a_compound"], name="3栋")
    assert response.status_code == 302 and response["Location"] == f"/buildings/{building.pk}/"
    assert (building.floors, building.units, building.region_key) == (18, 2, A_GRID)
    event = AuditEvent.objects.get(verb="building.create")
    assert event.actor == ledger["users"]["gridworker_a"] and event.target_label == "001001花园3栋"
    again = client.post(building_url(places["a_compound"]), {"name": "3栋", "floors": 6, "units": 1})
    assert again.status_code == 400 and "小区“001001花园”已有楼栋“3栋”" in again.content.decode()
    assert Building.objects.filter(name="3栋").count() == 1
    bad = client.post(building_url(places["a_compound"]), {"name": "", "floors": 0, "units": 1})
    assert bad.status_code == 400 and Building.objects.count() == 4


def test_a_keeper_registers_a_household_with_its_details(ledger, places, client_for):
    client = client_for("parttime_a")
    data = {
        "unit": 2,
        "room": "502",
        "use": "rented",
        "area_m2": "66.5",
        "owner_name": "房东",
        "owner_phone": "13912345678",
    }
    response = client.post(household_url(places["a_building"]), data)
    household = Household.objects.get(building=places["a_building"], unit=2, room="502")
    assert response.status_code == 302 and response["Location"] == f"/registry/houses/{household.pk}/"
    assert (household.use, str(household.area_m2), household.owner_phone_masked) == ("rented", "66.5", "139****5678")
    assert AuditEvent.objects.filter(verb="household.create", target_id=str(household.pk)).exists()
    for changed, message in (
        ({"unit": 3, "room": "301"}, "楼栋“1栋”只有2个单元，没有3单元"),
        ({"room": "502"}, "1栋已有2单元502这一户"),
        ({"room": "503", "owner_phone": "12345"}, "手机号"),
    ):
        response = client.post(household_url(places["a_building"]), {**data, **changed})
        assert response.status_code == 400 and message in response.content.decode(), changed
    assert Household.objects.filter(building=places["a_building"]).count() == 4


def test_compound_and_building_pages_link_the_forms_for_keepers_only(ledger, places, client_for):
    compound_page = f"/compounds/{places['a_compound'].pk}/"
    building_page = f"/buildings/{places['a_building'].pk}/"
    assert building_url(places["a_compound"]) in client_for("gridworker_a").get(compound_page).content.decode()
    assert household_url(places["a_building"]) in client_for("gridworker_a").get(building_page).content.decode()
    assert building_url(places["a_compound"]) not in client_for("dispatcher_a").get(compound_page).content.decode()
    assert household_url(places["a_building"]) not in client_for("dispatcher_a").get(building_page).content.decode()


def test_a_keeper_corrects_a_building_but_not_below_the_units_in_use(ledger, places, client_for):
    url = f"/registry/buildings/{places['a_building'].pk}/edit/"
    assert client_for("dispatcher_a").get(url).status_code == 403
    assert client_for("gridworker_a").get(f"/registry/buildings/{places['b_building'].pk}/edit/").status_code == 404
    client = client_for("gridworker_a")
    Household.objects.create(building=places["a_building"], region_key=A_GRID, unit=2, room="101")
    response = client.post(url, {"name": "1栋", "floors": 6, "units": 1})
    assert response.status_code == 400 and "该楼栋2单元已有住户，单元数不能少于2" in response.content.decode()
    response = client.post(url, {"name": "一号楼", "floors": 7, "units": 4})
    assert response.status_code == 302
    places["a_building"].refresh_from_db()
    assert (places["a_building"].name, places["a_building"].floors, places["a_building"].units) == ("一号楼", 7, 4)
    event = AuditEvent.objects.get(verb="building.update")
    assert event.before["units"] == 2 and event.after["units"] == 4
    assert url in client.get(f"/buildings/{places['a_building'].pk}/").content.decode()
