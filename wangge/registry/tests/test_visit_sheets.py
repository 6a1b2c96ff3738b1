"""Door-knock visits exported to Excel: export only, the user's scope only, newcomers' ID numbers
masked unless revealed with a reason."""

import datetime

import pytest

from wangge.core.errors import Forbidden
from wangge.core.models import AuditEvent
from wangge.registry import services
from wangge.sheets import services as sheets
from wangge.sheets.tests.conftest import read_xlsx

from .conftest import A_GRID, B_GRID, make_id

pytestmark = pytest.mark.django_db
NEWCOMER = make_id("19950505")


@pytest.fixture
def visits(ledger, register):
    users, houses = ledger["users"], ledger["houses"]
    stays = register("a101", "留下的")
    leaves = register("a101", "搬走的")
    record = services.care_create(
        actor=None, resident=stays, group="solitary", responsible=users["gridworker_a"], level=1
    )
    report = services.VisitInput(
        met=[stays],
        met_others="其女儿",
        notes="家中整洁",
        departed=[leaves],
        newcomers=[{"name": "新来的", "id_number": NEWCOMER, "phone": "17055556666", "kind": "floating"}],
        care=[(record, "血压正常")],
        problem_text="楼道灯坏了",
        problem_category="facility",
    )
    services.visit_record(actor=users["gridworker_a"], household=houses["a101"], report=report)
    services.visit_record(
        actor=users["gridworker_a"],
        household=houses["a102"],
        visited_on=datetime.date.today() - datetime.timedelta(days=3),
        report=services.VisitInput(notes="无人在家"),
    )
    services.visit_record(
        actor=users["gridworker_b"], household=houses["b101"], report=services.VisitInput(notes="乙街道的走访")
    )


def test_export_lists_the_scope_s_visits_newest_first_with_masked_ids(ledger, visits):
    users = ledger["users"]
    name, data = sheets.export_ledger(actor=users["gridworker_a"], ledger="visits")
    rows = read_xlsx(data)
    assert name.startswith("走访记录-") and rows[0][:7] == [
        "走访日期",
        "网格编码",
        "小区",
        "楼栋",
        "单元",
        "房号",
        "走访人",
    ]
    assert [r[9] for r in rows[1:]] == ["家中整洁", "无人在家"]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["网格编码"] == A_GRID and first["房号"] == "101" and first["走访人"] == "gridworker_a"
    assert first["见到的居民"] == "留下的" and first["见到的其他人"] == "其女儿" and first["搬离的居民"] == "搬走的"
    assert first["新登记的居民"] == f"新来的（510502********{NEWCOMER[-4:]}）" and NEWCOMER not in str(rows)
    assert first["走访的关爱对象"] == "留下的（独居老人）：血压正常"
    assert first["发现的问题"] == "楼道灯坏了（待受理）"
    street_b = read_xlsx(sheets.export_ledger(actor=users["community_b"], ledger="visits")[1])
    assert [(r[1], r[9]) for r in street_b[1:]] == [(B_GRID, "乙街道的走访")]
    _, full = sheets.export_ledger(actor=users["community_a"], ledger="visits", reveal=True, reason="新增人口核对")
    assert f"新来的（{NEWCOMER}）" in [r[11] for r in read_xlsx(full)[1:]]
    assert AuditEvent.objects.filter(verb="sheets.export", note="新增人口核对").exists()


def test_visits_cannot_be_imported_and_the_page_offers_export_only(ledger, visits, client_for):
    with pytest.raises(Forbidden) as caught:
        sheets.import_upload(actor=ledger["users"]["gridworker_a"], ledger="visits", file_name="v.xlsx", data=b"x")
    assert caught.value.message == "“走访记录”台账只能导出，不能导入"
    with pytest.raises(Forbidden):
        sheets.template_for(actor=ledger["users"]["gridworker_a"], ledger="visits")
    client = client_for("gridworker_a")
    page = client.get("/sheets/visits/").content.decode()
    assert "导出 Excel" in page and "上传并校验" not in page
    assert client.get("/sheets/visits/template.xlsx").status_code == 403
    body = client.get("/registry/visits/").content.decode()
    assert "/sheets/visits/#export" in body and "/sheets/visits/template.xlsx" not in body
    with pytest.raises(Forbidden):  # part-time grid workers record visits but do not export ledgers
        sheets.export_ledger(actor=ledger["users"]["parttime_a"], ledger="visits")


def test_the_api_refuses_uploads_and_templates_of_an_export_only_ledger(ledger, visits, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for("gridworker_a")
    response = client.post("/api/v1/imports/visits", {"file": SimpleUploadedFile("v.xlsx", b"x")})
    assert response.status_code == 403 and response.json()["code"] == "export_only"
    assert client.get("/api/v1/imports/visits/template").status_code == 403
    response = client.post("/api/v1/exports/visits", {"region": ""})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
