"""Workbooks the engine hands out: the template, the error report and the export (xlsxwriter)."""

import datetime
import io
from collections.abc import Iterable, Sequence

import xlsxwriter
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .reader import ERROR_HEADER, max_rows
from .spec import Column, LedgerSpec, Row

NOTES_SHEET = gettext_lazy("填写说明")


def _formats(book) -> dict:
    return {
        "header": book.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True}),
        "required": book.add_format(
            {"bold": True, "bg_color": "#FDECEA", "font_color": "#B91C1C", "border": 1, "text_wrap": True}
        ),
        "text": book.add_format({"num_format": "@"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        "error": book.add_format({"font_color": "#B91C1C", "bg_color": "#FDECEA", "text_wrap": True}),
        "title": book.add_format({"bold": True, "font_size": 14}),
    }


def _column_format(column: Column, formats: dict):
    if column.as_text:
        return formats["text"]
    if column.is_date:
        return formats["date"]
    return None


def template(spec: LedgerSpec) -> bytes:
    """The ledger's empty sheet: Chinese headers (required ones in red), a comment and an input
    message with the hint on every column, drop-down lists for choice columns, text format for
    codes and ID numbers, and a second sheet explaining every column with an example."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    formats = _formats(book)
    sheet = book.add_worksheet(spec.title)
    last_row = max_rows()
    for index, column in enumerate(spec.columns):
        sheet.set_column(index, index, column.width, _column_format(column, formats))
        sheet.write_string(0, index, column.header, formats["required" if column.required else "header"])
        hint = str(column.hint)
        note = (_("必填。") if column.required else _("选填。")) + hint
        if column.example:
            note += _("例：%(e)s") % {"e": column.example}
        sheet.write_comment(0, index, note, {"x_scale": 2.2, "y_scale": 1.6})
        validation = {"input_title": column.header[:32], "input_message": note[:255]}
        if column.choices:
            validation.update(
                {
                    "validate": "list",
                    "source": list(column.choices),
                    "error_title": column.header[:32],
                    "error_message": (_("请从下拉列表中选择：%(o)s") % {"o": "、".join(column.choices)})[:255],
                }
            )
        else:
            validation["validate"] = "any"
        sheet.data_validation(1, index, last_row, index, validation)
    sheet.freeze_panes(1, 0)
    sheet.set_row(0, 30)
    _notes_sheet(book, spec, formats)
    book.close()
    return buffer.getvalue()


def _notes_sheet(book, spec: LedgerSpec, formats: dict) -> None:
    notes = book.add_worksheet(str(NOTES_SHEET))
    notes.set_column(0, 0, 16)
    notes.set_column(1, 1, 8)
    notes.set_column(2, 2, 60, formats["wrap"])
    notes.set_column(3, 4, 24, formats["wrap"])
    notes.write_string(0, 0, _("%(t)s台账填写说明") % {"t": spec.title}, formats["title"])
    line = 1
    general = [
        str(spec.description),
        _("在第一个工作表“%(t)s”中从第2行起每行填写一条记录；不要改动、合并或移动第1行的表头。") % {"t": spec.title},
        _("红色表头为必填列；选填列可以删去整列，留空的选填单元格不会清除系统中已有的值。"),
        _("不要使用公式和合并单元格；身份证号、编码、手机号等列请保持文本格式。"),
        _("一次最多导入%(n)d行。上传后系统先逐格校验并显示预览，确认后才会写入，且要么全部写入，要么全部不写入。")
        % {"n": max_rows()},
        _("如有错误，可下载“错误报告”：它是您上传的表格加上最后一列“%(e)s”，改正后可直接重新上传。")
        % {"e": ERROR_HEADER},
        *(str(n) for n in spec.notes),
    ]
    for text in general:
        if text:
            notes.merge_range(line, 0, line, 4, text, formats["wrap"])
            notes.set_row(line, 32)
            line += 1
    line += 1
    for index, title in enumerate((_("列名"), _("必填"), _("填写要求"), _("示例"), _("可选值"))):
        notes.write_string(line, index, title, formats["header"])
    for column in spec.columns:
        line += 1
        notes.write_string(line, 0, column.header)
        notes.write_string(line, 1, _("是") if column.required else _("否"))
        notes.write_string(line, 2, str(column.hint))
        notes.write_string(line, 3, column.example)
        notes.write_string(line, 4, "、".join(column.choices))


def _write_cell(sheet, row: int, col: int, value, formats: dict) -> None:
    if value is None or value == "":
        return
    if isinstance(value, datetime.datetime):
        sheet.write_datetime(row, col, value, formats["date"])
    elif isinstance(value, datetime.date):
        sheet.write_datetime(row, col, value, formats["date"])
    elif isinstance(value, str):
        sheet.write_string(row, col, value)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value)
    else:
        sheet.write_string(row, col, str(value))


def error_report(title: str, headers: list[str], rows: list[Row]) -> bytes:
    """The uploaded rows as they were, in the same order, plus a last column naming each error's
    column and reason. A corrected report can be uploaded again as it is (the column is ignored)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True})
    formats = _formats(book)
    sheet = book.add_worksheet(title[:31])
    keep = [index for index, header in enumerate(headers) if header != ERROR_HEADER]
    for out, index in enumerate(keep):
        sheet.set_column(out, out, 14, formats["text"])
        sheet.write_string(0, out, headers[index], formats["header"])
    error_col = len(keep)
    sheet.set_column(error_col, error_col, 60)
    sheet.write_string(0, error_col, ERROR_HEADER, formats["required"])
    sheet.freeze_panes(1, 0)
    write = _write_cell
    for row in rows:
        line = row.number - 1
        cells = row.cells
        for out, index in enumerate(keep):
            write(sheet, line, out, cells[index], formats)
        if row.errors:
            sheet.write_string(
                line, error_col, "；".join(f"{header}：{message}" for header, message in row.errors), formats["error"]
            )
    sheet.autofilter(0, 0, max(rows[-1].number - 1, 1) if rows else 1, error_col)
    book.close()
    return buffer.getvalue()


def export(spec: LedgerSpec, rows: Iterable[Sequence], info: list[tuple[str, str]]) -> bytes:
    """The ledger in the template's layout, so an unmasked export can be edited and imported back."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True})
    formats = _formats(book)
    sheet = book.add_worksheet(spec.title)
    kinds = []
    for index, column in enumerate(spec.columns):
        sheet.set_column(index, index, column.width, _column_format(column, formats))
        sheet.write_string(0, index, column.header, formats["header"])
        kinds.append(column.is_date)
    sheet.freeze_panes(1, 0)
    line = 0
    date_format = formats["date"]
    for line, values in enumerate(rows, start=1):
        for index, value in enumerate(values):
            if value is None or value == "":
                continue
            if kinds[index]:
                sheet.write_datetime(line, index, value, date_format)
            elif isinstance(value, str):
                sheet.write_string(line, index, value)
            else:
                sheet.write_number(line, index, value)
    about = book.add_worksheet(_("导出信息"))
    about.set_column(0, 0, 16)
    about.set_column(1, 1, 60)
    for index, (label, value) in enumerate(info):
        about.write_string(index, 0, label, formats["header"])
        about.write_string(index, 1, value)
    book.close()
    return buffer.getvalue()
