"""The .xlsx files of the points pages: a statement and a ranking, as people keep them in Excel."""

import io

import xlsxwriter


def workbook(title: str, note: str, headers: list[str], rows: list[list]) -> bytes:
    """One sheet: a note line, bold headers, then the rows (numbers stay numbers)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    sheet.write_string(0, 0, note)
    for col, header in enumerate(headers):
        sheet.write_string(1, col, header, bold)
        sheet.set_column(col, col, 28 if col == 2 else 14)
    for line, row in enumerate(rows, start=2):
        for col, value in enumerate(row):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(line, col, value)
            else:
                sheet.write_string(line, col, "" if value is None else str(value))
    sheet.freeze_panes(2, 0)
    book.close()
    return buffer.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
