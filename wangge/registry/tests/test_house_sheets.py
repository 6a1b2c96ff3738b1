"""The house ledger (房屋台账) in Excel: households named by address under a compound in scope;
new buildings and rooms registered through the house services; details updated; scoped, masked
export."""

import io

import openpyxl
import pytest

from wangge.core.models import AuditEvent
from wangge.regions.models import Building, Household
from wangge.sheets import services as sheets
from wangge.sheets.models import JobStatus
from wangge.sheets.reader import ERROR_HEADER
from wangge.sheets.tests.conftest import read_xlsx, xlsx

from .conftest import A_GRID, A_GRID2, B_GRID

pytestmark = pytest.mark.django_db

HEADERS = [
    "网格编码",
    "小区",
    "楼栋",
    "单元",
    "房号",
    "房屋用途",
    "建筑面积（平方米）",
    "产权人/房东",
    "产权人/房东电话",
    "最近核实日期",
]
A_COMPOUND = "001001花园"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def house_row(
    building="1栋",
    unit=1,
    room="301",
    use="出租",
    area="89.5",
    owner="李四",
    phone="13912345678",
    grid=A_GRID,
    compound=A_COMPOUND,
    checked="2025-03-01",
):
    return [grid, compound, building, unit, room, use, area, owner, phone, checked]


def upload(user, rows, commit=False, headers=HEADERS):
    data = xlsx(rows, headers, title="房屋")
    return sheets.import_upload(actor=user, ledger="houses", file_name="房屋.xlsx", data=data, commit=commit)


def errors(job) -> list[tuple]:
    return [(e["row"], e["column"], e["message"]) for e in job.first_errors]


def test_template_headers_and_use_list(ledger):
    name, data = sheets.template_for(actor=ledger["users"]["gridworker_a"], ledger="houses")
    sheet = openpyxl.load_workbook(io.BytesIO(data))["房屋"]
    assert name == "房屋-导入模板.xlsx" and [c.value for c in sheet[1]] == HEADERS
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"}
    assert lists == {"F2": '"自住,出租,空置,经营"'}
    assert "随导入登记" in sheet["C1"].comment.text


def test_new_buildings_and_rooms_are_registered_and_known_rooms_updated(ledger):
    user = ledger["users"]["gridworker_a"]
    rows = [
        house_row("9栋", unit=1, room="101"),
        house_row("9栋", unit=3, room="301", phone=""),
        house_row(room="301"),
        house_row(room="101", use="自住", area="", owner="", phone="", checked=""),
    ]
    job = upload(user, rows)
    assert (job.status, job.new, job.updated) == (JobStatus.READY, 3, 1), job.first_errors
    assert not Building.objects.filter(name="9栋").exists() and Household.objects.count() == 5
    job = sheets.import_commit(actor=user, job=job)
    assert job.status == JobStatus.COMMITTED
    nine = Building.objects.get(name="9栋")
    assert nine.units == 3 and nine.region_key == A_GRID
    assert sorted(nine.households.values_list("unit", "room")) == [(1, "101"), (3, "301")]
    room = Household.objects.get(building__name="1栋", building__compound__name=A_COMPOUND, room="301")
    assert (room.use, str(room.area_m2), room.owner_name, room.owner_phone_masked) == (
        "rented",
        "89.5",
        "李四",
        "139****5678",
    )
    assert "13912345678" not in room.owner_phone_cipher
    a101 = ledger["houses"]["a101"]
    a101.refresh_from_db()
    assert a101.use == "self" and a101.owner_name == ""
    assert AuditEvent.objects.filter(verb="building.create").count() == 1
    assert AuditEvent.objects.filter(verb="household.create").count() == 3
    assert AuditEvent.objects.filter(verb="household.update").count() == 1


def test_each_cell_is_checked_and_named(ledger):
    bad = [
        house_row(grid=B_GRID, compound="002001花园"),
        house_row(compound="不存在花园"),
        house_row(unit=3),
        house_row(area="很大", room="302"),
        house_row(phone="1234567", room="303"),
        house_row(checked="2099-01-01", room="304"),
        house_row(use="仓库", room="305"),
        house_row(room=""),
    ]
    job = upload(ledger["users"]["gridworker_a"], bad)
    found = errors(job)
    assert job.errors == len(bad) and Household.objects.count() == 5
    assert found[0] == (2, "网格编码", f"网格编码{B_GRID}不存在，或不在您的管辖范围内")
    assert found[1] == (3, "小区", f"网格{A_GRID}中没有小区“不存在花园”（已有：{A_COMPOUND}）")
    assert found[2] == (4, "单元", "楼栋“1栋”只有2个单元，没有3单元")
    assert found[3] == (5, "建筑面积（平方米）", "建筑面积应为数字（平方米）")
    assert found[4][:2] == (6, "产权人/房东电话") and "手机号" in found[4][2]
    assert found[5] == (7, "最近核实日期", "日期2099-01-01晚于今天")
    assert found[6][:2] == (8, "房屋用途") and "实际为“仓库”" in found[6][2]
    assert found[7] == (9, "房号", "不能为空")


def test_duplicates_and_all_or_nothing(ledger):
    user = ledger["users"]["gridworker_a"]
    job = upload(user, [house_row(), house_row(use="自住")])
    assert errors(job) == [(3, "网格编码", "与第2行重复：同一条记录在文件中只能出现一次")]
    job = upload(user, [house_row("9栋"), house_row(room="302"), house_row(room="303", area="-1")], commit=True)
    assert job.status == JobStatus.INVALID and errors(job)[0][:2] == (4, "建筑面积（平方米）")
    assert not Building.objects.filter(name="9栋").exists() and Household.objects.count() == 5
    assert not AuditEvent.objects.filter(verb__in=["building.create", "household.create", "sheets.import"]).exists()


def test_error_report_names_column_and_reason(ledger):
    user = ledger["users"]["gridworker_a"]
    job = upload(user, [house_row(), house_row(room="302", unit=5)])
    name, data = sheets.error_report_of(actor=user, job=job)
    sheet = read_xlsx(data)
    assert name == "房屋-错误报告.xlsx" and sheet[0] == [*HEADERS, ERROR_HEADER]
    assert sheet[1][-1] is None and sheet[2][-1] == "单元：楼栋“1栋”只有2个单元，没有5单元"


def test_export_is_scoped_and_masked(ledger):
    users = ledger["users"]
    upload(users["gridworker_a"], [house_row(room="301")], commit=True)
    _, data = sheets.export_ledger(actor=users["gridworker_a"], ledger="houses")
    rows = read_xlsx(data)
    assert rows[0] == HEADERS and {r[0] for r in rows[1:]} == {A_GRID}
    assert [r[4] for r in rows[1:]] == ["101", "102", "201", "301"]
    assert rows[4][5:9] == ["出租", "89.5", "李四", "139****5678"]
    street_b = read_xlsx(sheets.export_ledger(actor=users["community_b"], ledger="houses")[1])
    assert [r[0] for r in street_b[1:]] == [B_GRID]
    community_a = read_xlsx(sheets.export_ledger(actor=users["community_a"], ledger="houses")[1])
    assert {r[0] for r in community_a[1:]} == {A_GRID, A_GRID2}
    _, full = sheets.export_ledger(actor=users["gridworker_a"], ledger="houses", reveal=True, reason="出租房核查")
    assert read_xlsx(full)[4][8] == "13912345678"
    # the masked export goes back in unchanged
    job = upload(users["gridworker_a"], rows[1:], headers=rows[0])
    assert (job.status, job.unchanged) == (JobStatus.READY, 4), job.first_errors


def test_only_ledger_keepers_import(ledger):
    from wangge.core.errors import Forbidden

    with pytest.raises(Forbidden):
        upload(ledger["users"]["dispatcher_a"], [house_row()])
    with pytest.raises(Forbidden):
        upload(ledger["users"]["parttime_a"], [house_row()])


def test_house_and_resident_lists_link_the_excel_pages(ledger, client_for):
    body = client_for("gridworker_a").get("/registry/houses/").content.decode()
    assert "/sheets/houses/template.xlsx" in body and "/sheets/houses/#export" in body
    body = client_for("gridworker_a").get("/registry/").content.decode()
    assert "/sheets/residents/template.xlsx" in body
    body = client_for("dispatcher_a").get("/registry/houses/").content.decode()
    assert "/sheets/houses/template.xlsx" not in body and "/sheets/houses/#export" in body
