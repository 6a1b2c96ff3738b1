"""Reading a holiday calendar from .csv or .xlsx: every row is checked and every bad row is
reported with its reasons; nothing here writes (services.import_calendar does, all or nothing).

One row per day, columns (in any order, more are ignored; English names accepted too):
日期/date, 类型/type (放假 or 上班), 名称/name.
"""

import csv
import datetime
import io
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from wangge.core.errors import DomainError
from wangge.regions.divisions import decode_upload

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_NAME_LENGTH = 50
FIRST_YEAR, LAST_YEAR = 1990, 2100

HEADERS = {
    "date": ("日期", "date"),
    "kind": ("类型", "type", "kind", "is_working"),
    "name": ("名称", "name"),
}
OFF_WORDS = frozenset({"放假", "休", "休息", "假", "节假日", "holiday", "off", "false", "0", "否", "no"})
ON_WORDS = frozenset({"上班", "班", "调休上班", "补班", "workday", "work", "working", "true", "1", "是", "yes"})

_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class DayRow:
    line: int
    date: datetime.date
    is_working: bool
    name: str


def _is_xlsx(data: bytes, filename: str) -> bool:
    # A ZIP (xlsx) or an OLE compound file (old .xls) by content; the name only breaks ties.
    return (
        data[:4] == b"PK\x03\x04"
        or data[:8] == bytes.fromhex("d0cf11e0a1b11ae1")
        or filename.lower().endswith((".xlsx", ".xls"))
    )


def read_table(data: bytes, filename: str = "") -> list[tuple[int, list]]:
    """(line number, cells) for each row of the first sheet, or of the CSV."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise DomainError(
            _("文件过大（%(kb)d KB），上限 %(max)d KB") % {"kb": len(data) // 1024, "max": MAX_UPLOAD_BYTES // 1024},
            code="too_large",
            field="file",
        )
    if not data.strip():
        raise DomainError(_("文件是空的"), code="empty_file", field="file")
    if _is_xlsx(data, filename):
        return _read_excel(data)
    text = decode_upload(data)
    try:
        return [(number, row) for number, row in enumerate(csv.reader(io.StringIO(text)), start=1)]
    except csv.Error as error:
        raise DomainError(_("CSV 无法读取：%(e)s") % {"e": error}, code="bad_csv", field="file") from None


def _read_excel(data: bytes) -> list[tuple[int, list]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception:  # calamine raises several types for damaged or non-Excel files
        raise DomainError(
            _("Excel 文件无法读取：请确认是 .xlsx 文件且没有加密或损坏"), code="bad_excel", field="file"
        ) from None
    return [(number, list(row)) for number, row in enumerate(rows, start=1)]


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _header_map(cells: list) -> dict[str, int]:
    found = {}
    for position, cell in enumerate(cells):
        label = _text(cell).lstrip("\ufeff").strip().lower()
        for column, names in HEADERS.items():
            if label in names and column not in found:
                found[column] = position
    return found


def parse_date(cell) -> tuple[datetime.date | None, str]:
    """The date in a cell, or None and the reason."""
    if isinstance(cell, datetime.datetime):
        value = cell.date()
    elif isinstance(cell, datetime.date):
        value = cell
    else:
        text = _text(cell)
        if not text:
            return None, _("日期：不能为空")
        match = _DATE.match(text) or _COMPACT_DATE.match(text)
        if not match:
            return None, _("日期：无法识别“%(v)s”，请写成 2026-10-01") % {"v": text[:30]}
        try:
            value = datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            return None, _("日期：“%(v)s”这一天不存在") % {"v": text[:30]}
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        return None, _("日期：年份应在%(a)d至%(b)d之间") % {"a": FIRST_YEAR, "b": LAST_YEAR}
    return value, ""


def parse_kind(cell) -> tuple[bool | None, str]:
    """放假 → False, 上班 → True, or None and the reason."""
    if isinstance(cell, bool):
        return cell, ""
    text = _text(cell).lower()
    if text in OFF_WORDS:
        return False, ""
    if text in ON_WORDS:
        return True, ""
    if not text:
        return None, _("类型：不能为空，应为“放假”或“上班”")
    return None, _("类型：无法识别“%(v)s”，应为“放假”或“上班”") % {"v": text[:30]}


def check_name(name: str) -> str:
    if not name:
        return _("名称：不能为空，例如“国庆节”")
    if len(name) > MAX_NAME_LENGTH or _CONTROL.search(name):
        return _("名称：不能超过%(n)d个字符，也不能含控制字符") % {"n": MAX_NAME_LENGTH}
    return ""


def makeup_on_weekday_reason(day: datetime.date) -> str:
    weekdays = [_("星期一"), _("星期二"), _("星期三"), _("星期四"), _("星期五")]
    return _("类型：%(d)s 是%(w)s，本来就上班；只有周六、周日可以登记为调休上班") % {
        "d": day.isoformat(),
        "w": weekdays[day.weekday()],
    }


def parse_days(table: list[tuple[int, list]]) -> tuple[list[DayRow], list[dict]]:
    """Rows that are right, and one error entry {line, code, reasons} per row that is not."""
    rows_with_cells = [(line, cells) for line, cells in table if any(_text(cell) for cell in cells)]
    if not rows_with_cells:
        raise DomainError(_("文件中没有数据行"), code="empty_file", field="file")
    header_line, header = rows_with_cells[0]
    columns = _header_map(header)
    missing = [HEADERS[c][0] for c in HEADERS if c not in columns]
    if missing:
        raise DomainError(
            _("第%(line)d行表头缺少列：%(cols)s（需要 日期、类型、名称）")
            % {"line": header_line, "cols": "、".join(missing)},
            code="missing_columns",
            field="file",
        )
    body = rows_with_cells[1:]
    if not body:
        raise DomainError(_("文件中没有数据行"), code="empty_file", field="file")
    if len(body) > MAX_ROWS:
        raise DomainError(
            _("文件有%(n)d行，上限%(max)d行") % {"n": len(body), "max": MAX_ROWS}, code="too_many_rows", field="file"
        )

    def cell(cells: list, column: str):
        position = columns[column]
        return cells[position] if position < len(cells) else None

    rows, errors, seen = [], [], {}
    for line, cells in body:
        raw_date = cell(cells, "date")
        day, date_reason = parse_date(raw_date)
        is_working, kind_reason = parse_kind(cell(cells, "kind"))
        name = _text(cell(cells, "name"))
        reasons = [reason for reason in (date_reason, kind_reason, check_name(name)) if reason]
        if day is not None:
            if day in seen:
                reasons.append(_("日期：%(d)s 与第%(line)d行重复") % {"d": day.isoformat(), "line": seen[day]})
            else:
                seen[day] = line
            if is_working and day.weekday() < 5:
                reasons.append(makeup_on_weekday_reason(day))
        if reasons:
            code = day.isoformat() if day is not None else _text(raw_date)[:20]
            errors.append({"line": line, "code": code, "reasons": reasons})
        else:
            rows.append(DayRow(line, day, is_working, name))
    return rows, errors
