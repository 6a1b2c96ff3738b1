"""The shared-resource list (区域资源清单) in Excel: owner by unit credit code or by grid and
compound, inside the scope; opening hours and price rules as the resource form reads them."""

import io

import openpyxl
import pytest

from wangge.core.models import AuditEvent
from wangge.sheets import services as sheets
from wangge.sheets.models import JobStatus
from wangge.sheets.reader import ERROR_HEADER
from wangge.units.models import Resource

from .conftest import A_GRID, B_GRID, credit
from .test_sheets import read

pytestmark = pytest.mark.django_db

HEADERS = [
    "资源名称", "资源类型", "所属单位信用代码", "所属小区网格编码", "所属小区", "位置", "容量",
    "开放时间", "收费规则", "低偿价（元/小时）", "标准价（元/小时）", "开放预约", "说明",
]  # fmt: skip
COMPOUND = "001001花园"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def xlsx(rows, headers=HEADERS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "共享资源"
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def resource_row(
    name="篮球场", kind="运动场地", unit="", grid=A_GRID, compound=COMPOUND, rule="免费开放", low="", std=""
):
    return [name, kind, unit, grid, compound, "小区东门", 20, "每天 08:00-20:00", rule, low, std, "", ""]


def upload(user, rows, commit=False, headers=HEADERS):
    return sheets.import_upload(
        actor=user, ledger="resources", file_name="资源.xlsx", data=xlsx(rows, headers), commit=commit
    )


def errors(job) -> list[tuple]:
    return [(e["row"], e["column"], e["message"]) for e in job.first_errors]


def test_template_headers_and_lists(all_users):
    name, data = sheets.template_for(actor=all_users["community_a"], ledger="resources")
    sheet = openpyxl.load_workbook(io.BytesIO(data))["共享资源"]
    assert name == "共享资源-导入模板.xlsx" and [c.value for c in sheet[1]] == HEADERS
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"}
    assert lists["I2"] == '"免费开放,居民低偿,共建单位低偿"' and lists["B2"].startswith('"活动场地,会议室')
    assert "二选一" in sheet["C1"].comment.text


def test_rows_owned_by_a_unit_or_a_compound_are_written_through_the_service(all_users, units):
    user = all_users["community_a"]
    rows = [
        resource_row(),
        resource_row("操场", unit=credit(1), grid="", compound="", rule="居民低偿", low=5, std="30.5"),
    ]
    job = upload(user, rows)
    assert (job.status, job.new) == (JobStatus.READY, 2), job.first_errors
    assert not Resource.objects.exists()
    job = sheets.import_commit(actor=user, job=job)
    assert job.status == JobStatus.COMMITTED
    court = Resource.objects.get(name="篮球场")
    assert court.owner_compound.name == COMPOUND and court.opening_hours["mon"] == [["08:00", "20:00"]]
    field = Resource.objects.get(name="操场")
    assert field.owner_unit == units["a"] and str(field.low_price) == "5.00" and str(field.standard_price) == "30.50"
    assert field.is_active and AuditEvent.objects.filter(verb="resource.create").count() == 2
    # the same owner and name again: an update, blank cells kept
    again = resource_row("操场", unit=credit(1), grid="", compound="", rule="居民低偿", low=6, std="30.5")
    again[6] = None
    job = upload(user, [again, resource_row()], commit=True)
    assert (job.status, job.updated, job.unchanged, job.new) == (JobStatus.COMMITTED, 1, 1, 0), job.first_errors
    field.refresh_from_db()
    assert str(field.low_price) == "6.00" and field.capacity == 20


def test_each_cell_and_rule_is_checked(all_users, units):
    bad = [
        resource_row(kind="泳池"),
        resource_row("两个所属方", unit=credit(1)),
        resource_row("无所属方", grid="", compound=""),
        resource_row("错的小区", compound="不存在花园"),
        [*resource_row("错的时间")[:7], "周一 8:15-9:00", *resource_row()[8:]],
        resource_row("低偿缺价", rule="居民低偿", low=5),
        resource_row("免费有价", low=5, std=10),
        resource_row("价格倒挂", rule="共建单位低偿", low=50, std=10),
        resource_row("价格不是数", rule="共建单位低偿", low="五元", std=10),
    ]
    job = upload(all_users["community_a"], bad)
    found = errors(job)
    assert job.errors == len(bad) and not Resource.objects.exists()
    assert found[0][:2] == (2, "资源类型") and "实际为“泳池”" in found[0][2]
    assert found[1][:2] == (3, "所属单位信用代码") and "只能选其一" in found[1][2]
    assert found[2][:2] == (4, "所属单位信用代码") and "只能选其一" in found[2][2]
    assert found[3][:2] == (5, "所属小区") and "不存在花园" in found[3][2]
    assert found[4][:2] == (6, "开放时间") and "整点或半点" in found[4][2]
    assert found[5] == (7, "标准价（元/小时）", "低偿资源须填写标准价（其他预约方支付的价格）")
    assert found[6] == (8, "收费规则", "免费开放的资源不填价格")
    assert found[7] == (9, "标准价（元/小时）", "标准价不能低于低偿价")
    assert found[8] == (10, "低偿价（元/小时）", "价格 五元 不是数字")


def test_owners_outside_the_scope_are_refused_and_duplicates_named(all_users, units):
    user = all_users["community_a"]
    rows = [
        resource_row("会议室", unit=credit(3), grid="", compound=""),
        resource_row("乙花园", grid=B_GRID, compound="002001花园"),
        resource_row(),
        resource_row(),
    ]
    found = errors(upload(user, rows))
    assert found[0] == (2, "所属单位信用代码", f"统一社会信用代码为 {credit(3)} 的单位不存在或不在您的管辖范围内")
    assert found[1] == (3, "所属小区网格编码", f"网格 {B_GRID} 不存在或不在您的管辖范围内")
    assert found[2:] == [(5, "资源名称", "与第4行重复：同一条记录在文件中只能出现一次")]


def test_all_or_nothing_and_the_error_report(all_users, units):
    user = all_users["community_a"]
    job = upload(user, [resource_row(), resource_row("坏的", kind="泳池")], commit=True)
    assert job.status == JobStatus.INVALID and not Resource.objects.exists()
    assert not AuditEvent.objects.filter(verb="resource.create").exists()
    _, data = sheets.error_report_of(actor=user, job=job)
    sheet = read(data)
    assert sheet[0] == [*HEADERS, ERROR_HEADER] and sheet[1][-1] is None
    assert sheet[2][0] == "坏的" and sheet[2][-1].startswith("资源类型：应为以下之一")


def test_export_is_scoped_and_goes_back_in_unchanged(all_users, resources):
    user = all_users["community_a"]
    name, data = sheets.export_ledger(actor=user, ledger="resources")
    rows = read(data)
    assert name.startswith("共享资源-") and rows[0] == HEADERS
    assert sorted(r[0] for r in rows[1:]) == ["第一小学操场", "花园活动室"]
    room = next(r for r in rows[1:] if r[0] == "花园活动室")
    assert room[1:5] == ["活动场地", None, A_GRID, COMPOUND] and room[8:12] == ["居民低偿", "10.00", "40.00", "是"]
    assert room[7] == "周一至周日 08:00-22:00"
    street_b = read(sheets.export_ledger(actor=all_users["community_b"], ledger="resources")[1])
    assert [r[0] for r in street_b[1:]] == ["科技公司会议室"]
    job = upload(user, rows[1:], headers=rows[0])
    assert (job.status, job.unchanged) == (JobStatus.READY, 2), job.first_errors


def test_the_resource_list_links_the_excel_pages_for_staff_only(login, resources):
    assert "/sheets/resources/template.xlsx" in login("community_a").get("/units/resources/").content.decode()
    assert "/sheets/resources/" not in login("resident_a").get("/units/resources/").content.decode()
