"""Indicators and hot spots over HTTP: the same figures as the dashboard pages, for the user's scope."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from . import hotspots, indicators

router = Router(tags=["indicators"])


class IndicatorRowOut(Schema):
    code: str = ""
    name: str = ""
    label: str = ""
    reported: int
    filed: int
    responded: int
    dispatched: int
    dispatched_on_time: int
    dispatched_accurately: int
    closed: int
    closed_on_time: int
    ever_closed: int
    reopened: int
    rated: int
    solved: int
    satisfied: int
    found: int
    rectified: int
    response_rate: float | None
    solve_rate: float | None
    satisfaction_rate: float | None
    closed_on_time_rate: float | None
    close_rate: float | None
    rework_rate: float | None
    dispatch_on_time_rate: float | None
    dispatch_accuracy_rate: float | None
    rectify_rate: float | None


class CategoryCountOut(Schema):
    code: str
    name: str
    reported: int
    closed: int


class IndicatorsOut(Schema):
    region_code: str
    region_name: str
    department: str | None
    period_from: str
    period_to: str
    totals: IndicatorRowOut
    children: list[IndicatorRowOut]
    departments: list[IndicatorRowOut]
    trend: list[IndicatorRowOut]
    categories: list[CategoryCountOut]


class HotSpotOut(Schema):
    category: str
    count: int
    lat: float
    lng: float
    region_key: str
    numbers: list[str]
    first_reported_at: datetime
    last_reported_at: datetime
    text: str = ""  # the centre case's message, when grouped by text


@router.get("/indicators", response=IndicatorsOut)
def get_indicators(
    request: HttpRequest, region: str = "", preset: str = "", date_from: str = "", date_to: str = "", step: str = "week"
):
    """Indicators of a region (default: the caller's scope) for a period: `preset` (this_month,
    last_month, this_year) or `date_from`/`date_to` (YYYY-MM-DD); trend by `step` (week, month)."""
    period = indicators.period_from(preset=preset, start=date_from, end=date_to)
    data = indicators.dashboard(user=request.user, region_code=region, period=period, step=step)
    department = data["scope"].department
    return {
        "region_code": data["region"].code,
        "region_name": data["region"].name,
        "department": department.code if department else None,
        "period_from": period.start.isoformat(),
        "period_to": period.end.isoformat(),
        "totals": data["totals"],
        "children": data["children"],
        "departments": data["departments"],
        "trend": data["trend"],
        "categories": data["categories"],
    }


@router.get("/hotspots", response=list[HotSpotOut])
def get_hotspots(request: HttpRequest, region: str = "", by: str = "category"):
    """Hot spots in the caller's scope: WANGGE_HOTSPOT_K cases of one category (`by=text`: with
    messages at least WANGGE_HOTSPOT_SIMILARITY alike, any category) within
    WANGGE_HOTSPOT_RADIUS_M metres, open and reported in the last WANGGE_HOTSPOT_DAYS days."""
    return [
        {
            "category": s.category_name,
            "count": s.count,
            "lat": s.lat,
            "lng": s.lng,
            "region_key": s.region_key,
            "numbers": s.numbers,
            "first_reported_at": s.first_reported_at,
            "last_reported_at": s.last_reported_at,
            "text": s.text,
        }
        for s in hotspots.hotspot_list(user=request.user, region_code=region, by=by)
    ]
