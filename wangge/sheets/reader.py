"""Opening an uploaded workbook and refusing the ones that cannot be imported as a whole:
not .xlsx, password-protected, no data, wrong or missing headers, merged cells, formulas, too many
rows. Each refusal is a `SheetRefused` with a code and a message the uploader can act on."""

import io
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

import python_calamine
from django.conf import settings
from django.utils.translation import gettext as _

from wangge.core.errors import DomainError

from .spec import Column, LedgerSpec

# The error report's own column: ignored when a corrected error report is uploaded again.
ERROR_HEADER = "错误说明"
_MAX_LISTED = 5
_ROOT = re.compile(rb"<([A-Za-z0-9_]+:)?worksheet[\s>]")
_CELL_REF = re.compile(rb'\br="([A-Z]+[0-9]+)"')
_TAG_END = {b">", b" ", b"/", b"\t", b"\n", b"\r"}
_DIMENSION = re.compile(rb'<(?:[A-Za-z0-9_]+:)?dimension\s+ref="[A-Z]*[0-9]*:?[A-Z]*([0-9]+)"')
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class SheetRefused(DomainError):
    """The file as a whole cannot be imported; nothing was written."""

    code = "bad_file"


@dataclass
class Sheet:
    name: str
    columns: list[tuple[int, Column]]  # (position in the file, column of the spec)
    headers: list[str]  # the header row as uploaded, for the error report
    rows: list[tuple[int, list]]  # (row number as Excel shows it, cells), blank rows left out


def max_rows() -> int:
    return int(getattr(settings, "WANGGE_IMPORT_MAX_ROWS", 200_000))


def cell_name(row: int, col: int) -> str:
    """A1 notation from zero-based row and column."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def normalise_header(text) -> str:
    text = str(text or "").strip().replace("（", "(").replace("）", ")")
    return re.sub(r"[\s*＊]", "", text)


def read(data: bytes, spec: LedgerSpec) -> Sheet:
    archive = _open_archive(data)
    workbook = _open_workbook(data)
    name = _pick_sheet(workbook, spec)
    xml_path = _sheet_path(archive, name)
    limit = max_rows()
    if xml_path:
        xml = archive.read(xml_path)
        _refuse_formulas(xml)
        declared = _DIMENSION.search(xml[:4096])
        # A declared extent far past the limit is refused before the sheet is parsed at all.
        if declared and int(declared.group(1)) > limit + 1_000:
            raise _too_many(int(declared.group(1)) - 1, limit)
        del xml
    try:
        sheet = workbook.get_sheet_by_name(name)
        merged = sheet.merged_cell_ranges or []
        grid = sheet.to_python(skip_empty_area=False)
    except python_calamine.CalamineError as exc:
        raise SheetRefused(_("工作表“%(s)s”无法读取（%(e)s）") % {"s": name, "e": str(exc)[:200]}, code="unreadable")
    if merged:
        _refuse_merged(merged)
    if not any(cell != "" for row in grid for cell in row):
        raise SheetRefused(_("工作表“%(s)s”是空的") % {"s": name}, code="empty_sheet", field="file")
    columns, headers = _match_headers(grid, spec)
    rows = []
    for index in range(1, len(grid)):
        cells = grid[index]
        for cell in cells:
            if cell != "":
                rows.append((index + 1, cells))
                break
    if not rows:
        raise SheetRefused(_("表头下面没有数据行"), code="empty_sheet", field="file")
    if len(rows) > limit:
        raise _too_many(len(rows), limit)
    return Sheet(name=name, columns=columns, headers=headers, rows=rows)


def _too_many(count: int, limit: int) -> SheetRefused:
    return SheetRefused(
        _("数据有%(n)d行，超过一次导入的上限%(m)d行：请拆成几个文件分别导入") % {"n": count, "m": limit},
        code="too_many_rows",
        field="file",
    )


def _open_archive(data: bytes) -> zipfile.ZipFile:
    if data.startswith(_OLE_MAGIC):
        raise SheetRefused(
            _("这是旧版 .xls 文件或设置了密码的工作簿：请取消密码，并在 Excel 中“另存为”Excel 工作簿（.xlsx）"),
            code="not_xlsx",
            field="file",
        )
    if not data.startswith(b"PK\x03\x04"):
        raise SheetRefused(
            _("文件不是 Excel 工作簿（.xlsx）：请下载模板填写，或在 Excel 中“另存为”.xlsx 后上传"),
            code="not_xlsx",
            field="file",
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise SheetRefused(_("文件已损坏，无法解压：请重新保存后上传"), code="not_xlsx", field="file")
    if "xl/workbook.xml" not in names:
        raise SheetRefused(
            _("文件是压缩包，但不是 Excel 工作簿（.xlsx）：请在 Excel 中“另存为”.xlsx 后上传"),
            code="not_xlsx",
            field="file",
        )
    if unpacked > int(getattr(settings, "WANGGE_IMPORT_MAX_UNPACKED_BYTES", 600 * 1024 * 1024)):
        raise SheetRefused(_("文件解压后过大：请拆成几个文件分别导入"), code="too_large", field="file")
    return archive


def _open_workbook(data: bytes):
    try:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        raise SheetRefused(_("工作簿设置了密码：请取消密码后上传"), code="not_xlsx", field="file")
    except (python_calamine.CalamineError, python_calamine.ZipError, python_calamine.XmlError, ValueError) as exc:
        raise SheetRefused(
            _("文件无法作为 Excel 工作簿读取（%(e)s）：请在 Excel 中“另存为”.xlsx 后上传") % {"e": str(exc)[:200]},
            code="not_xlsx",
            field="file",
        )


def _pick_sheet(workbook, spec: LedgerSpec) -> str:
    """The sheet named like the ledger (实有人口), else the first visible worksheet."""
    sheets = [
        meta
        for meta in workbook.sheets_metadata
        if meta.typ == python_calamine.SheetTypeEnum.WorkSheet
        and meta.visible == python_calamine.SheetVisibleEnum.Visible
    ]
    if not sheets:
        raise SheetRefused(_("工作簿中没有可见的工作表"), code="empty_sheet", field="file")
    for meta in sheets:
        if meta.name.strip() == spec.title:
            return meta.name
    return sheets[0].name


def _sheet_path(archive: zipfile.ZipFile, name: str) -> str | None:
    """The XML part holding the named sheet, from the workbook's relationships."""
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    rel_id = None
    for sheet in workbook.iter(f"{_NS_MAIN}sheet"):
        if sheet.get("name") == name:
            rel_id = sheet.get(f"{_NS_REL}id")
    for rel in rels.iter(f"{_NS_PKG_REL}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else "xl/" + target
            return path if path in archive.namelist() else None
    return None


def _refuse_formulas(xml: bytes) -> None:
    """Formulas are refused: a cached result can be stale or missing, and the ledger must hold
    what a person typed. The message names the first few cells."""
    # One substring search for the formula tag (with the document's namespace prefix, if any)
    # costs a fraction of a regex over the whole sheet; candidates such as <family> are skipped.
    root = _ROOT.search(xml, 0, 4096)
    needle = b"<" + (root.group(1) if root and root.group(1) else b"") + b"f"
    found = []
    position = xml.find(needle)
    while position >= 0 and len(found) < _MAX_LISTED:
        if xml[position + len(needle) : position + len(needle) + 1] in _TAG_END:
            start = xml.rfind(b"<c ", 0, position)
            if start < 0:
                start = xml.rfind(b":c ", 0, position)
            ref = _CELL_REF.search(xml, start, position) if start >= 0 else None
            found.append(ref.group(1).decode() if ref else "?")
        position = xml.find(needle, position + 1)
    if found:
        raise SheetRefused(
            _("表格中有公式（%(cells)s）：请复制这些单元格并“选择性粘贴为数值”后再上传") % {"cells": "、".join(found)},
            code="formulas",
            field="file",
        )


def _refuse_merged(merged) -> None:
    ranges = [f"{cell_name(*start)}:{cell_name(*end)}" for start, end in merged[:_MAX_LISTED]]
    in_header = any(start[0] == 0 for start, _end in merged)
    message = (
        _("表头有合并单元格（%(r)s）：每列只能有一个表头，请取消合并后再上传")
        if in_header
        else _("表格中有合并单元格（%(r)s）：合并后只有左上角有值，请取消合并并把每行填完整后再上传")
    )
    raise SheetRefused(message % {"r": "、".join(ranges)}, code="merged_cells", field="file")


def _header_index(spec: LedgerSpec) -> dict[str, Column]:
    index = {}
    for column in spec.columns:
        for header in (column.header, *column.aliases):
            index[normalise_header(header)] = column
    return index


def _match_headers(grid: list[list], spec: LedgerSpec) -> tuple[list[tuple[int, Column]], list[str]]:
    known = _header_index(spec)
    header_row = grid[0]
    headers = [str(cell).strip() if cell != "" else "" for cell in header_row]
    if not any(normalise_header(h) in known for h in headers):
        for index, row in enumerate(grid[1:6], start=2):
            if sum(normalise_header(cell) in known for cell in row) >= 2:
                raise SheetRefused(
                    _("表头应在第1行，第%(n)d行像是表头：请删除上面的标题行后再上传") % {"n": index},
                    code="bad_header",
                    field="file",
                )
        raise SheetRefused(
            _("第1行不是“%(t)s”的表头：应有 %(h)s 等列，请使用下载的模板")
            % {"t": spec.title, "h": "、".join(c.header for c in spec.columns[:4])},
            code="bad_header",
            field="file",
        )
    columns, unknown, seen = [], [], {}
    for position, header in enumerate(headers):
        key = normalise_header(header)
        if not key:
            if any(row[position] != "" for row in grid[1:]):
                unknown.append(_("第%(c)s列（无表头）") % {"c": cell_name(0, position)[:-1]})
            continue
        if key == ERROR_HEADER:
            continue
        column = known.get(key)
        if column is None:
            unknown.append(header)
        elif column.field in seen:
            raise SheetRefused(
                _("列“%(h)s”出现了两次（%(a)s列和%(b)s列）")
                % {"h": column.header, "a": cell_name(0, seen[column.field])[:-1], "b": cell_name(0, position)[:-1]},
                code="duplicate_columns",
                field="file",
            )
        else:
            seen[column.field] = position
            columns.append((position, column))
    if unknown:
        raise SheetRefused(
            _("无法识别的列：%(u)s。可用的列：%(k)s")
            % {"u": "、".join(unknown), "k": "、".join(c.header for c in spec.columns)},
            code="unknown_columns",
            field="file",
        )
    missing = [c.header for c in spec.columns if c.required and c.field not in seen]
    if missing:
        raise SheetRefused(_("缺少必填的列：%(m)s") % {"m": "、".join(missing)}, code="missing_columns", field="file")
    return columns, headers
