"""Door-knock visits (敲门行动) exported to Excel. Export only: a visit is recorded on its form,
which updates the house, resident and care ledgers in the same act; a spreadsheet row could not
say all that. One row per visit of the region, newest first: the address, the visitor, who was
met, who moved away, who was newly registered (ID numbers masked unless revealed), which care
records were visited and the problems raised."""

from collections import defaultdict

from django.utils.translation import gettext_lazy

from wangge.accounts.roles import KEEP_LEDGERS, VIEW_PEOPLE
from wangge.core import pii
from wangge.core.scope import restrict
from wangge.sheets.spec import Column, Context, LedgerSpec, date, register, text

from .models import CareGroup, CareObservation, Resident, Visit, VisitProblem

COLUMNS = (
    Column("走访日期", "visited_on", date(), width=12, is_date=True),
    Column("网格编码", "grid_code", text(15), width=17, as_text=True),
    Column("小区", "compound", text(100), width=14),
    Column("楼栋", "building", text(50), width=8),
    Column("单元", "unit", text(2), width=6),
    Column("房号", "room", text(10), width=8, as_text=True),
    Column("走访人", "visitor", text(150), width=14),
    Column("见到的居民", "met", text(2000), width=20),
    Column("见到的其他人", "met_others", text(200), width=14),
    Column("走访情况", "notes", text(4000), width=30),
    Column("搬离的居民", "departed", text(2000), width=16),
    Column("新登记的居民", "newcomers", text(2000), width=30),
    Column("走访的关爱对象", "care", text(2000), width=24),
    Column("发现的问题", "problems", text(4000), width=30),
)
CHUNK = 500


def _visits(ctx: Context):
    return restrict(Visit.objects.all(), ctx.actor).filter(region_key__startswith=ctx.region_key)


def export_count(ctx: Context) -> int:
    return _visits(ctx).count()


def _people(ids: set, reveal: bool) -> dict:
    """pk -> "name（masked or full ID number）" for the residents a chunk of visits names."""
    id_field = "id_cipher" if reveal else "id_masked"
    found = {}
    for pk, name, number in Resident.objects.filter(pk__in=ids).values_list("pk", "name", id_field):
        found[pk] = (name, pii.decrypt(number) if reveal else number)
    return found


def export(ctx: Context):
    """Visits in chunks of 500, each chunk's met residents, care observations, problems and the
    people it registered or saw leave read in a few queries."""
    groups = dict(CareGroup.choices)
    base = _visits(ctx).order_by("-visited_on", "-id")
    last = None
    while True:
        page = base
        if last is not None:
            page = page.filter(visited_on__lte=last[0]).exclude(visited_on=last[0], id__gte=last[1])
        chunk = list(
            page.values_list(
                "id",
                "visited_on",
                "household__building__compound__grid__code",
                "household__building__compound__name",
                "household__building__name",
                "household__unit",
                "household__room",
                "visitor__username",
                "visitor__display_name",
                "met_others",
                "notes",
                "changes",
            )[:CHUNK]
        )
        if not chunk:
            return
        last = (chunk[-1][1], chunk[-1][0])
        ids = [row[0] for row in chunk]
        met = defaultdict(list)
        for visit_id, name in Visit.met.through.objects.filter(visit_id__in=ids).values_list(
            "visit_id", "resident__name"
        ):
            met[visit_id].append(name)
        care = defaultdict(list)
        for visit_id, name, group, note in CareObservation.objects.filter(visit_id__in=ids).values_list(
            "visit_id", "care_record__resident__name", "care_record__group", "note"
        ):
            care[visit_id].append(f"{name}（{groups.get(group, group)}）" + (f"：{note}" if note else ""))
        problems = defaultdict(list)
        for visit_id, problem_text, status in VisitProblem.objects.filter(visit_id__in=ids).values_list(
            "visit_id", "text", "status"
        ):
            problems[visit_id].append(f"{problem_text}（{'已转为案件' if status == 'taken' else '待受理'}）")
        named = set()
        for row in chunk:
            changes = row[-1] or {}
            named.update(changes.get("departed", []), changes.get("newcomers", []))
        people = _people(named, ctx.reveal) if named else {}
        for (
            visit_id,
            visited_on,
            grid,
            compound,
            building,
            unit,
            room,
            username,
            display,
            others,
            notes,
            changes,
        ) in chunk:
            changes = changes or {}
            departed = [people[pk][0] for pk in changes.get("departed", []) if pk in people]
            newcomers = [f"{people[pk][0]}（{people[pk][1]}）" for pk in changes.get("newcomers", []) if pk in people]
            yield (
                visited_on,
                grid,
                compound,
                building,
                str(unit),
                room,
                f"{display}（{username}）" if display and display != username else username,
                "、".join(met[visit_id]),
                others,
                notes,
                "、".join(departed),
                "、".join(newcomers),
                "；".join(care[visit_id]),
                "；".join(problems[visit_id]),
            )


VISITS = register(
    LedgerSpec(
        name="visits",
        title="走访记录",
        columns=COLUMNS,
        key_field="visited_on",
        model=Visit,
        prepare=None,
        check=None,
        write=None,
        export=export,
        export_count=export_count,
        audit_verb="visit.import",
        view_capability=VIEW_PEOPLE,
        write_capability=KEEP_LEDGERS,
        importable=False,
        description=gettext_lazy(
            "敲门走访记录：每次走访一行，含见到的居民、搬离和新登记的居民、走访的关爱对象和发现的问题。"
        ),
    )
)

__all__ = ["VISITS"]
