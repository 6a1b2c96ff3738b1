"""The indicator summary against the cases themselves: after random sequences of reports and moves
(refused ones included), every table of the dashboard read from the summary equals the same table
counted straight from the cases, for every region level, department scope and period; a rebuild
gives the very rows the moves left; the Python and SQL statements of the counts agree."""

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import Count, Q, Value
from django.db.models.functions import Substr, TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from wangge.cases import indicators, summary
from wangge.cases.models import Case, IndicatorSummary, Rating, Status
from wangge.cases.workflow import case_transition
from wangge.core.errors import DomainError

from .conftest import A1, A2, B1, photo

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 2, 20, 0, 0, tzinfo=TZ)  # a Friday; the walk crosses two month ends

# The data each move takes in the walk; refused ones (wrong category, no due date…) are fine.
MOVES = {
    Status.REPORTED: ["accept", "reject", "transfer", "merge", "answer"],
    Status.ACCEPTED: ["dispatch", "dispatch", "take", "escalate", "assign_community", "merge", "answer"],
    Status.RETURNED: ["dispatch", "escalate"],
    Status.ARBITRATION: ["rule_return"],
    Status.DISPATCHED: ["start", "start", "return", "breach"],
    Status.IN_PROGRESS: ["handle", "handle", "suspend", "breach", "note"],
    Status.SUSPENDED: ["resume"],
    Status.HANDLED: ["verify", "verify", "rework"],
    Status.VERIFIED: ["close"],
    Status.CLOSED: ["rate"],
    Status.RATED: ["reopen", "note"],
}


def _data(action, rng, c, open_cases):
    cats = [c["garbage"], c["building"], c["lamp"]]
    depts = [c["cg"], c["zj"]]
    return {
        "accept": lambda: {"category": rng.choice(cats)},
        "reject": lambda: {"text": "重复反映"},
        "transfer": lambda: {"service": "110", "reference": "JJ-1"},
        "merge": lambda: {"into": rng.choice(open_cases)} if open_cases else None,
        "answer": lambda: {"text": "已电话答复", "category": c["consult"]},
        "dispatch": lambda: {"lead": rng.choice(depts), "assisting": []},
        "take": lambda: {},
        "escalate": lambda: {},
        "assign_community": lambda: {},
        "rule_return": lambda: {"text": "由原单位办理", "assisting": []},
        "start": lambda: {},
        "return": lambda: {"text": "不属于本部门职责"},
        "breach": lambda: {},
        "handle": lambda: {"text": "已处置"},
        "suspend": lambda: {"text": "等待居民"},
        "note": lambda: {"text": "备注"},
        "resume": lambda: {},
        "verify": lambda: {"photos": [photo()]},
        "rework": lambda: {"text": "未处置到位"},
        "close": lambda: {},
        "rate": lambda: {"rating": rng.choice(list(Rating.values))},
        "reopen": lambda: {},
    }[action]()


def walk(seed, catalogue, tree, *, cases=24, moves=160):
    from wangge.cases import services

    rng = random.Random(seed)
    clock = {}
    made = []
    for _ in range(cases):
        at = START + timedelta(minutes=rng.randrange(0, 45 * 24 * 60))
        where = rng.choice([A1, A2, B1, None])
        place = {"lng": where[0], "lat": where[1]} if where else {"region_code": tree["community_a"].code}
        case = services.case_report(
            actor=None,
            text="小区门口垃圾堆积",
            channel=rng.choice(["resident", "grid", "hotline", "inspection", "visit"]),
            reporter_name="王女士",
            reporter_phone="13900000000",
            contact_preference="phone",
            category=rng.choice([None, catalogue["garbage"], catalogue["lamp"]]),
            at=at,
            **place,
        )
        made.append(case)
        clock[case.pk] = at
    for _ in range(moves):
        case = Case.objects.get(pk=rng.choice(made).pk)
        choices = MOVES.get(case.status)
        if not choices:
            continue
        action = rng.choice(choices)
        others = [c for c in made if c.pk != case.pk and Case.objects.get(pk=c.pk).is_open]
        data = _data(action, rng, catalogue, others)
        if data is None:
            continue
        # Hours pass unevenly: some dispatches come within 4 h, some after a day.
        clock[case.pk] += timedelta(minutes=rng.choice([20, 90, 300, 1500, 3000]))
        try:
            case_transition(
                case=case, action=action, actor=None, expected_version=case.version, at=clock[case.pk], **data
            )
        except DomainError:
            pass  # refused: nothing may have moved
    return made


# ---- the same tables, counted straight from the cases ----------------------------------------


def direct_totals(scope, period):
    return indicators.with_rates(
        indicators.cohort(scope=scope, period=period).aggregate(**indicators.count_expressions())
    )


def direct_children(scope, period):
    level = indicators.child_level(scope.region)
    if level is None:
        return {}
    length = indicators.KEY_LENGTH[level]
    grouped = (
        indicators.cohort(scope=scope, period=period)
        .annotate(k=Substr("region_key", 1, length))
        .values("k")
        .annotate(**indicators.count_expressions())
    )
    return {row.pop("k"): indicators.with_rates(row) for row in grouped}


def direct_departments(scope, period):
    grouped = (
        indicators.cohort(scope=scope, period=period)
        .values("lead_department")
        .annotate(**indicators.count_expressions())
    )
    return {row.pop("lead_department") or 0: indicators.with_rates(row) for row in grouped}


def direct_trend(scope, period, step):
    trunc = TruncWeek if step == "week" else TruncMonth
    grouped = (
        indicators.cohort(scope=scope, period=period)
        .annotate(b=trunc("reported_at"))
        .values("b")
        .annotate(**indicators.count_expressions())
        .order_by("b")
    )
    rows = []
    for row in grouped:
        day = row.pop("b")
        day = day.date() if isinstance(day, datetime) else day
        rows.append(
            {"label": day.isoformat() if step == "week" else day.strftime("%Y-%m"), **indicators.with_rates(row)}
        )
    return rows


def direct_categories(scope, period):
    grouped = (
        indicators.cohort(scope=scope, period=period)
        .values("category")
        .annotate(reported=Count("pk"), closed=Count("pk", filter=Q(closed_at__isnull=False)))
    )
    return {row["category"] or 0: (row["reported"], row["closed"]) for row in grouped}


PERIODS = [
    (date(2026, 2, 1), date(2026, 5, 31)),  # whole months only
    (date(2026, 2, 20), date(2026, 4, 10)),  # ragged at both ends
    (date(2026, 3, 1), date(2026, 3, 31)),  # one month
    (date(2026, 3, 2), date(2026, 3, 29)),  # whole weeks (Monday to Sunday)
    (date(2026, 3, 4), date(2026, 3, 6)),  # a few days
    (date(2026, 2, 26), date(2026, 3, 3)),  # across a month end, inside a week
    (date(2026, 2, 20), date(2026, 3, 20)),  # no whole month, a whole week across the month end
    (date(2026, 3, 15), date(2026, 3, 15)),  # one day
]


def scopes(tree, catalogue):
    regions = [
        tree["city"],
        tree["district"],
        tree["street_a"],
        tree["street_b"],
        tree["community_a"],
        tree["grids"]["510502001001001"],
    ]
    yield from (indicators.Scope(region=r, department=None) for r in regions)
    for department in (catalogue["cg"], catalogue["zj"]):
        yield from (indicators.Scope(region=r, department=department) for r in (tree["city"], tree["street_a"]))


def assert_summary_matches_cases(tree, catalogue):
    checked = 0
    for scope in scopes(tree, catalogue):
        for first, last in PERIODS:
            period = indicators.Period(first, last)
            where = f"{scope.region.name} {scope.department} {first}~{last}"
            assert indicators.totals(scope=scope, period=period) == direct_totals(scope, period), where
            expected = direct_children(scope, period)
            got = {
                r["code"]: {k: v for k, v in r.items() if k not in ("code", "name", "level", "drill")}
                for r in indicators.children_rows(scope=scope, period=period)
                if r["reported"]
            }
            codes = {r.key: r.code for r in scope.region.children.all()}
            rest = {k: v for k, v in expected.items() if k not in codes}
            want = {codes[k]: v for k, v in expected.items() if k in codes}
            if rest:
                want[""] = indicators.with_rates({n: sum(v[n] for v in rest.values()) for n in indicators.COUNT_NAMES})
            assert got == want, where
            got = {
                (r["code"]): {k: v for k, v in r.items() if k not in ("code", "name")}
                for r in indicators.department_rows(scope=scope, period=period)
            }
            codes = {d.pk: d.code for d in (catalogue["cg"], catalogue["zj"], catalogue["city_cg"])} | {0: ""}
            assert got == {codes[k]: v for k, v in direct_departments(scope, period).items()}, where
            for step in ("week", "month"):
                assert indicators.trend_rows(scope=scope, period=period, step=step) == direct_trend(
                    scope, period, step
                ), (where, step)
            got = {
                (r["code"]): (r["reported"], r["closed"]) for r in indicators.category_rows(scope=scope, period=period)
            }
            want = {}
            for category_id, counts in direct_categories(scope, period).items():
                category = catalogue_by_id(catalogue).get(category_id)
                top = category.parent if category and category.parent_id else category
                code = top.code if top else ""
                before = want.get(code, (0, 0))
                want[code] = (before[0] + counts[0], before[1] + counts[1])
            assert got == want, where
            checked += 1
    return checked


def catalogue_by_id(catalogue):
    return {c.pk: c for c in catalogue.values() if hasattr(c, "parent_id")}


summary_rows = summary.snapshot


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_summary_equals_the_cases_after_random_moves(seed, tree, catalogue, people):
    walk(seed, catalogue, tree)
    statuses = set(Case.objects.values_list("status", flat=True))
    assert len(statuses) >= 5, statuses  # the walk went somewhere
    assert assert_summary_matches_cases(tree, catalogue) == 10 * len(PERIODS)
    incremental = summary_rows()
    summary.rebuild()
    assert summary_rows() == incremental
    summary.rebuild()  # and again: nothing changes
    assert summary_rows() == incremental


def test_rebuild_repairs_a_broken_summary_and_prints_progress(tree, catalogue, people, capsys):
    walk(4, catalogue, tree, cases=8, moves=40)
    good = summary_rows()
    IndicatorSummary.objects.filter(span="m").update(reported=999)
    IndicatorSummary.objects.create(span="d", start=date(2020, 1, 1), region_key="510502001001", reported=5)
    call_command("indicators_rebuild")
    assert summary_rows() == good
    out = capsys.readouterr().out
    assert "2026-03" in out and "day rows" in out


def test_python_and_sql_counts_say_the_same(tree, catalogue, people):
    assert summary.COUNTS == indicators.COUNT_NAMES
    walk(5, catalogue, tree, cases=16, moves=100)
    expressions = indicators.count_expressions()
    for case in Case.objects.exclude(status=Status.MERGED):
        sql = Case.objects.filter(pk=case.pk).aggregate(**expressions)
        assert summary.fact(case)[1] == tuple(sql[name] for name in summary.COUNTS), case.status


def test_a_refused_move_leaves_the_summary_alone(tree, catalogue, people):
    from wangge.cases import services

    case = services.case_report(
        actor=None, text="路灯不亮", channel="grid", lng=A1[0], lat=A1[1], reporter_name="张", at=START
    )
    before = summary_rows()
    with pytest.raises(DomainError):
        case_transition(
            case=case, action="dispatch", actor=None, expected_version=case.version, lead=None, assisting=[]
        )
    assert summary_rows() == before
    case_transition(case=case, action="accept", actor=None, expected_version=case.version, category=catalogue["lamp"])
    after = summary_rows()
    assert after != before and [row[6] for row in after] == [1] * len(summary.SPANS)  # filed: one row of each span


# ---- every span on its own, and which rows each table reads --------------------------------------

TRUNC = {"day": TruncDate, "week": TruncWeek, "month": TruncMonth}


def direct_span(span):
    """The rows `span` should hold, counted straight from the cases at its grain (`summary.SPANS`)."""
    unit, grain, with_category = summary.SPANS[span]
    zone = timezone.get_current_timezone()
    grouped = (
        Case.objects.exclude(status=Status.MERGED)
        .annotate(b=TRUNC[unit]("reported_at", tzinfo=zone), p=Substr("region_key", 1, grain))
        .values_list("b", "p", "category_id" if with_category else Value(0), "lead_department_id")
        .annotate(**indicators.count_expressions())
        .order_by()
    )
    rows = {}
    for start, place, category, department, *values in grouped:
        start = start.date() if isinstance(start, datetime) else start
        rows[(span, start, place, category or 0, department or 0)] = tuple(values)
    return rows


@pytest.mark.parametrize("seed", [6, 7])
def test_every_span_holds_the_cases_counted_at_its_grain(seed, tree, catalogue, people):
    walk(seed, catalogue, tree, cases=20, moves=120)
    n = len(summary.KEY)
    held = {row[:n]: tuple(row[n:]) for row in summary_rows()}
    for span in summary.SPANS:
        assert {k: v for k, v in held.items() if k[0] == span} == direct_span(span), span
    assert {row[0] for row in held} == set(summary.SPANS)  # the walk reached every span


def spans_read(region, period, **kw):
    scope = indicators.Scope(region=region, department=None)
    return set(indicators.summary_rows(scope=scope, period=period, **kw).values_list("span", flat=True).distinct())


def test_each_table_reads_the_coarsest_rows_that_tell_its_groups_apart(tree, catalogue, people):
    from wangge.cases import services

    # Cases on days that fall in a ragged start (Thu 12 Feb), a whole week (16–22 Feb), a whole month
    # (March) and a ragged end (Wed 8 Apr) of the period Wed 11 Feb – Fri 10 Apr.
    for day in (date(2026, 2, 12), date(2026, 2, 18), date(2026, 3, 10), date(2026, 4, 8)):
        for where in (A1, B1):
            services.case_report(
                actor=None,
                text="路灯不亮",
                channel="grid",
                category=catalogue["lamp"],
                lng=where[0],
                lat=where[1],
                at=datetime.combine(day, datetime.min.time().replace(hour=10), tzinfo=TZ),
            )
    period = indicators.Period(date(2026, 2, 11), date(2026, 4, 10))
    city, district, street = tree["city"], tree["district"], tree["street_a"]
    community, grid = tree["community_a"], tree["grids"]["510502001001001"]
    m, w, d = summary.Span.MONTH, summary.Span.WEEK, summary.Span.DAY
    cm, cw = summary.Span.CATEGORY_MONTH, summary.Span.CATEGORY_WEEK
    sd, cd = summary.Span.STREET_DAY, summary.Span.CATEGORY_DAY
    children = indicators.KEY_LENGTH
    # The city and a district: totals, departments, trend and children never read the case's own day rows.
    for region in (city, district):
        assert spans_read(region, period) == {m, w, sd}
        assert spans_read(region, period, places=children[region.level + 1]) == {m, w, sd}
        assert spans_read(region, period, units=indicators.WEEKLY_UNITS) == {w, sd}
        assert spans_read(region, period, units=indicators.MONTHLY_UNITS) == {m, sd}
        assert spans_read(region, period, units=indicators.CATEGORY_UNITS) == {cm, cw, cd}
    # A street: its own figures from street rows; its communities and categories need finer days.
    assert spans_read(street, period) == {m, w, sd}
    assert spans_read(street, period, places=children[street.level + 1]) == {m, d}
    assert spans_read(street, period, units=indicators.CATEGORY_UNITS) == {cm, cw, d}
    # A community's grids and a grid itself: month rows where they keep enough, else the day rows.
    assert spans_read(community, period) == {m, d}
    assert spans_read(community, period, places=children[community.level + 1]) == {d}
    assert spans_read(grid, period) == {d}


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_a_summary_nobody_rebuilt_and_going_back_removes_the_new_rows(tree, catalogue):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    # Cases loaded past the services (no audit rows: this test's database is emptied afterwards).
    grids = list(tree["grids"].values())
    rng = random.Random(9)
    statuses = [Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.CLOSED, Status.RATED, Status.REJECTED]
    for n in range(40):
        status, grid = rng.choice(statuses), rng.choice(grids)
        reported = START + timedelta(hours=rng.randrange(0, 60 * 24))
        dispatched = status in (Status.DISPATCHED, Status.CLOSED, Status.RATED)
        Case.objects.create(
            number=f"WG-2026-{n + 1:07d}",
            text="路灯不亮",
            channel=rng.choice(["grid", "resident"]),
            category=rng.choice([None, catalogue["garbage"], catalogue["lamp"]]),
            region_key=grid.key,
            grid=grid,
            status=status,
            reported_at=reported,
            lead_department=rng.choice([catalogue["cg"], catalogue["zj"]]) if dispatched else None,
            first_dispatched_at=reported + timedelta(hours=rng.choice([1, 30])) if dispatched else None,
            closed_at=reported + timedelta(days=2) if status in (Status.CLOSED, Status.RATED) else None,
            rating=Rating.SATISFIED if status == Status.RATED else "",
        )
    summary.rebuild()
    good = summary_rows()
    assert {row[0] for row in good} == set(summary.SPANS)
    before, after = [("cases", "0004_indicator_summary_day_spans")], [("cases", "0005_indicator_summary_fill")]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        assert {row[0] for row in summary_rows()} == set(summary.SPANS) - {"s", "t"}
        IndicatorSummary.objects.all().delete()  # upgraded past the summary's arrival, never rebuilt
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
        assert summary_rows() == good
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
