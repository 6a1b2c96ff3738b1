"""Files refused as a whole: each gets a clear message and a code, never a 500, and nothing is
written — no resident, no audit event, no stored upload left behind."""

import io
import zipfile

import openpyxl
import pytest

from wangge.core.errors import DomainError
from wangge.core.models import AuditEvent
from wangge.registry.models import Resident
from wangge.sheets import reader, services
from wangge.sheets.models import ImportJob, JobStatus
from wangge.sheets.spec import find

from .conftest import HEADERS, resident_row, xlsx

pytestmark = pytest.mark.django_db


def upload(users, data: bytes, name: str = "residents.xlsx", actor: str = "gridworker_a") -> ImportJob:
    return services.import_upload(actor=users[actor], ledger="residents", file_name=name, data=data)


def assert_refused(job: ImportJob, code: str, *phrases: str) -> None:
    assert job.status == JobStatus.REFUSED, (job.status, job.message)
    assert job.code == code, (job.code, job.message)
    for phrase in phrases:
        assert phrase in job.message, job.message
    assert job.stored_file == "" and not job.error_report
    assert not Resident.objects.exists()
    assert not AuditEvent.objects.filter(verb__in=["resident.import", "sheets.import"]).exists()


def zipped(files: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_files_that_are_not_xlsx(users):
    assert_refused(upload(users, "姓名,身份证号\n张三,1\n".encode(), "a.csv"), "not_xlsx", "不是 Excel 工作簿")
    assert_refused(upload(users, b"\x00\x01binary junk"), "not_xlsx", "不是 Excel 工作簿")
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    assert_refused(upload(users, ole, "old.xls"), "not_xlsx", ".xls", "密码")
    assert_refused(upload(users, zipped({"word/document.xml": "<w/>"}), "a.docx"), "not_xlsx", "压缩包")
    assert_refused(upload(users, b"PK\x03\x04 truncated"), "not_xlsx", "损坏")
    broken = zipped({"xl/workbook.xml": "<workbook>", "[Content_Types].xml": "<Types/>"})
    assert_refused(upload(users, broken), "not_xlsx")


def test_empty_workbooks(users):
    assert_refused(upload(users, xlsx([], headers=None)), "empty_sheet", "是空的")
    assert_refused(upload(users, xlsx([])), "empty_sheet", "没有数据行")
    template = services.template_for(actor=users["gridworker_a"], ledger="residents")[1]
    assert_refused(upload(users, template), "empty_sheet", "没有数据行")


def test_wrong_or_missing_columns(users):
    without_name = xlsx([resident_row()[1:]], headers=HEADERS[1:])
    assert_refused(upload(users, without_name), "missing_columns", "缺少必填的列：姓名")
    extra = xlsx([[*resident_row(), "x"]], headers=[*HEADERS, "身高"])
    assert_refused(upload(users, extra), "unknown_columns", "无法识别的列：身高", "可用的列：姓名、身份证号")
    twice = xlsx([[*resident_row(), "张三"]], headers=[*HEADERS, "姓名"])
    assert_refused(upload(users, twice), "duplicate_columns", "列“姓名”出现了两次（A列和O列）")
    headless = xlsx([[*resident_row(), "x"]], headers=[*HEADERS, ""])
    assert_refused(upload(users, headless), "unknown_columns", "第O列（无表头）")
    other = xlsx([["a", "b"]], headers=["编号", "名称"])
    assert_refused(upload(users, other), "bad_header", "第1行不是“实有人口”的表头")
    titled = xlsx([HEADERS, resident_row()], headers=["甲一社区实有人口台账"])
    assert_refused(upload(users, titled), "bad_header", "表头应在第1行，第2行像是表头")


def test_merged_cells(users):
    def merge_header(book, sheet):
        sheet.merge_cells("A1:B1")

    assert_refused(
        upload(users, xlsx([resident_row()], build=merge_header)), "merged_cells", "表头有合并单元格（A1:B1）"
    )

    def merge_data(book, sheet):
        sheet.merge_cells("I2:I3")

    rows = [resident_row(), resident_row(room="102")]
    assert_refused(upload(users, xlsx(rows, build=merge_data)), "merged_cells", "表格中有合并单元格（I2:I3）")


def test_formulas(users):
    def formula(book, sheet):
        sheet["D2"] = "=DATE(1990,1,1)"
        sheet["K2"] = "=1+0"

    assert_refused(upload(users, xlsx([resident_row()], build=formula)), "formulas", "D2、K2", "选择性粘贴为数值")


def test_too_many_rows_and_too_large(users, settings):
    settings.WANGGE_IMPORT_MAX_ROWS = 2
    rows = [resident_row(), resident_row(room="102"), resident_row(room="201")]
    assert_refused(upload(users, xlsx(rows)), "too_many_rows", "数据有3行，超过一次导入的上限2行")
    settings.WANGGE_IMPORT_MAX_BYTES = 1000
    with pytest.raises(DomainError) as caught:
        upload(users, xlsx([resident_row()]))
    assert caught.value.code == "too_large" and caught.value.field == "file"
    with pytest.raises(DomainError) as caught:
        upload(users, b"")
    assert caught.value.code == "empty_file"
    assert ImportJob.objects.count() == 1  # only the refused one: too large and empty never became jobs


def test_declared_extent_far_past_the_limit_is_refused_before_parsing(settings):
    settings.WANGGE_IMPORT_MAX_ROWS = 10
    book = openpyxl.Workbook()
    book.active.title = "实有人口"
    book.active.append(HEADERS)
    book.active["A5000"] = "张三"
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(reader.SheetRefused) as caught:
        reader.read(buffer.getvalue(), find("residents"))
    assert caught.value.code == "too_many_rows"


def test_headers_are_matched_loosely_and_the_ledger_sheet_is_preferred(users, rooms):
    headers = ["*姓名", " 公民身份号码 ", *HEADERS[2:], reader.ERROR_HEADER]

    def other_sheet_first(book, sheet):
        first = book.create_sheet("说明", 0)
        first["A1"] = "这张表不是数据"

    job = upload(users, xlsx([[*resident_row(), "旧的错误说明"]], headers=headers, build=other_sheet_first))
    assert job.status == JobStatus.READY and job.new == 1, (job.status, job.message, job.first_errors)


def test_formula_tags_with_a_namespace_prefix_and_lookalike_tags():
    prefixed = (
        b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
        b'<x:row r="2"><x:c r="B2"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row></x:sheetData></x:worksheet>'
    )
    with pytest.raises(reader.SheetRefused) as caught:
        reader._refuse_formulas(prefixed)
    assert "（B2）" in caught.value.message
    rich_text = (
        b'<worksheet><sheetData><row r="2"><c r="A2" t="inlineStr"><is><r><rPr><family val="2"/></rPr>'
        b"<t>f&lt;f</t></r></is></c></row></sheetData></worksheet>"
    )
    reader._refuse_formulas(rich_text)  # no formula here
