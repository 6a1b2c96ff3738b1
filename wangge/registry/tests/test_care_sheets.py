"""The care-group ledger (特殊人群) in Excel: residents by ID number inside the scope, the care
page's rules for groups, levels, frequency and visitors, and a scoped export with masked IDs."""

import datetime
import io

import openpyxl
import pytest

from wangge.core.errors import Forbidden
from wangge.core.models import AuditEvent
from wangge.registry import services
from wangge.registry.models import CareRecord
from wangge.sheets import services as sheets
from wangge.sheets.models import JobStatus
from wangge.sheets.reader import ERROR_HEADER
from wangge.sheets.tests.conftest import read_xlsx, xlsx

from .conftest import make_id

pytestmark = pytest.mark.django_db

HEADERS = ["姓名", "身份证号", "关爱类别", "关爱等级", "走访周期（天）", "责任网格员（用户名）", "帮扶计划"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def people(register):
    return {
        "zhang": register("a101", "张奶奶", id_number=make_id("19400101", male=False)),
        "li": register("a102", "李爷爷", id_number=make_id("19380202")),
        "zhao": register("b101", "赵奶奶", id_number=make_id("19420303", male=False)),
    }


def number(person) -> str:
    from wangge.core import pii

    return pii.decrypt(person.id_cipher)


def care_row(person, group="独居老人", level="重点关注", every=7, worker="gridworker_a", plan="每周上门", name=None):
    return [name or person.name, number(person), group, level, every, worker, plan]


def upload(user, rows, commit=False, headers=HEADERS):
    data = xlsx(rows, headers, title="特殊人群")
    return sheets.import_upload(actor=user, ledger="care", file_name="关爱.xlsx", data=data, commit=commit)


def errors(job) -> list[tuple]:
    return [(e["row"], e["column"], e["message"]) for e in job.first_errors]


def test_template_headers_and_lists(ledger):
    name, data = sheets.template_for(actor=ledger["users"]["community_a"], ledger="care")
    sheet = openpyxl.load_workbook(io.BytesIO(data))["特殊人群"]
    assert name == "特殊人群-导入模板.xlsx" and [c.value for c in sheet[1]] == HEADERS
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"}
    assert lists == {
        "C2": '"空巢老人,独居老人,困境儿童,基础病患者,残疾人,低收入家庭"',
        "D2": '"重点关注,一般关注,日常关注"',
    }
    assert "用户名" in sheet["F1"].comment.text


def test_rows_become_care_records_through_the_care_service(ledger, people):
    user = ledger["users"]["community_a"]
    rows = [
        care_row(people["zhang"]),
        care_row(people["zhang"], "基础病患者", "", "", "parttime_a", ""),
        care_row(people["li"], "空巢老人", "日常关注", 30, "gridworker_a", ""),
    ]
    job = upload(user, rows)
    assert (job.status, job.new) == (JobStatus.READY, 3), job.first_errors
    assert not CareRecord.objects.exists()
    job = sheets.import_commit(actor=user, job=job)
    assert job.status == JobStatus.COMMITTED
    solitary = CareRecord.objects.get(resident=people["zhang"], group="solitary")
    assert (solitary.level, solitary.visit_every_days, solitary.responsible.username, solitary.plan) == (
        1,
        7,
        "gridworker_a",
        "每周上门",
    )
    chronic = CareRecord.objects.get(resident=people["zhang"], group="chronic")
    assert (chronic.level, chronic.visit_every_days) == (2, 30)
    assert AuditEvent.objects.filter(verb="care.create", actor=user).count() == 3
    # again: an open record of the same group is updated, blank cells kept
    job = upload(user, [care_row(people["zhang"], level="一般关注", every=None, plan=None)], commit=True)
    assert (job.status, job.updated) == (JobStatus.COMMITTED, 1), job.first_errors
    solitary.refresh_from_db()
    assert (solitary.level, solitary.visit_every_days, solitary.plan) == (2, 7, "每周上门")
    assert AuditEvent.objects.filter(verb="care.update").count() == 1


def test_each_cell_is_checked_and_named(ledger, people, register):
    gone = register("a201", "钱爷爷", id_number=make_id("19390404"))
    services.resident_depart(actor=None, resident=gone, on=datetime.date.today())
    unknown = make_id("19410505")
    bad = [
        care_row(people["zhang"], name="张三"),
        [people["li"].name, unknown, "独居老人", "重点关注", 7, "gridworker_a", ""],
        care_row(people["li"], group="富裕老人"),
        care_row(people["li"], "残疾人", every=400),
        care_row(people["li"], "困境儿童", worker="nobody"),
        care_row(people["li"], "低收入家庭", worker="resident_a"),
        care_row(people["li"], "基础病患者", worker="gridworker_a2"),
        care_row(gone),
        [people["li"].name, number(people["li"])[:-1] + "0", "独居老人", "", "", "gridworker_a", ""],
    ]
    job = upload(ledger["users"]["community_a"], bad)
    found = errors(job)
    assert job.errors == len(bad) and not CareRecord.objects.exists()
    assert found[0] == (2, "姓名", "与系统中此身份证号的居民姓名“张奶奶”不一致")
    assert found[1] == (3, "身份证号", "此身份证号的居民未登记，或不住在您的管辖范围内：请先在居民台账登记")
    assert found[2][:2] == (4, "关爱类别") and "实际为“富裕老人”" in found[2][2]
    assert found[3] == (5, "走访周期（天）", "应在1到365之间")
    assert found[4] == (6, "责任网格员（用户名）", "责任人不存在或不在您的管辖范围内")
    assert found[5] == (7, "责任网格员（用户名）", "责任人resident_a不是在岗的网格员、楼栋长或社区工作者")
    assert found[6] == (8, "责任网格员（用户名）", "责任人gridworker_a2的管辖范围不包括该居民的住址")
    assert found[7] == (9, "身份证号", "已迁出的居民不能列为关爱对象")
    assert found[8][:2] == (10, "身份证号") and "校验位" in found[8][2]


def test_people_and_visitors_outside_the_scope_are_refused(ledger, people):
    user = ledger["users"]["gridworker_a"]
    found = errors(upload(user, [care_row(people["zhao"]), care_row(people["zhang"], worker="gridworker_b")]))
    assert found[0] == (2, "身份证号", "此身份证号的居民未登记，或不住在您的管辖范围内：请先在居民台账登记")
    assert "赵奶奶" not in found[0][2]
    assert found[1] == (3, "责任网格员（用户名）", "责任人不存在或不在您的管辖范围内")


def test_duplicates_all_or_nothing_and_the_error_report(ledger, people):
    user = ledger["users"]["community_a"]
    job = upload(user, [care_row(people["zhang"]), care_row(people["zhang"], level="日常关注")])
    assert errors(job) == [(3, "身份证号", "与第2行重复：同一条记录在文件中只能出现一次")]
    job = upload(user, [care_row(people["zhang"]), care_row(people["li"], worker="nobody")], commit=True)
    assert job.status == JobStatus.INVALID and not CareRecord.objects.exists()
    assert not AuditEvent.objects.filter(verb__in=["care.create", "sheets.import"]).exists()
    name, data = sheets.error_report_of(actor=user, job=job)
    sheet = read_xlsx(data)
    assert name == "关爱-错误报告.xlsx" and sheet[0] == [*HEADERS, ERROR_HEADER]
    assert sheet[1][-1] is None and sheet[2][-1] == "责任网格员（用户名）：责任人不存在或不在您的管辖范围内"


def test_export_is_scoped_and_masked(ledger, people):
    users = ledger["users"]
    upload(users["community_a"], [care_row(people["zhang"]), care_row(people["li"], "空巢老人")], commit=True)
    services.care_create(actor=None, resident=people["zhao"], group="child", responsible=users["gridworker_b"], level=1)
    rows = read_xlsx(sheets.export_ledger(actor=users["gridworker_a"], ledger="care")[1])
    assert rows[0] == HEADERS and sorted(r[0] for r in rows[1:]) == ["张奶奶", "李爷爷"]
    zhang = next(r for r in rows[1:] if r[0] == "张奶奶")
    assert zhang[1] == "510502********" + number(people["zhang"])[-4:]
    assert zhang[2:6] == ["独居老人", "重点关注", 7, "gridworker_a"]
    street_b = read_xlsx(sheets.export_ledger(actor=users["community_b"], ledger="care")[1])
    assert [r[0] for r in street_b[1:]] == ["赵奶奶"]
    _, full = sheets.export_ledger(actor=users["community_a"], ledger="care", reveal=True, reason="关爱回访")
    full_rows = read_xlsx(full)
    assert number(people["zhang"]) in [r[1] for r in full_rows[1:]]
    job = upload(users["community_a"], full_rows[1:], headers=full_rows[0])
    assert (job.status, job.unchanged) == (JobStatus.READY, 2), job.first_errors


def test_only_care_keepers_import(ledger, people, client_for):
    with pytest.raises(Forbidden):
        upload(ledger["users"]["dispatcher_a"], [care_row(people["zhang"])])
    body = client_for("community_a").get("/registry/care/").content.decode()
    assert "/sheets/care/template.xlsx" in body
