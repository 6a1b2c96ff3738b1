"""The units-in-area ledger (驻区单位) in Excel: template, dry run, all-or-nothing commit through the
unit services, error report, and a scoped, masked export."""

import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangge.core.errors import Forbidden
from wangge.core.models import AuditEvent
from wangge.sheets import services as sheets
from wangge.sheets.models import JobStatus
from wangge.sheets.reader import ERROR_HEADER
from wangge.units import services
from wangge.units.models import Unit

from .conftest import A_GRID, B_GRID, credit

pytestmark = pytest.mark.django_db

HEADERS = [
    "单位名称", "统一社会信用代码", "单位类型", "网格编码", "所在小区",
    "地址", "联系人", "联系电话", "已建党组织", "党组织名称",
]  # fmt: skip


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def xlsx(rows, headers=HEADERS, title="驻区单位") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read(data: bytes, sheet=0) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [list(row) for row in book.worksheets[sheet].iter_rows(values_only=True)]


def unit_row(name="甲街道书店", code=None, kind="企业", grid=A_GRID, compound="", phone="13900001111", party="否"):
    return [name, code or credit(50), kind, grid, compound, "甲路8号", "李经理", phone, party, ""]


def upload(user, rows, commit=False, headers=HEADERS):
    return sheets.import_upload(
        actor=user, ledger="units", file_name="单位.xlsx", data=xlsx(rows, headers), commit=commit
    )


def errors(job) -> list[tuple]:
    return [(e["row"], e["column"], e["message"]) for e in job.first_errors]


def test_template_has_chinese_headers_hints_and_the_kind_list(all_users):
    name, data = sheets.template_for(actor=all_users["gridworker_a"], ledger="units")
    assert name == "驻区单位-导入模板.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["驻区单位"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert "校验位" in sheet["B1"].comment.text and "必填" in sheet["B1"].comment.text
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"}
    assert lists["C2"].startswith('"党政机关,事业单位,企业') and lists["I2"] == '"是,否"'


def test_dry_run_writes_nothing_and_commit_writes_every_row_audited(all_users, tree):
    user = all_users["gridworker_a"]
    rows = [unit_row(), unit_row("花园幼儿园", credit(51), "学校", compound="001001花园", party="是")]
    rows[1][9] = "幼儿园党支部"
    job = upload(user, rows)
    assert (job.status, job.new, job.errors) == (JobStatus.READY, 2, 0), job.first_errors
    assert not Unit.objects.exists() and not AuditEvent.objects.filter(verb="unit.create").exists()
    job = sheets.import_commit(actor=user, job=job)
    assert job.status == JobStatus.COMMITTED and job.new == 2
    school = Unit.objects.get(credit_code=credit(51))
    assert (school.kind, school.compound.name, school.has_party_organisation) == ("school", "001001花园", True)
    assert school.contact_phone_masked == "139****1111" and "13900001111" not in school.contact_phone_cipher
    assert AuditEvent.objects.filter(verb="unit.create", actor=user).count() == 2
    assert AuditEvent.objects.get(verb="sheets.import").after["new"] == 2


def test_each_cell_is_checked_and_named(all_users, tree):
    bad = [
        unit_row(code="91510502MA6CB12340"),
        unit_row(code="915105020000"),
        unit_row(code=credit(52), kind="商店"),
        unit_row(code=credit(53), grid="51050200100100"),
        unit_row(code=credit(54), compound="不存在花园"),
        unit_row(code=credit(55), phone="1234"),
        [*unit_row(code=credit(56))[:9], "某党支部"],
        unit_row(name="", code=credit(57)),
    ]
    job = upload(all_users["gridworker_a"], bad)
    assert job.status == JobStatus.INVALID and job.errors == len(bad)
    found = errors(job)
    assert found[0][:2] == (2, "统一社会信用代码") and "校验位应为" in found[0][2]
    assert found[1] == (3, "统一社会信用代码", "统一社会信用代码应为18位，实际为12位")
    assert found[2][:2] == (4, "单位类型") and found[2][2].startswith("应为以下之一：党政机关")
    assert found[3] == (5, "网格编码", "应为15位数字，实际为“51050200100100”")
    assert found[4][:2] == (6, "所在小区") and "不存在花园" in found[4][2]
    assert found[5][:2] == (7, "联系电话") and "手机号" in found[5][2]
    assert found[6] == (8, "党组织名称", "填写了党组织名称，但未勾选“已建党组织”")
    assert found[7] == (9, "单位名称", "不能为空")
    assert not Unit.objects.exists()


def test_codes_outside_the_scope_are_refused_without_saying_what_is_there(all_users, units):
    job = upload(all_users["gridworker_a"], [unit_row(code=credit(60), grid=B_GRID), unit_row(code=credit(3))])
    found = errors(job)
    assert found[0] == (2, "网格编码", f"网格 {B_GRID} 不存在或不在您的管辖范围内")
    assert found[1] == (3, "统一社会信用代码", f"统一社会信用代码 {credit(3)} 已由其他辖区登记，请与上级核对")
    assert "科技公司" not in found[1][2]
    assert Unit.objects.get(credit_code=credit(3)).name == "乙街道科技公司"


def test_duplicates_in_the_file_and_a_code_already_registered_in_scope_updates_it(all_users, units):
    user = all_users["gridworker_a"]
    job = upload(user, [unit_row(code=credit(61)), unit_row("另一家", code=credit(61))])
    assert errors(job) == [(3, "统一社会信用代码", "与第2行重复：同一条记录在文件中只能出现一次")]
    row = unit_row("甲街道第一小学（新址）", code=credit(1), kind="学校", phone="", party="")
    job = upload(user, [row], commit=True)
    assert (job.status, job.updated, job.new) == (JobStatus.COMMITTED, 1, 0), job.first_errors
    unit = Unit.objects.get(credit_code=credit(1))
    # blank optional cells keep what is stored
    assert unit.name == "甲街道第一小学（新址）" and unit.contact_phone_masked == "138****1234"
    assert unit.has_party_organisation and AuditEvent.objects.filter(verb="unit.update").count() == 1
    # 否 with a blank name: the party organisation and its name go
    job = upload(
        user, [unit_row("甲街道第一小学（新址）", code=credit(1), kind="学校", phone="", party="否")], commit=True
    )
    assert (job.status, job.updated) == (JobStatus.COMMITTED, 1), job.first_errors
    unit.refresh_from_db()
    assert not unit.has_party_organisation and unit.party_organisation_name == ""


def test_commit_is_all_or_nothing(all_users, tree):
    user = all_users["gridworker_a"]
    job = upload(user, [unit_row(code=credit(70)), unit_row(code=credit(71), kind="工厂")], commit=True)
    assert job.status == JobStatus.INVALID and not Unit.objects.exists()
    assert not AuditEvent.objects.filter(verb__in=["unit.create", "sheets.import"]).exists()
    job = upload(user, [unit_row(code=credit(70)), unit_row(code=credit(71))])
    assert job.status == JobStatus.READY
    # another street registers the second code before the commit
    services.unit_create(actor=None, name="抢先登记", credit_code=credit(71), kind="other", grid_code=B_GRID)
    job = sheets.import_commit(actor=user, job=job)
    assert job.status == JobStatus.INVALID and errors(job)[0][:2] == (3, "统一社会信用代码")
    assert not Unit.objects.filter(credit_code=credit(70)).exists()


def test_error_report_is_the_file_plus_the_reason(all_users, tree):
    user = all_users["gridworker_a"]
    job = upload(user, [unit_row(code=credit(80)), unit_row(code=credit(81), phone="12345")])
    name, data = sheets.error_report_of(actor=user, job=job)
    assert name == "单位-错误报告.xlsx"
    sheet = read(data)
    assert sheet[0] == [*HEADERS, ERROR_HEADER]
    assert sheet[1][-1] is None and sheet[2][1] == credit(81)
    assert sheet[2][-1].startswith("联系电话：")


def test_export_is_scoped_and_masked(all_users, units):
    name, data = sheets.export_ledger(actor=all_users["gridworker_a"], ledger="units")
    rows = read(data)
    assert name.startswith("驻区单位-") and rows[0] == HEADERS
    assert [r[0] for r in rows[1:]] == ["甲街道第一小学"]
    assert rows[1][1:4] == [credit(1), "学校", A_GRID] and rows[1][7] == "138****1234" and rows[1][8] == "是"
    street_b = read(sheets.export_ledger(actor=all_users["community_b"], ledger="units")[1])
    assert [r[0] for r in street_b[1:]] == ["乙街道科技公司"]
    street_a = read(sheets.export_ledger(actor=all_users["dispatcher_a"], ledger="units")[1])
    assert sorted(r[0] for r in street_a[1:]) == ["甲街道卫生院", "甲街道第一小学"]
    assert all("13800001234" not in str(r) for r in street_a)
    _, full = sheets.export_ledger(actor=all_users["community_a"], ledger="units", reveal=True, reason="共建联络")
    assert [r[7] for r in read(full)[1:] if r[0] == "甲街道第一小学"] == ["13800001234"]
    assert AuditEvent.objects.filter(verb="sheets.export", note="共建联络").exists()


def test_a_masked_export_goes_back_in_unchanged(all_users, units):
    user = all_users["community_a"]
    rows = read(sheets.export_ledger(actor=user, ledger="units")[1])
    job = upload(user, rows[1:], headers=rows[0])
    assert (job.status, job.unchanged, job.new, job.updated) == (JobStatus.READY, 2, 0, 0), job.first_errors
    rows[1][7] = "138****9999"
    job = upload(user, rows[1:], headers=rows[0])
    assert errors(job)[0][1] == "联系电话" and "打码" in errors(job)[0][2]


def test_only_unit_keepers_import_and_the_list_page_links_what_the_user_may_do(all_users, login, tree):
    with pytest.raises(Forbidden):
        upload(all_users["dispatcher_a"], [unit_row()])
    body = login("gridworker_a").get("/units/").content.decode()
    assert "/sheets/units/template.xlsx" in body and "/sheets/units/#export" in body
    body = login("dispatcher_a").get("/units/").content.decode()
    assert "/sheets/units/template.xlsx" not in body and "/sheets/units/#export" in body
    body = login("leader_a").get("/units/").content.decode()
    assert "/sheets/units/" not in body


def test_a_large_units_file_goes_through_the_worker_all_or_nothing(
    all_users, tree, settings, django_capture_on_commit_callbacks
):
    settings.WANGGE_IMPORT_INLINE_BYTES = 0  # everything counts as large
    user = all_users["gridworker_a"]
    rows = [unit_row(f"单位{n}", credit(1000 + n)) for n in range(200)]
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        job = upload(user, rows)
        assert job.status == JobStatus.QUEUED
    job.refresh_from_db()
    assert (job.status, job.new) == (JobStatus.READY, 200), (job.message, job.first_errors[:3])
    assert not Unit.objects.exists()
    # the rows are checked one by one, each undone at once, so the progress bar can count them
    progress = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "sheets_importjob" SET "phase"')
    ]
    assert any("'check'" in sql and "200" in sql for sql in progress), progress
    with django_capture_on_commit_callbacks(execute=True):
        sheets.import_commit(actor=user, job=job)
    job.refresh_from_db()
    assert job.status == JobStatus.COMMITTED and Unit.objects.count() == 200
    assert AuditEvent.objects.filter(verb="unit.create").count() == 200


def test_the_api_and_refused_files_work_for_this_ledger_too(all_users, login, tree):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def file(data, name="单位.xlsx"):
        return SimpleUploadedFile(name, data, content_type="application/octet-stream")

    client = login("gridworker_a")
    response = client.post("/api/v1/imports/units?dry_run=1", {"file": file(xlsx([unit_row()]))})
    assert response.status_code == 200 and response.json()["status"] == "ready" and response.json()["new"] == 1
    response = client.post("/api/v1/imports/units?dry_run=0", {"file": file(xlsx([unit_row()]))})
    assert response.status_code == 200 and response.json()["status"] == "committed"
    assert Unit.objects.get().credit_code == credit(50)
    # the resident ledger's sheet is not a units sheet; a text file is not a workbook
    wrong = xlsx([["张三"]], headers=["姓名", "身份证号"], title="实有人口")
    response = client.post("/api/v1/imports/units?dry_run=1", {"file": file(wrong)})
    assert response.status_code == 400 and response.json()["code"] in ("bad_header", "missing_columns")
    response = client.post("/api/v1/imports/units?dry_run=1", {"file": file(b"name,code\n", "units.csv")})
    assert response.status_code == 400 and response.json()["code"] == "not_xlsx"
    assert Unit.objects.count() == 1
    response = client.post("/api/v1/exports/units", {"region": ""})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert login("community_b").post("/api/v1/exports/units", {"region": "510502001001001"}).status_code == 404
