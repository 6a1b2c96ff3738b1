"""Every page: anonymous → login, out of scope → 404 page, in scope → content."""

import pytest
from django.test import Client

from conftest import PASSWORD, make_region, make_user
from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.core.models import AuditEvent
from wangge.regions.models import Building, Level
from wangge.registry.models import Resident

pytestmark = pytest.mark.django_db
A_GRID, B_GRID = "510502001001001", "510502002001001"


def pages(tree):
    a_compound, b_compound = tree["compounds"][A_GRID], tree["compounds"][B_GRID]
    return [
        ("/regions/510502001001/", "/regions/510502002001/"),
        (f"/regions/{A_GRID}/", f"/regions/{B_GRID}/"),
        (f"/compounds/{a_compound.pk}/", f"/compounds/{b_compound.pk}/"),
        (
            f"/buildings/{Building.objects.get(compound=a_compound).pk}/",
            f"/buildings/{Building.objects.get(compound=b_compound).pk}/",
        ),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(tree):
    client = Client()
    urls = [a for a, _ in pages(tree)] + ["/", "/locate/", "/manage/users/", "/manage/users/new/", "/manage/audit/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_pages_outside_the_scope_are_404_like_missing_ones(client_for, tree):
    client = client_for("dispatcher_a")
    for in_scope, out_of_scope in pages(tree):
        assert client.get(in_scope).status_code == 200, in_scope
        response = client.get(out_of_scope)
        assert response.status_code == 404, out_of_scope
        assert "不在您的管辖范围内" in response.content.decode()
    assert client.get("/regions/510502009999/").status_code == 404


def test_login_lands_on_the_users_own_region(users):
    client = Client()
    response = client.post("/login/", {"username": "dispatcher_a", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/regions/510502001000/"
    assert "甲街道" in response.content.decode()
    wrong = Client().post("/login/", {"username": "dispatcher_a", "password": "nope"})
    assert wrong.status_code == 200 and "用户名" in wrong.content.decode()


def test_region_page_shows_children_staff_and_a_map(client_for, tree):
    html = client_for("admin").get("/regions/510502001000/").content.decode()
    assert "甲一社区" in html and "dispatcher_a" in html and 'id="map"' in html
    assert "/api/v1/regions/510502001000/grids" in html
    grid_html = client_for("admin").get(f"/regions/{A_GRID}/").content.decode()
    assert "001001花园" in grid_html


def test_building_page_masks_people_and_hides_them_from_residents(client_for, tree):
    building = Building.objects.get(compound=tree["compounds"][A_GRID])
    household = building.households.get()
    Resident.objects.create(
        name="张三",
        id_cipher="x",
        id_index="i1",
        id_masked="510502********123X",
        gender="M",
        birth_date="1990-01-01",
        household=household,
        region_key=A_GRID,
        phone_masked="170****5678",
    )
    staff = client_for("gridworker_a").get(f"/buildings/{building.pk}/").content.decode()
    assert "张三" in staff and "510502********123X" in staff and "170****5678" in staff
    resident = client_for("resident_a").get(f"/buildings/{building.pk}/").content.decode()
    assert "张三" not in resident and "看不到各户住了谁、住了几人" in resident
    assert "<th>人数</th>" in staff and "<th>人数</th>" not in resident  # which flats stand empty stays with staff


def test_management_pages_are_for_administrators(client_for):
    for url in ("/manage/users/", "/manage/users/new/", "/manage/audit/", "/manage/users/admin_a/"):
        assert client_for("dispatcher_a").get(url).status_code == 403, url
        assert client_for("admin").get(url).status_code == 200, url
    assert client_for("admin_a").get("/manage/users/dispatcher_b/").status_code == 404


def test_creating_a_user_on_the_page(client_for):
    client = client_for("admin_a")
    form = {
        "username": "gw7",
        "display_name": "七号",
        "role": "grid_worker",
        "region_code": "510502001001002",
        "password": PASSWORD,
        "phone": "",
    }
    response = client.post("/manage/users/new/", form, follow=True)
    assert "已创建用户 gw7" in response.content.decode()
    assert User.objects.get(username="gw7").scope_region.code == "510502001001002"


def test_a_bad_user_form_keeps_the_input_and_names_the_field(client_for):
    client = client_for("admin_a")
    form = {"username": "gw8", "role": "grid_worker", "region_code": "510502002001001", "password": PASSWORD}
    response = client.post("/manage/users/new/", form)
    html = response.content.decode()
    assert response.status_code == 200 and "不在您的管辖范围内" in html and 'value="gw8"' in html
    assert not User.objects.filter(username="gw8").exists()


def test_editing_a_user_on_the_page(client_for):
    client = client_for("admin")
    response = client.post(
        "/manage/users/dispatcher_b/",
        {"display_name": "乙派单", "role": "street_dispatcher", "region_code": "510502002000", "is_active": ""},
        follow=True,
    )
    assert "已保存" in response.content.decode()
    assert User.objects.get(username="dispatcher_b").is_active is False


def test_audit_page_filters_by_object_and_actor(client_for, users):
    client_for("admin").post(
        "/manage/users/dispatcher_b/",
        {"display_name": "改", "role": "street_dispatcher", "region_code": "510502002000", "is_active": "on"},
    )
    html = client_for("admin").get("/manage/audit/?actor=admin&verb=user.update").content.decode()
    assert "user.update" in html and "user.create" not in html
    pk = users["dispatcher_b"].pk
    html = client_for("admin").get(f"/manage/audit/?target_type=accounts.user&target_id={pk}").content.decode()
    assert html.count("<code>user.") == AuditEvent.objects.filter(target_id=str(pk)).count() == 2


def test_the_interface_is_chinese_by_default_and_switches_to_english(client_for):
    client = client_for("admin")
    assert "审计日志" in client.get("/regions/510500000000/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/regions/510500000000/"})
    html = client.get("/regions/510500000000/").content.decode()
    assert "Audit log" in html and 'lang="en"' in html and "审计日志" not in html


def test_health_check_answers_without_login(db):
    assert Client().get("/healthz").json() == {"status": "ok"}


def test_a_building_head_s_trail_links_only_what_they_may_open(tree):
    grid = tree["grids"][A_GRID]
    micro = make_region(f"{A_GRID}01", f"{A_GRID}01", "一号微网格", Level.MICROGRID, grid)
    building = Building.objects.get(compound=tree["compounds"][A_GRID])
    Building.objects.filter(pk=building.pk).update(region_key=micro.key)  # the building lies in the micro-grid
    head = Client()
    head.force_login(make_user("head_a", Role.BUILDING_HEAD, micro))
    page = head.get(f"/buildings/{building.pk}/").content.decode()
    assert grid.name in page and f"/regions/{grid.code}/" not in page  # named, not a dead link
    assert f"/compounds/{building.compound_id}/" not in page
    assert head.get(f"/regions/{grid.code}/").status_code == 404


def test_building_facts_on_a_compound_page_count_in_english(tree, client_for):
    from django.conf import settings

    compound = tree["compounds"][A_GRID]
    Building.objects.filter(compound=compound).update(units=1, floors=6)
    client = client_for("gridworker_a")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(f"/compounds/{compound.pk}/").content.decode()
    assert "6 floors" in page and "1 entrance " in page.replace("·", " ") and "1 entrances" not in page
