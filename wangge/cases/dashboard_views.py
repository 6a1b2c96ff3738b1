"""Pages of the indicator dashboard and the hot spots, with .xlsx exports of every table. Each view
parses the query string, calls `indicators` / `hotspots`, and renders; scope checks live there."""

import io

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from wangge.core.errors import DomainError, NotFound

from . import hotspots as hotspot_module
from . import indicators
from .indicators import COUNT_LABELS, PRESETS, RATES

EXPORT_TABLES = ("children", "departments", "trend", "categories", "hotspots")


def _period(request) -> indicators.Period:
    return indicators.period_from(
        preset=request.GET.get("preset", ""), start=request.GET.get("from", ""), end=request.GET.get("to", "")
    )


def _step(request) -> str:
    step = request.GET.get("step", "week")
    if step not in ("week", "month"):
        raise DomainError(_("趋势粒度应为 week 或 month"), field="step")
    return step


def _percent(value) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _chosen_rate(request) -> str:
    chosen = request.GET.get("rate", "close_rate")
    return chosen if chosen in indicators.RATE_KEYS else "close_rate"


@login_required
def dashboard(request):
    problem = None
    try:
        period = _period(request)
        step = _step(request)
    except DomainError as error:
        # A period that does not parse is said beside the filter, which stays as typed; the page
        # shows the default period meanwhile instead of an error page without the form.
        problem, period, step = error.message, indicators.period_from(preset="", start="", end=""), "week"
    data = indicators.dashboard(user=request.user, region_code=request.GET.get("region", ""), period=period, step=step)
    chosen = _chosen_rate(request)
    rate_labels = {key: str(label) for key, label, _n, _d in RATES}
    charts = {
        "rate": chosen,
        "rate_label": rate_labels[chosen],
        "children": [{"name": r["name"], "value": r[chosen]} for r in data["children"]],
        "trend": [
            {"label": r["label"], "filed": r["filed"], "closed": r["closed"], "value": r[chosen]} for r in data["trend"]
        ],
        "categories": [{"name": r["name"], "value": r["reported"]} for r in data["categories"]],
        "labels": {"filed": str(COUNT_LABELS["filed"]), "closed": str(COUNT_LABELS["closed"]), "cases": _("案件数")},
    }
    # The cells of each table row, formatted here: a year's weekly trend is hundreds of cells, and a
    # template filter call per cell cost more than the queries.
    for table in ("children", "departments", "trend"):
        for row in data[table]:
            row["cells"] = [row[key] for key in COUNT_LABELS] + [_percent(row[key]) for key, *_rest in RATES]
    query = request.GET.copy()
    query.pop("region", None)
    return render(
        request,
        "dashboard/dashboard.html",
        {
            **data,
            "step": step,
            "rates": RATES,
            "rate_labels": rate_labels,
            "chosen": chosen,
            "presets": PRESETS.items(),
            "preset": request.GET.get("preset", "") if not (request.GET.get("from") or request.GET.get("to")) else "",
            "crumbs": indicators.breadcrumbs(user=request.user, region=data["region"]),
            "keep": query.urlencode(),
            "export_query": request.GET.urlencode(),
            "charts_json": charts,
            "count_labels": COUNT_LABELS,
            "problem": problem,
        },
        status=400 if problem else 200,
    )


def _indicator_columns(first: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    columns = [(key, label, "text") for key, label in first]
    columns += [(key, str(label), "int") for key, label in COUNT_LABELS.items()]
    columns += [(key, str(label), "rate") for key, label, _n, _d in RATES]
    return columns


def _xlsx(title: str, columns: list[tuple[str, str, str]], rows: list[dict], note: str) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True})
    percent = book.add_format({"num_format": "0.0%"})
    sheet.write(0, 0, note)
    for col, (_key, label, _kind) in enumerate(columns):
        sheet.write(1, col, label, bold)
        sheet.set_column(col, col, 14 if col else 22)
    for line, row in enumerate(rows, start=2):
        for col, (key, _label, kind) in enumerate(columns):
            value = row.get(key)
            if kind == "rate":
                if value is None:
                    sheet.write_blank(line, col, None)
                else:
                    sheet.write_number(line, col, value / 100.0, percent)
            elif kind == "int":
                sheet.write_number(line, col, value or 0)
            else:
                sheet.write_string(line, col, "" if value is None else str(value))
    book.close()
    return buffer.getvalue()


@login_required
def export(request, table: str):
    if table not in EXPORT_TABLES:
        raise NotFound(_("没有这个表格"))
    region_code = request.GET.get("region", "")
    if table == "hotspots":
        spots = hotspot_module.hotspot_list(user=request.user, region_code=region_code, by=request.GET.get("by", ""))
        rows = [
            {
                "category": s.category_name,
                "count": s.count,
                "lat": f"{s.lat:.6f}",
                "lng": f"{s.lng:.6f}",
                "first": s.first_reported_at.isoformat(timespec="minutes"),
                "last": s.last_reported_at.isoformat(timespec="minutes"),
                "numbers": "、".join(s.numbers),
            }
            for s in spots
        ]
        columns = [
            ("category", _("事项类别"), "text"),
            ("count", _("案件数"), "int"),
            ("lat", _("纬度"), "text"),
            ("lng", _("经度"), "text"),
            ("first", _("最早上报"), "text"),
            ("last", _("最近上报"), "text"),
            ("numbers", _("案件编号"), "text"),
        ]
        k, radius, days = hotspot_module.hotspot_settings()
        note = _("热点：%(days)s天内同类案件%(k)s件以上，半径%(r)s米") % {"days": days, "k": k, "r": int(radius)}
        content = _xlsx(_("热点"), columns, rows, note)
    else:
        period = _period(request)
        scope = indicators.indicator_scope(user=request.user, region_code=region_code)
        note = f"{scope.region.name}  {period.start.isoformat()} ~ {period.end.isoformat()}"
        if scope.department is not None:
            note += f"  {scope.department.name}"
        if table == "children":
            rows = indicators.children_rows(scope=scope, period=period)
            columns = _indicator_columns([("code", _("区划代码")), ("name", _("区域"))])
        elif table == "departments":
            rows = indicators.department_rows(scope=scope, period=period)
            columns = _indicator_columns([("code", _("部门编码")), ("name", _("主办部门"))])
        elif table == "trend":
            rows = indicators.trend_rows(scope=scope, period=period, step=_step(request))
            columns = _indicator_columns([("label", _("周期"))])
        else:
            rows = indicators.category_rows(scope=scope, period=period)
            columns = [
                ("code", _("编码"), "text"),
                ("name", _("事项大类"), "text"),
                ("reported", _("上报数"), "int"),
                ("closed", _("结案数"), "int"),
            ]
        content = _xlsx(_("考核指标"), columns, rows, note)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="wangge-{table}.xlsx"'
    return response


@login_required
def hotspot_page(request):
    region_code = request.GET.get("region", "")
    by = request.GET.get("by", "") or hotspot_module.BY_CATEGORY
    spots = hotspot_module.hotspot_list(user=request.user, region_code=region_code, by=by)
    k, radius, days = hotspot_module.hotspot_settings()
    points = [
        {"lat": s.lat, "lng": s.lng, "count": s.count, "category": s.category_name, "numbers": s.numbers[:20]}
        for s in spots
    ]
    return render(
        request,
        "dashboard/hotspots.html",
        {
            "spots": spots,
            "k": k,
            "radius": int(radius),
            "days": days,
            "points_json": points,
            "radius_m": radius,
            "by": by,
            "similarity": hotspot_module.hotspot_similarity(),
            "region_code": region_code,
            "export_url": reverse("dashboard:export", args=["hotspots"])
            + ("?" + request.GET.urlencode() if request.GET else ""),
        },
    )
