"""Indicators on hand-built cases whose answers are worked out below from docs/indicators.md; the
dashboard, its API and exports for anonymous, out-of-scope and in-scope users; query budgets."""

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.test import Client

from conftest import make_user
from wangge.accounts.roles import Role
from wangge.cases import indicators, summary
from wangge.cases.models import Case, Category, Channel, Rating, Status
from wangge.regions.models import Department

TZ = ZoneInfo("Asia/Shanghai")
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
T0 = datetime(2026, 3, 10, 9, 0, tzinfo=TZ)
GRID_A1, GRID_A2, GRID_B1 = "510502001001001", "510502001001002", "510502002001001"

_numbers = iter(range(1, 10_000))


def make_case(*, grid, reported_at=T0, **fields):
    return Case.objects.create(
        number=f"WG-2026-{next(_numbers):06d}",
        text="测试",
        channel=fields.pop("channel", Channel.RESIDENT),
        region_key=grid,
        reported_at=reported_at,
        status=fields.pop("status", Status.REPORTED),
        **fields,
    )


@pytest.fixture
def cases(tree):
    cg = tree["department"]
    environment = Category.objects.create(region_key="5105", code="01", name="市容环境")
    garbage = Category.objects.create(region_key="5105", code="0101", name="暴露垃圾", parent=environment)
    lamp = Category.objects.create(region_key="5105", code="0201", name="路灯不亮")
    h = timedelta(hours=1)
    made = {
        # dispatched after 1 h, closed on time, satisfied, found by the grid worker
        "c1": make_case(
            grid=GRID_A1, status=Status.RATED, channel=Channel.GRID, category=garbage, lead_department=cg,
            first_dispatched_at=T0 + h, closed_at=T0 + 48 * h, rating=Rating.SATISFIED,
        ),
        # dispatched after 6 h (late dispatch, yet a response), returned once, breached, fairly satisfied
        "c2": make_case(
            grid=GRID_A2, status=Status.RATED, category=garbage, lead_department=cg, first_dispatched_at=T0 + 6 * h,
            closed_at=T0 + 96 * h, rating=Rating.FAIRLY, return_count=1, breach_count=1,
        ),
        # dispatched after 30 h, rated unsatisfied and reopened, found by an inspection
        "c3": make_case(
            grid=GRID_B1, status=Status.DISPATCHED, channel=Channel.INSPECTION, category=lamp, lead_department=cg,
            first_dispatched_at=T0 + 30 * h, rating=Rating.UNSATISFIED, reopen_count=1,
        ),
        # a hotline question answered directly after 2 h
        "c4": make_case(grid=GRID_A1, status=Status.CLOSED, channel=Channel.HOTLINE, closed_at=T0 + 2 * h),
        # reported, not filed yet
        "c5": make_case(grid=GRID_A1, channel=Channel.GRID),
    }  # fmt: skip
    make_case(grid=GRID_A1, status=Status.MERGED, merged_into=made["c1"])  # never counted
    make_case(grid=GRID_A1, status=Status.RATED, reported_at=T0 - timedelta(days=30), closed_at=T0)  # February
    summary.rebuild()  # the cases above bypass the services, so the summary is built from them
    return made


def period():
    return indicators.period_from(start=MARCH["from"], end=MARCH["to"])


def scope_for(user, code=""):
    return indicators.indicator_scope(user=user, region_code=code)


def test_each_indicator_for_the_city(users, cases):
    row = indicators.totals(scope=scope_for(users["admin"]), period=period())
    # Cohort: c1..c5 (the merged case and February's are out).
    assert row["reported"] == 5
    filed = 4  # c5 is still waiting to be filed
    assert row["filed"] == filed
    # 响应率: dispatched or answered within 24 h — c1 (1 h), c2 (6 h), c4 (answered 2 h); not c3 (30 h).
    assert row["responded"] == 3 and row["response_rate"] == round(100 * 3 / filed, 1)
    dispatched = 3  # c1, c2, c3
    assert row["dispatched"] == dispatched
    # 按时派遣率: within 4 h — c1 only.
    assert row["dispatch_on_time_rate"] == round(100 * 1 / dispatched, 1)
    # 准确派遣率: never returned — c1, c3.
    assert row["dispatch_accuracy_rate"] == round(100 * 2 / dispatched, 1)
    # 结案率: c1, c2, c4 closed of 4 filed.
    assert row["closed"] == 3 and row["close_rate"] == 75.0
    # 按期结案率: dispatched, closed, never breached — c1 only, of 3 dispatched.
    assert row["closed_on_time_rate"] == round(100 / 3, 1)
    # 返工率: reopened c3 of the cases ever closed (c1, c2, c4, c3).
    assert row["ever_closed"] == 4 and row["rework_rate"] == 25.0
    # 解决率 and 满意率 over the 3 rated cases: solved c1, c2; satisfied c1.
    assert row["rated"] == 3
    assert row["solve_rate"] == round(200 / 3, 1)
    assert row["satisfaction_rate"] == round(100 / 3, 1)
    # Problem register: found by grid/inspection and filed — c1, c3; rectified (closed) — c1.
    assert (row["found"], row["rectified"], row["rectify_rate"]) == (2, 1, 50.0)


def test_dashboard_totals_are_the_sum_of_its_department_rows(users, cases, tree):
    for user, code in ((users["admin"], ""), (users["admin"], tree["street_b"].code), (users["handler"], "")):
        data = indicators.dashboard(user=user, region_code=code, period=period())
        assert data["totals"] == indicators.totals(scope=data["scope"], period=period())
    assert indicators.dashboard(user=users["admin"], period=period())["totals"]["reported"] == 5


def test_no_cases_gives_no_rate(users, tree):
    row = indicators.totals(scope=scope_for(users["admin"]), period=period())
    assert row["reported"] == 0 and row["close_rate"] is None


def test_drill_down_from_district_to_streets_and_grids(users, cases, tree):
    rows = indicators.children_rows(scope=scope_for(users["admin"], tree["district"].code), period=period())
    by_code = {r["code"]: r for r in rows}
    a, b = by_code[tree["street_a"].code], by_code[tree["street_b"].code]
    assert (a["reported"], a["filed"], a["closed"], a["close_rate"]) == (4, 3, 3, 100.0)
    assert (b["reported"], b["dispatched"], b["closed"], b["rework_rate"]) == (1, 1, 0, 100.0)
    city_rows = indicators.children_rows(scope=scope_for(users["admin"]), period=period())
    assert [r["code"] for r in city_rows] == [tree["district"].code] and city_rows[0]["reported"] == 5
    community = tree["community_a"].code
    grids = {
        r["code"]: r for r in indicators.children_rows(scope=scope_for(users["admin"], community), period=period())
    }
    assert grids[GRID_A1]["reported"] == 3 and grids[GRID_A2]["reported"] == 1
    assert grids["510502001001003"]["reported"] == 0 and grids["510502001001003"]["close_rate"] is None


def test_department_table_and_department_user(users, cases, tree):
    rows = indicators.department_rows(scope=scope_for(users["admin"]), period=period())
    assert [(r["code"], r["reported"], r["dispatched"]) for r in rows] == [("510502-CG", 3, 3), ("", 2, 0)]
    # The department handler sees only the cases the department leads.
    row = indicators.totals(scope=scope_for(users["handler"]), period=period())
    assert (row["reported"], row["closed"], row["satisfaction_rate"]) == (3, 2, round(100 / 3, 1))


def test_department_handler_without_a_department_sees_no_region_figures(users, cases, tree, client_for):
    """Held to the cases their department leads, as everywhere else (`visible_cases`): an account
    left without its department gets nothing, not its region's figures."""
    from wangge.accounts.models import User

    User.objects.filter(pk=users["handler"].pk).update(scope_department=None, scope_region=tree["city"])
    query = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
    assert client_for("handler").get("/api/v1/indicators", query).status_code == 404
    assert client_for("handler").get("/api/v1/hotspots").status_code == 404


def test_trend_and_categories(users, cases):
    scope = scope_for(users["admin"])
    months = indicators.trend_rows(scope=scope, period=period(), step="month")
    assert [(r["label"], r["reported"]) for r in months] == [("2026-03", 5)]
    weeks = indicators.trend_rows(scope=scope, period=period(), step="week")
    assert [(r["label"], r["reported"]) for r in weeks] == [("2026-03-09", 5)]
    categories = indicators.category_rows(scope=scope, period=period())
    assert [(r["name"], r["reported"], r["closed"]) for r in categories] == [
        ("市容环境", 2, 2),
        ("未分类", 2, 1),
        ("路灯不亮", 1, 0),
    ]


def test_periods():
    today = datetime(2026, 3, 15).date()
    assert indicators.period_from(preset="last_month", today=today) == indicators.Period(
        datetime(2026, 2, 1).date(), datetime(2026, 2, 28).date()
    )
    assert indicators.period_from(preset="this_year", today=today).start == datetime(2026, 1, 1).date()
    assert indicators.period_from(today=today).start == datetime(2026, 3, 1).date()
    for bad in ({"preset": "ever"}, {"start": "2026-13-01"}, {"start": "2026-03-10", "end": "2026-03-01"}):
        with pytest.raises(indicators.DomainError):
            indicators.period_from(today=today, **bad)


# ---- pages, API, exports ---------------------------------------------------------------------


def test_dashboard_page_anonymous_out_of_scope_in_scope(users, cases, tree, client_for, django_assert_max_num_queries):
    response = Client().get("/dashboard/", MARCH)
    assert response.status_code == 302 and "/login" in response["Location"]
    assert client_for("gridworker_a").get("/dashboard/", MARCH).status_code == 403
    outside = client_for("dispatcher_b").get("/dashboard/", {**MARCH, "region": tree["street_a"].code})
    missing = client_for("dispatcher_b").get("/dashboard/", {**MARCH, "region": "510502009000"})
    assert outside.status_code == missing.status_code == 404
    client = client_for("admin")
    with django_assert_max_num_queries(20):
        response = client.get("/dashboard/", {**MARCH, "region": tree["district"].code, "rate": "response_rate"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "甲街道" in page and "乙街道" in page and "江阳区城市管理局" in page and "echarts.min.js" in page
    assert client.get("/dashboard/", {"from": "nonsense"}).status_code == 400
    backwards = client.get("/dashboard/", {"from": "2026-12-31", "to": "2026-01-01"})
    page = backwards.content.decode()
    # Said beside the filter, which keeps what was typed; the figures of the default period show.
    assert backwards.status_code == 400 and "结束日期不能早于开始日期" in page
    assert 'name="from" value="2026-12-31"' in page and "考核指标" in page


def test_dashboard_nav_link_only_for_roles_that_may_see_it(users, client_for):
    assert 'href="/dashboard/"' in client_for("admin").get("/", follow=True).content.decode()
    assert 'href="/dashboard/"' not in client_for("gridworker_a").get("/", follow=True).content.decode()


def test_dispatcher_sees_own_street_only(users, cases, client_for):
    response = client_for("dispatcher_b").get(
        "/api/v1/indicators", {"date_from": "2026-03-01", "date_to": "2026-03-31"}
    )
    assert response.status_code == 200
    assert response.json()["totals"]["reported"] == 1  # c3


def test_api_anonymous_out_of_scope_in_scope(users, cases, tree, client_for, django_assert_max_num_queries):
    query = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
    assert Client().get("/api/v1/indicators", query).status_code == 401
    assert client_for("resident_a").get("/api/v1/indicators", query).status_code == 403
    assert (
        client_for("dispatcher_b").get("/api/v1/indicators", {**query, "region": tree["street_a"].code}).status_code
        == 404
    )
    client = client_for("admin")
    with django_assert_max_num_queries(15):
        response = client.get("/api/v1/indicators", query)
    body = response.json()
    assert response.status_code == 200 and body["totals"]["close_rate"] == 75.0
    assert body["children"][0]["code"] == tree["district"].code
    assert client.get("/api/v1/indicators", {"date_from": "x"}).json()["field"] == "from"
    handler = client_for("handler").get("/api/v1/indicators", query).json()
    assert handler["department"] == "510502-CG" and handler["totals"]["reported"] == 3


def _sheet(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content)).active


def test_exports(users, cases, tree, client_for):
    query = {**MARCH, "region": tree["district"].code}
    assert Client().get("/dashboard/export/children.xlsx", query).status_code == 302
    assert client_for("dispatcher_b").get("/dashboard/export/children.xlsx", query).status_code == 404
    assert client_for("admin").get("/dashboard/export/nothing.xlsx", query).status_code == 404
    client = client_for("admin")
    response = client.get("/dashboard/export/children.xlsx", query)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    sheet = _sheet(response.content)
    header = [c.value for c in sheet[2]]
    rows = {r[1]: dict(zip(header, r, strict=False)) for r in sheet.iter_rows(min_row=3, values_only=True)}
    street_a = rows["甲街道"]
    assert street_a["上报数"] == 4 and street_a["立案数"] == 3 and street_a["结案率"] == 1.0
    assert rows["乙街道"]["返工率"] == 1.0 and rows["乙街道"]["结案率"] == 0
    departments = _sheet(client.get("/dashboard/export/departments.xlsx", MARCH).content)
    assert [r[0] for r in departments.iter_rows(min_row=3, values_only=True)] == ["510502-CG", ""]
    trend = _sheet(client.get("/dashboard/export/trend.xlsx", {**MARCH, "step": "month"}).content)
    assert list(trend.iter_rows(min_row=3, values_only=True))[0][:2] == ("2026-03", 5)
    categories = _sheet(client.get("/dashboard/export/categories.xlsx", MARCH).content)
    assert list(categories.iter_rows(min_row=3, values_only=True))[0] == ("01", "市容环境", 2, 2)


def test_leader_of_the_city_may_look(tree, cases):
    leader = make_user("leader", Role.LEADER, tree["city"])
    client = Client()
    client.force_login(leader)
    assert client.get("/dashboard/", MARCH).status_code == 200


def test_department_user_export_is_their_department_only(users, cases, tree, client_for):
    other = Department.objects.create(
        code="510502-ZJ", name="江阳区住建局", region=tree["district"], region_key="510502"
    )
    make_case(grid=GRID_A1, status=Status.DISPATCHED, lead_department=other, first_dispatched_at=T0)
    summary.rebuild()
    sheet = _sheet(client_for("handler").get("/dashboard/export/departments.xlsx", MARCH).content)
    assert [r[0] for r in sheet.iter_rows(min_row=3, values_only=True)] == ["510502-CG"]
