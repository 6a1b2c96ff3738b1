"""Case indicators (DOMAIN §4, defined in docs/indicators.md) for a region or a department and a period.

Every figure is counted over one cohort: the cases *reported* in the period (from 00:00 of the first
day to 24:00 of the last, local time), in the chosen region's subtree, never merged duplicates. Each
table is one grouped aggregate query (children of a region, departments, weeks or months,
categories); rates are computed from the counts afterwards.

Who may look: leaders, dispatchers and administrators see their region subtree; a department handler
sees the cases their department leads (in the department's region). Anyone else gets Forbidden, and a
region outside the user's scope is "not found", like a missing one.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wangge.accounts.roles import VIEW_INDICATORS, Role, require
from wangge.core.errors import DomainError, NotFound
from wangge.core.scope import scope_key_of
from wangge.regions.models import KEY_LENGTH, Department, Level, Region

from . import summary
from .models import Case, Category, IndicatorSummary, Rating, Span, Status
from .summary import FOUND_CHANNELS, dispatch_hours, response_hours  # defined beside the counts

# ---- the counts -------------------------------------------------------------------------------


def count_expressions() -> dict:
    """Named conditional counts, each one SQL aggregate over the cohort."""
    filed = ~Q(status__in=[Status.REPORTED, Status.REJECTED, Status.MERGED, Status.TRANSFERRED])
    dispatched = Q(first_dispatched_at__isnull=False)
    closed = Q(closed_at__isnull=False)
    respond = timedelta(hours=response_hours())
    responded = Q(first_dispatched_at__lte=F("reported_at") + respond) | Q(
        first_dispatched_at__isnull=True, closed_at__lte=F("reported_at") + respond
    )
    rated = ~Q(rating="")
    found = filed & Q(channel__in=FOUND_CHANNELS)
    return {
        "reported": Count("pk"),
        "filed": Count("pk", filter=filed),
        "responded": Count("pk", filter=filed & responded),
        "dispatched": Count("pk", filter=dispatched),
        "dispatched_on_time": Count(
            "pk", filter=Q(first_dispatched_at__lte=F("reported_at") + timedelta(hours=dispatch_hours()))
        ),
        "dispatched_accurately": Count("pk", filter=dispatched & Q(return_count=0)),
        "closed": Count("pk", filter=filed & closed),
        "closed_on_time": Count("pk", filter=dispatched & closed & Q(breach_count=0)),
        "ever_closed": Count("pk", filter=filed & (closed | Q(reopen_count__gt=0))),
        "reopened": Count("pk", filter=Q(reopen_count__gt=0)),
        "rated": Count("pk", filter=rated),
        "solved": Count("pk", filter=Q(rating__in=[Rating.SATISFIED, Rating.FAIRLY])),
        "satisfied": Count("pk", filter=Q(rating=Rating.SATISFIED)),
        "found": Count("pk", filter=found),
        "rectified": Count("pk", filter=found & closed),
    }


COUNT_NAMES = tuple(count_expressions())

# (key, label, numerator, denominator) — the order of the tables' columns.
RATES = (
    ("response_rate", _("响应率"), "responded", "filed"),
    ("solve_rate", _("解决率"), "solved", "rated"),
    ("satisfaction_rate", _("满意率"), "satisfied", "rated"),
    ("closed_on_time_rate", _("按期结案率"), "closed_on_time", "dispatched"),
    ("close_rate", _("结案率"), "closed", "filed"),
    ("rework_rate", _("返工率"), "reopened", "ever_closed"),
    ("dispatch_on_time_rate", _("按时派遣率"), "dispatched_on_time", "dispatched"),
    ("dispatch_accuracy_rate", _("准确派遣率"), "dispatched_accurately", "dispatched"),
    ("rectify_rate", _("问题整改率"), "rectified", "found"),
)
RATE_KEYS = tuple(r[0] for r in RATES)
COUNT_LABELS = {
    "reported": _("上报数"),
    "filed": _("立案数"),
    "dispatched": _("派遣数"),
    "closed": _("结案数"),
    "rated": _("参评数"),
    "found": _("发现问题"),
    "rectified": _("已整改"),
}


def rate(numerator: int, denominator: int) -> float | None:
    """Percent with one decimal; None when nothing was there to count."""
    return round(100.0 * numerator / denominator, 1) if denominator else None


def with_rates(counts: dict) -> dict:
    row = {name: counts.get(name) or 0 for name in COUNT_NAMES}
    for key, _label, numerator, denominator in RATES:
        row[key] = rate(row[numerator], row[denominator])
    return row


# ---- period -----------------------------------------------------------------------------------

PRESETS = {"this_month": _("本月"), "last_month": _("上月"), "this_year": _("本年")}


@dataclass(frozen=True)
class Period:
    start: date  # first day, inclusive
    end: date  # last day, inclusive

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )


def period_from(*, preset: str = "", start=None, end=None, today: date | None = None) -> Period:
    """A period from a preset (this_month, last_month, this_year) or from/to dates (YYYY-MM-DD);
    this month when nothing is given."""
    today = today or timezone.localdate()
    if start or end:
        first = _date(start, "from") if start else today.replace(day=1)
        last = _date(end, "to") if end else today
        if last < first:
            raise DomainError(gettext("结束日期不能早于开始日期"), field="to")
        if (last - first).days > 3660:
            raise DomainError(gettext("统计期不能超过十年"), field="from")
        return Period(first, last)
    preset = preset or "this_month"
    if preset == "this_month":
        return Period(today.replace(day=1), today)
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return Period(last.replace(day=1), last)
    if preset == "this_year":
        return Period(today.replace(month=1, day=1), today)
    raise DomainError(
        gettext("未知统计期：%(preset)s，可用 this_month、last_month、this_year") % {"preset": preset}, field="preset"
    )


def _date(value, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        parsed = parse_date(str(value).strip())
    except ValueError:
        parsed = None
    if parsed is None or not (2000 <= parsed.year <= 2100):
        raise DomainError(gettext("日期格式应为 YYYY-MM-DD：%(value)s") % {"value": value}, field=field)
    return parsed


# ---- scope --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    region: Region  # the region whose table is shown
    department: Department | None  # set for department users: only cases it leads count


def indicator_scope(*, user, region_code: str = "") -> Scope:
    """The region the user asked for (their own scope's region by default), checked against their
    scope. Department handlers are held to their department."""
    require(user, VIEW_INDICATORS)
    key = scope_key_of(user)
    if key is None:
        raise NotFound(gettext("您的账号没有管辖范围"))
    department = None
    if user.role == Role.DEPARTMENT_HANDLER:
        department = user.scope_department
        if department is None:  # held to a department they do not have: nothing to count
            raise NotFound(gettext("您的账号没有所属部门"))
    if region_code:
        region = Region.objects.filter(code=str(region_code).strip(), key__startswith=key).first()
    else:
        region = Region.objects.filter(key=key).first()
    if region is None:
        raise NotFound(gettext("区域不存在，或不在您的管辖范围内"))
    return Scope(region=region, department=department)


def cohort(*, scope: Scope, period: Period) -> QuerySet:
    """The cases counted: reported in the period, in the region's subtree, not merged away. The
    dashboard reads the summary instead; this and `count_expressions` are the direct computation
    the summary is checked against."""
    start, end = period.bounds
    cases = Case.objects.filter(region_key__startswith=scope.region.key, reported_at__gte=start, reported_at__lt=end)
    cases = cases.exclude(status=Status.MERGED)
    if scope.department is not None:
        cases = cases.filter(lead_department_id=scope.department.pk)
    return cases.order_by()


# ---- reading the summary --------------------------------------------------------------------------


def _next(span: str, start: date) -> date:
    unit = summary.UNIT[span]
    if unit == "day":
        return start + timedelta(days=1)
    return start + timedelta(days=7) if unit == "week" else (start + timedelta(days=32)).replace(day=1)


def _first_start(span: str, day: date) -> date:
    """The first day, week (Monday) or month that starts on or after `day`."""
    unit = summary.UNIT[span]
    if unit == "week":
        return day + timedelta(days=(7 - day.weekday()) % 7)
    return day if unit == "day" or day.day == 1 else _next(span, day)


def _cover(first: date, last: date, units: list[str]) -> Q:
    """Summary rows that make up the days first..last: whole units of the first kind (months, say),
    and the days left over at either end covered the same way by the next kinds, down to days (the
    last kind is always a day span, which covers whatever is left)."""
    if first > last:
        return Q(pk__in=[])
    unit, finer = units[0], units[1:]
    start = _first_start(unit, first)
    full = None
    while _next(unit, start) <= last + timedelta(days=1):
        full = start
        start = _next(unit, start)
    if full is None:
        return _cover(first, last, finer)
    begin = _first_start(unit, first)
    rows = Q(span=unit, start__gte=begin, start__lte=full)
    if first < begin:
        rows |= _cover(first, begin - timedelta(days=1), finer)
    if _next(unit, full) <= last:
        rows |= _cover(_next(unit, full), last, finer)
    return rows


# The spans each kind of table may read, coarsest first; `summary_rows` drops those that keep too
# little of the place. Day rows of the case's own grain (Span.DAY) close every list: they answer all.
COUNTS_UNITS = (Span.MONTH, Span.WEEK, Span.STREET_DAY, Span.DAY)
WEEKLY_UNITS = (Span.WEEK, Span.STREET_DAY, Span.DAY)
# A monthly trend takes no week rows: a week can straddle two months.
MONTHLY_UNITS = (Span.MONTH, Span.STREET_DAY, Span.DAY)
CATEGORY_UNITS = (Span.CATEGORY_MONTH, Span.CATEGORY_WEEK, Span.CATEGORY_DAY, Span.DAY)


def summary_rows(*, scope: Scope, period: Period, units=COUNTS_UNITS, places: int = 0) -> QuerySet:
    """Summary rows of the cohort. A coarse span serves only where it keeps enough of the place for
    both the region and the grouping (`places`, a key length); day rows serve everywhere."""
    key = scope.region.key
    finest = max(len(key), places)
    units = [unit for unit in units if summary.GRAIN[unit] >= finest and unit != Span.DAY] + [Span.DAY]
    rows = IndicatorSummary.objects.filter(_cover(period.start, period.end, units))
    if len(key) >= KEY_LENGTH[Level.STREET]:
        # A street, a community or a grid: a range on the place, which the place index serves (by
        # date instead, a street's leftover days would read the day rows of the whole city).
        rows = rows.filter(region_key__gte=key, region_key__lt=key[:-1] + chr(ord(key[-1]) + 1))
    else:
        # A district or wider holds much of the table: read by date (the key's index) and test the
        # place row by row. LIKE keeps SQLite's planner, which has no range statistics, from
        # choosing the place index and reading every day row of the whole city.
        rows = rows.filter(region_key__startswith=key)
    if scope.department is not None:
        rows = rows.filter(department_id=scope.department.pk)
    return rows.order_by()


def _sums() -> dict:
    return {name: Sum(name) for name in COUNT_NAMES}


# ---- tables -------------------------------------------------------------------------------------


def totals(*, scope: Scope, period: Period) -> dict:
    """One row for the whole region (one query)."""
    return with_rates(summary_rows(scope=scope, period=period).aggregate(**_sums()))


def child_level(region: Region) -> int | None:
    return region.level + 1 if region.level < Level.GRID else None


def children_rows(*, scope: Scope, period: Period) -> list[dict]:
    """One row per child region (district, street, community or grid), in code order, with all
    indicators; cases filed directly on the region itself (not in any child) come last as one row.
    One grouped query plus the list of children."""
    region = scope.region
    level = child_level(region)
    if level is None:
        return []
    length = KEY_LENGTH[level]
    children = list(Region.objects.filter(parent=region).order_by("code").only("code", "key", "name", "level"))
    grouped = (
        summary_rows(scope=scope, period=period, places=length)
        .annotate(child_key=Substr("region_key", 1, length))
        .values("child_key")
        .annotate(**_sums())
    )
    by_key = {row.pop("child_key"): row for row in grouped}
    rows = []
    for child in children:
        rows.append(
            {
                "code": child.code,
                "name": child.name,
                "level": child.level,
                "drill": True,
                **with_rates(by_key.pop(child.key, {})),
            }
        )
    by_key = {key: row for key, row in by_key.items() if row["reported"]}
    if by_key:
        rest = {name: sum(row[name] or 0 for row in by_key.values()) for name in COUNT_NAMES}
        rows.append({"code": "", "name": str(_("未落入下级区域")), "level": None, "drill": False, **with_rates(rest)})
    return rows


def department_rows(*, scope: Scope, period: Period) -> list[dict]:
    """One row per lead department (主办部门) of the cohort, by code; cases with no lead department
    (handled by the community, answered, or not dispatched yet) as one row at the end."""
    grouped = [
        row
        for row in summary_rows(scope=scope, period=period).values("department_id").annotate(**_sums())
        if row["reported"]
    ]
    departments = Department.objects.in_bulk([row["department_id"] for row in grouped if row["department_id"]])
    rows = []
    none_row = None
    for row in grouped:
        department = departments.get(row.pop("department_id"))
        if department is None:
            none_row = {"code": "", "name": str(_("无主办部门")), **with_rates(row)}
        else:
            rows.append({"code": department.code, "name": department.name, **with_rates(row)})
    rows.sort(key=lambda r: r["code"])
    if none_row:
        rows.append(none_row)
    return rows


def trend_rows(*, scope: Scope, period: Period, step: str = "week") -> list[dict]:
    """Counts and rates per week (starting Monday) or calendar month of the report date."""
    if step not in ("week", "month"):
        raise DomainError(gettext("趋势粒度应为 week 或 month"), field="step")
    units = WEEKLY_UNITS if step == "week" else MONTHLY_UNITS
    grouped = summary_rows(scope=scope, period=period, units=units).values("start").annotate(**_sums())
    buckets: dict[date, dict] = {}
    for row in grouped:
        start = row.pop("start")
        bucket = summary.week_of(start) if step == "week" else start.replace(day=1)
        into = buckets.setdefault(bucket, dict.fromkeys(COUNT_NAMES, 0))
        for name in COUNT_NAMES:
            into[name] += row[name] or 0
    return [
        {"label": day.isoformat() if step == "week" else day.strftime("%Y-%m"), **with_rates(counts)}
        for day, counts in sorted(buckets.items())
        if counts["reported"]
    ]


def category_rows(*, scope: Scope, period: Period) -> list[dict]:
    """Case counts (reported, closed) by top-level category (大类), largest first; uncategorised cases
    as one row."""
    grouped = [
        row
        for row in summary_rows(scope=scope, period=period, units=CATEGORY_UNITS)
        .values("category_id")
        .annotate(reported=Sum("reported"), closed=Sum("closed"))
        if row["reported"]
    ]
    categories = Category.objects.in_bulk([row["category_id"] for row in grouped if row["category_id"]])
    parents = Category.objects.in_bulk([c.parent_id for c in categories.values() if c.parent_id])
    totals_by_name: dict[tuple, dict] = {}
    for row in grouped:
        category = categories.get(row["category_id"])
        top = parents.get(category.parent_id, category) if category else None
        key = (top.code, top.name) if top else ("", str(_("未分类")))
        bucket = totals_by_name.setdefault(key, {"reported": 0, "closed": 0})
        bucket["reported"] += row["reported"]
        bucket["closed"] += row["closed"]
    rows = [{"code": code, "name": name, **counts} for (code, name), counts in totals_by_name.items()]
    rows.sort(key=lambda r: (-r["reported"], r["code"] == "", r["code"]))
    return rows


def breadcrumbs(*, user, region: Region) -> list[Region]:
    """The way from the user's own scope region down to `region`."""
    key = scope_key_of(user) or region.key
    ancestors = [r for r in _ancestors(region) if r.key.startswith(key)]
    return ancestors + [region]


def _ancestors(region: Region) -> list[Region]:
    keys = [region.key[:length] for level, length in sorted(KEY_LENGTH.items()) if length < len(region.key)]
    found = {r.key: r for r in Region.objects.filter(key__in=keys)}
    return [found[k] for k in keys if k in found]


def dashboard(*, user, region_code: str = "", period: Period, step: str = "week") -> dict:
    """Everything the dashboard page shows, for one region and period."""
    scope = indicator_scope(user=user, region_code=region_code)
    departments = department_rows(scope=scope, period=period)
    return {
        "scope": scope,
        "region": scope.region,
        "period": period,
        # The department rows (with "no lead department") partition the cohort, and every count is
        # additive: summing them spares one more pass over every case of the period.
        "totals": with_rates({name: sum(row[name] for row in departments) for name in COUNT_NAMES}),
        "children": children_rows(scope=scope, period=period),
        "departments": departments,
        "trend": trend_rows(scope=scope, period=period, step=step),
        "categories": category_rows(scope=scope, period=period),
    }
