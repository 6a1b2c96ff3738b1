"""Every points page and endpoint: anonymous → login / 401, out of scope → the same 404 as a
missing object, in scope → content; a resident sees only their own points; bad input names the
field and writes nothing; exports are real workbooks."""

import datetime
import io

import openpyxl
import pytest
from django.test import Client

from wangge.points import scores, services
from wangge.points.models import Account, ModelSelection, Redemption, Reward
from wangge.units import services as unit_services
from wangge.units.tests.conftest import credit

from .conftest import A_GRID, B_GRID, serve

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


@pytest.fixture
def world(people, residents, tree):
    serve("s:a", resident_id=residents["a"].pk, occurred_on=TODAY)
    serve("s:me", user_id=people["resident_a"].pk, occurred_on=TODAY)
    serve("s:b", resident_id=residents["b"].pk, region_key=B_GRID, occurred_on=TODAY)
    unit_a = unit_services.unit_create(
        actor=None, name="甲单位", credit_code=credit(1), kind="school", grid_code=A_GRID
    )
    unit_b = unit_services.unit_create(
        actor=None, name="乙单位", credit_code=credit(2), kind="school", grid_code=B_GRID
    )
    for unit in (unit_a, unit_b):
        scores.unit_score_compute(actor=None, unit=unit, year=TODAY.year)
    return {
        "a": Account.objects.get(resident=residents["a"]),
        "b": Account.objects.get(resident=residents["b"]),
        "me": Account.objects.get(user=people["resident_a"]),
        "reward_a": services.reward_create(actor=None, community_code="510502001001", name="毛巾", points=10, stock=5),
        "reward_b": services.reward_create(actor=None, community_code="510502002001", name="香皂", points=5, stock=5),
        "unit_a": unit_a,
        "unit_b": unit_b,
    }


def client(user) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


STAFF_PAGES = ["/points/accounts/", "/points/rewards/", "/points/rankings/", "/points/models/", "/points/unit-scores/"]


def test_anonymous_visitors_are_sent_to_login(world):
    for url in STAFF_PAGES + ["/points/me/", f"/points/accounts/{world['a'].pk}/"]:
        response = client(None).get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    assert client(None).get("/api/v1/points/me").status_code == 401


def test_staff_pages_show_their_scope_only(world, people):
    staff = client(people["community_a"])
    for url in STAFF_PAGES:
        assert staff.get(url).status_code == 200, url
    page = staff.get("/points/accounts/").content.decode()
    assert "张三" in page and "王五" not in page
    assert staff.get(f"/points/accounts/{world['a'].pk}/").status_code == 200
    assert staff.get(f"/points/accounts/{world['b'].pk}/").status_code == 404
    assert staff.get("/points/accounts/999999/").status_code == 404
    assert staff.get(f"/points/unit-scores/{world['unit_b'].pk}/").status_code == 404
    scores_page = staff.get("/points/unit-scores/").content.decode()
    assert "甲单位" in scores_page and "乙单位" not in scores_page
    rewards = staff.get("/points/rewards/").content.decode()
    assert "毛巾" in rewards and "香皂" not in rewards
    assert staff.get(f"/points/rewards/{world['reward_b'].pk}/edit/").status_code == 404


def test_a_resident_sees_their_own_points_and_nothing_else(world, people):
    me = client(people["resident_a"])
    page = me.get("/points/me/").content.decode()
    assert "我的积分" in page and "25" in page and "毛巾" in page and "香皂" not in page
    assert me.get(f"/points/accounts/{world['me'].pk}/").status_code == 302  # to 我的积分
    assert me.get(f"/points/accounts/{world['a'].pk}/").status_code == 404
    for url in STAFF_PAGES:
        if url != "/points/rewards/":
            assert me.get(url).status_code == 403, url
    catalogue = me.get("/points/rewards/").content.decode()  # their own community's counter
    assert "毛巾" in catalogue and "香皂" not in catalogue and "上架新物品" not in catalogue
    assert me.get("/api/v1/points/me").json()["account"]["balance"] == 25
    assert me.get("/api/v1/points/me/statement").json()["count"] == 1
    assert me.get("/api/v1/points/accounts").status_code == 403
    assert me.get(f"/api/v1/points/accounts/{world['a'].pk}").status_code == 404
    assert me.get(f"/api/v1/points/accounts/{world['me'].pk}/statement").status_code == 200
    assert [r["name"] for r in me.get("/api/v1/points/rewards").json()] == ["毛巾"]
    workbook = openpyxl.load_workbook(io.BytesIO(me.get("/points/me/export/").content))
    rows = list(workbook.active.values)
    assert rows[1][:4] == ("日期", "类型", "摘要", "积分") and rows[2][3] == 25


def test_redeeming_at_the_counter_page(world, people):
    staff = client(people["community_a"])
    url = f"/points/accounts/{world['a'].pk}/redeem/"
    response = staff.post(url, {"reward": world["reward_a"].pk, "quantity": 2, "token": "abc"}, follow=True)
    assert "已兑换" in response.content.decode()
    staff.post(url, {"reward": world["reward_a"].pk, "quantity": 2, "token": "abc"})  # a double click
    assert Redemption.objects.count() == 1
    world["a"].refresh_from_db()
    assert world["a"].balance == 5
    response = staff.post(url, {"reward": world["reward_a"].pk, "quantity": "lots"}, follow=True)
    assert "数量" in response.content.decode() and Redemption.objects.count() == 1
    response = staff.post(url, {"reward": world["reward_a"].pk, "quantity": 1}, follow=True)
    assert "余额不足" in response.content.decode()
    assert Reward.objects.get(pk=world["reward_a"].pk).stock == 3
    # Another community's reward, or another community's resident: not found.
    assert staff.post(url, {"reward": world["reward_b"].pk, "quantity": 1}).status_code == 400  # not on offer here
    assert Redemption.objects.count() == 1
    assert staff.post(f"/points/accounts/{world['b'].pk}/redeem/", {"reward": 1}).status_code == 404
    assert client(people["gridworker_a"]).post(url, {"reward": world["reward_a"].pk, "quantity": 1}).status_code == 403


def test_redeeming_through_the_api(world, people):
    staff = client(people["community_a"])
    url = f"/api/v1/points/accounts/{world['a'].pk}/redeem"
    response = staff.post(url, {"reward_id": world["reward_a"].pk, "quantity": 1}, content_type="application/json")
    assert response.status_code == 201 and response.json()["balance"] == 15
    response = staff.post(url, {"reward_id": world["reward_a"].pk, "quantity": 9}, content_type="application/json")
    assert response.status_code == 409 and response.json()["field"] == "quantity"
    response = staff.post(url, {"reward_id": world["reward_a"].pk, "quantity": "x"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "quantity"
    other = f"/api/v1/points/accounts/{world['b'].pk}/redeem"
    assert staff.post(other, {"reward_id": world["reward_b"].pk}, content_type="application/json").status_code == 404
    accounts = staff.get("/api/v1/points/accounts").json()["items"]
    assert {a["name"] for a in accounts} >= {"张三"} and "王五" not in {a["name"] for a in accounts}


def test_rankings_page_api_and_export(world, people):
    staff = client(people["admin"])
    assert "张三" in staff.get("/points/rankings/").content.decode()
    tables = staff.get("/api/v1/points/rankings?level=community").json()
    assert [t["area_name"] for t in tables] == ["甲一社区", "乙一社区"]
    assert client(people["community_b"]).get("/api/v1/points/rankings").json()[0]["rows"][0]["name"] == "王五"
    bad = staff.get("/api/v1/points/rankings?quarter=7")
    assert bad.status_code == 400 and bad.json()["field"] == "quarter"
    rows = list(openpyxl.load_workbook(io.BytesIO(staff.get("/points/rankings/export/").content)).active.values)
    assert ("甲一社区1网格", 1) == rows[2][:2]
    # A party secretary sees masked names.
    assert "张*" in client(people["secretary_a"]).get("/points/rankings/").content.decode()


def test_statement_export_of_an_account(world, people):
    response = client(people["community_a"]).get(f"/points/accounts/{world['a'].pk}/export/")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert "张三" in rows[0][0] and rows[2][2] == "参加『清洁家园』志愿服务"
    assert client(people["community_a"]).get(f"/points/accounts/{world['b'].pk}/export/").status_code == 404


def test_rules_page_is_for_rule_editors_and_names_bad_fields(world, people):
    assert client(people["community_a"]).get("/points/rules/").status_code == 403
    editor = client(people["secretary_a"])
    assert "志愿服务" in editor.get("/points/rules/").content.decode()
    bad = {"activity_type": "volunteer", "points_per_service": "-3", "points_per_hour": "1", "hours_factor": "1"}
    response = editor.post("/points/rules/", bad)
    assert response.status_code == 200 and "error" in response.content.decode()
    good = dict(bad, points_per_service="7", is_active="on")
    assert editor.post("/points/rules/", good).status_code == 302
    from wangge.points.models import PointRule

    assert PointRule.objects.get(activity_type="volunteer").points_per_service == 7


def test_model_selection_page(world, people):
    staff = client(people["community_a"])
    data = {"title": "family", "year": TODAY.year, "community_code": "510502001001", "nominee": "张三家", "basis": ""}
    response = staff.post("/points/models/", data)
    assert response.status_code == 200 and not ModelSelection.objects.exists()
    data["basis"] = "孝老爱亲，连续两季度网格积分第一"
    assert staff.post("/points/models/", dict(data, community_code="510502002001")).status_code == 200
    assert staff.post("/points/models/", data).status_code == 302
    assert "孝老爱亲" in staff.get("/points/models/").content.decode()
    assert "孝老爱亲" not in client(people["community_b"]).get("/points/models/").content.decode()


def test_unit_score_page_computes_and_explains(world, people):
    staff = client(people["community_a"])
    url = f"/points/unit-scores/{world['unit_a'].pk}/?year={TODAY.year}"
    page = staff.get(url).content.decode()
    assert "参加活动次数" in page and "暂停预约共享资源" in page
    response = staff.post(url, {"year": TODAY.year, "action": "adjust", "points": "abc", "reason": "x"})
    assert response.status_code == 200 and "error" in response.content.decode()
    response = staff.post(url, {"year": TODAY.year, "action": "adjust", "points": "70", "reason": "年度共建贡献突出"})
    assert response.status_code == 302
    world["unit_a"].refresh_from_db()
    assert not world["unit_a"].booking_barred
    api = staff.get(f"/api/v1/points/unit-scores?year={TODAY.year}").json()
    assert [(s["unit_name"], s["total"]) for s in api] == [("甲单位", "70.0")]
    assert client(people["gridworker_a"]).post(url, {"year": TODAY.year}).status_code == 403


def test_unit_score_list_names_units_not_yet_scored(world, people, tree):
    unit_services.unit_create(actor=None, name="新来单位", credit_code=credit(3), kind="enterprise", grid_code=A_GRID)
    page = client(people["community_a"]).get("/points/unit-scores/").content.decode()
    assert "未评分单位" in page and "新来单位" in page


def test_lists_stay_within_a_query_budget(world, people, residents, django_assert_max_num_queries):
    for n in range(20):
        serve(f"more:{n}", resident_id=residents["a2"].pk, occurred_on=TODAY)
    staff = client(people["community_a"])
    staff.get("/points/accounts/")  # warm the session and the user
    with django_assert_max_num_queries(12):
        assert staff.get("/api/v1/points/accounts").status_code == 200
    account = Account.objects.get(resident=residents["a2"])
    with django_assert_max_num_queries(12):
        assert staff.get(f"/api/v1/points/accounts/{account.pk}/statement").json()["count"] == 20
    with django_assert_max_num_queries(16):
        assert staff.get("/points/rankings/").status_code == 200


def test_reversing_from_a_statement(world, people):
    from wangge.points.models import Movement

    movement = Movement.objects.get(key="s:a")
    url = f"/points/movements/{movement.pk}/reverse/"
    assert client(people["gridworker_a"]).post(url, {"reason": "登记错误"}).status_code == 403
    assert client(people["community_b"]).post(url, {"reason": "登记错误"}).status_code == 404
    staff = client(people["community_a"])
    response = staff.post(url, {"reason": "", "account": world["a"].pk}, follow=True)
    assert "冲正原因" in response.content.decode()
    assert not Movement.objects.filter(reverses=movement).exists()
    response = staff.post(url, {"reason": "重复登记", "account": "²"}, follow=True)
    assert response.status_code == 200 and "已冲正" in response.content.decode()
    assert response.redirect_chain[-1][0] == "/points/accounts/"
    world["a"].refresh_from_db()
    assert world["a"].balance == 0


def test_putting_a_reward_on_the_counter_through_the_api(world, people):
    staff = client(people["community_a"])
    body = {"community_code": "510502001001", "name": "雨伞", "points": 25, "stock": 4}
    response = staff.post("/api/v1/points/rewards", body, content_type="application/json")
    assert response.status_code == 201 and response.json()["stock"] == 4
    again = staff.post("/api/v1/points/rewards", body, content_type="application/json")
    assert again.status_code == 409 and again.json()["field"] == "name"
    other = dict(body, community_code="510502002001", name="伞")
    response = staff.post("/api/v1/points/rewards", other, content_type="application/json")
    assert response.status_code == 400 and response.json()["field"] == "community_code"
    response = staff.post("/api/v1/points/rewards", dict(body, name="伞2", points=0), content_type="application/json")
    assert response.status_code == 400 and response.json()["field"] == "points"
    resident = client(people["resident_a"]).post("/api/v1/points/rewards", body, content_type="application/json")
    assert resident.status_code == 403
    assert Reward.objects.filter(name__startswith="伞").count() == 0


def test_linking_a_residents_login_shows_their_registry_points_on_my_points(world, people, tree):
    from conftest import make_user
    from wangge.accounts.roles import Role

    newcomer = make_user("newcomer", Role.RESIDENT, tree["grids"][A_GRID])
    url = f"/points/accounts/{world['a'].pk}/link-user/"
    assert client(people["community_b"]).post(url, {"username": "newcomer"}).status_code == 404
    staff = client(people["community_a"])
    response = staff.post(url, {"username": "gridworker_a"}, follow=True)
    assert "工作人员的登录账号" in response.content.decode()
    response = staff.post(url, {"username": "resident_a"}, follow=True)  # has points of its own
    assert "已有自己的积分记录" in response.content.decode()
    response = staff.post(url, {"username": "resident_b"}, follow=True)  # another community
    assert "不在您的管辖范围内" in response.content.decode()
    assert staff.post(url, {"username": "newcomer"}).status_code == 302
    assert "25" in client(newcomer).get("/points/me/").content.decode()
    assert Account.objects.get(user=newcomer) == world["a"]
