"""双报告 as a workbook: one sheet per employer, one line per in-service member or unit party
organisation, with masked ID numbers as every ledger export (DOMAIN §3)."""

import io
import re

import xlsxwriter
from django.utils.translation import gettext as _

from wangge.core import audit

from .selectors import annual_report

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(name: str, used: set[str]) -> str:
    """Excel allows 31 characters and no []:*?/\\ in a sheet name, each name once."""
    base = _SHEET_FORBIDDEN.sub("_", name)[:28] or "_"
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base[:26]}_{n}"
    used.add(candidate)
    return candidate


def annual_report_xlsx(*, user, year: int) -> bytes:
    report = annual_report(user=user, year=year)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    title = book.add_format({"bold": True, "font_size": 14})
    header = book.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    headers = [
        _("姓名/组织"),
        _("类别"),
        _("身份证号（脱敏）"),
        _("所在党组织"),
        _("报到社区"),
        _("服务次数"),
        _("服务时长（小时）"),
        _("认领/参与"),
    ]
    used: set[str] = set()
    if not report:
        sheet = book.add_worksheet(_sheet_name(_("双报告"), used))
        sheet.write(0, 0, _("%(y)d年没有已确认的服务记录或认领") % {"y": year}, title)
    for employer, lines in report.items():
        sheet = book.add_worksheet(_sheet_name(employer, used))
        sheet.write(0, 0, _("%(y)d年度双报到情况报告 — %(e)s") % {"y": year, "e": employer}, title)
        for col, text in enumerate(headers):
            sheet.write_string(2, col, str(text), header)
        sheet.set_column(0, 4, 20)
        sheet.set_column(5, 7, 14)
        for row, line in enumerate(lines, start=3):
            values = [line.who, str(line.kind), line.id_masked, line.organisation, line.communities]
            for col, value in enumerate(values):
                sheet.write_string(row, col, value)
            sheet.write_number(row, 5, line.records)
            sheet.write_number(row, 6, float(line.hours))
            sheet.write_number(row, 7, line.claims)
    book.close()
    audit.record(
        actor=user,
        verb="party.report.export",
        target=None,
        target_type="party.report",
        target_id=str(year),
        target_label=_("%(y)d年双报告") % {"y": year},
        scope_key=user.scope_key or "",
        after={"employers": len(report), "lines": sum(len(v) for v in report.values())},
    )
    return buffer.getvalue()
