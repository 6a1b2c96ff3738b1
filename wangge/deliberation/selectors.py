"""Scoped reads of deliberation. A user sees the matters and meetings of their own place: those
inside their scope, and those of the grid and community their scope lies in (a resident of a grid
takes part in the community's deliberation too). Missing and out-of-scope look the same (404)."""

import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from wangge.cases.models import Status as CaseStatus
from wangge.core.errors import NotFound
from wangge.core.scope import scope_key_of
from wangge.regions.models import KEY_LENGTH, Building, Compound, Level, Region

from .models import Evaluation, Matter, Meeting, Rating, Status, Task, Vote

COMMUNITY_KEY = KEY_LENGTH[Level.COMMUNITY]
CASE_DONE = frozenset({CaseStatus.CLOSED, CaseStatus.RATED})


def _place_filter(user) -> Q | None:
    key = scope_key_of(user)
    if key is None:
        return None
    enclosing = [key[:n] for n in (KEY_LENGTH[Level.COMMUNITY], KEY_LENGTH[Level.GRID]) if n < len(key)]
    return Q(region_key__startswith=key) | Q(region_key__in=enclosing)


def takes_part(user, region_key: str) -> bool:
    """Whether the place of `region_key` is the user's own: inside their scope, or their scope
    lies inside it (down from the community)."""
    key = scope_key_of(user)
    if key is None:
        return False
    return region_key.startswith(key) or (key.startswith(region_key) and len(region_key) >= COMMUNITY_KEY)


def matter_list(*, user, status: str = "", q: str = "", region_key: str = "") -> QuerySet:
    place = _place_filter(user)
    if place is None:
        return Matter.objects.none()
    matters = Matter.objects.filter(place).select_related("region", "compound", "building", "proposer")
    if status:
        matters = matters.filter(status=status)
    if q:
        matters = matters.filter(Q(title__icontains=q) | Q(description__icontains=q))
    if region_key:
        matters = matters.filter(region_key__startswith=region_key)
    return matters


def matter_get(*, user, pk: int) -> Matter:
    matter = matter_list(user=user).filter(pk=pk).first()
    if matter is None:
        raise NotFound("议事事项不存在，或不在您的管辖范围内")
    return matter


def meeting_list(*, user) -> QuerySet:
    place = _place_filter(user)
    if place is None:
        return Meeting.objects.none()
    return Meeting.objects.filter(place).select_related("region", "compound", "building")


def meeting_get(*, user, pk: int) -> Meeting:
    meeting = meeting_list(user=user).filter(pk=pk).first()
    if meeting is None:
        raise NotFound("议事会议不存在，或不在您的管辖范围内")
    return meeting


def vote_get(*, user, pk: int) -> Vote:
    vote = Vote.objects.select_related("meeting", "matter").filter(pk=pk).first()
    if vote is None or not takes_part(user, vote.matter.region_key):
        raise NotFound("表决不存在，或不在您的管辖范围内")
    return vote


def task_get(*, user, pk: int) -> Task:
    task = Task.objects.select_related("matter", "case").filter(pk=pk).first()
    if task is None or not takes_part(user, task.matter.region_key):
        raise NotFound("任务不存在，或不在您的管辖范围内")
    return task


def progress(matter: Matter) -> tuple[int, int]:
    """(done, total) of the matter's tasks; a task that is a case is done when the case is closed
    or rated."""
    done = total = 0
    for task in matter.tasks.select_related("case"):
        total += 1
        if task.case_id is not None:
            done += task.case.status in CASE_DONE
        else:
            done += task.done_at is not None
    return done, total


def rating_summary(matter: Matter) -> dict:
    counts = dict(matter.evaluations.values_list("rating").annotate(n=Count("id")))
    total = sum(counts.values())
    pleased = counts.get(Rating.SATISFIED, 0) + counts.get(Rating.FAIRLY, 0)
    return {
        "total": total,
        "rows": [(label, counts.get(value, 0)) for value, label in Rating.choices],
        "percent": round(pleased * 100 / total) if total else None,
    }


def place_options(*, user, limit: int = 300) -> list[tuple[str, str]]:
    """The places a user may raise a matter or call a meeting for, as (value, label): their
    community and grids, and the compounds and buildings below."""
    key = scope_key_of(user)
    if key is None:
        return []
    enclosing = [key[:n] for n in (COMMUNITY_KEY, KEY_LENGTH[Level.GRID]) if n < len(key)]
    regions = Region.objects.filter(
        Q(key__startswith=key) | Q(key__in=enclosing), level__in=[Level.COMMUNITY, Level.GRID]
    ).order_by("key")[:limit]
    options = [(region.code, f"{region.get_level_display()} · {region.name}") for region in regions]
    grid_keys = [r.key for r in regions if r.level == Level.GRID]
    if len(key) > KEY_LENGTH[Level.GRID]:  # a micro-grid: its own buildings' compounds
        compounds = Compound.objects.filter(buildings__region_key__startswith=key).distinct()
        buildings = Building.objects.filter(region_key__startswith=key)
    else:
        compounds = Compound.objects.filter(region_key__in=grid_keys)
        buildings = Building.objects.filter(compound__region_key__in=grid_keys)
    for compound in compounds.order_by("region_key", "name")[:limit]:
        options.append((f"compound:{compound.pk}", f"小区 · {compound.name}"))
    for building in buildings.select_related("compound").order_by("compound__name", "id")[:limit]:
        options.append((f"building:{building.pk}", f"楼栋 · {building.compound.name}{building.name}"))
    return options


def open_meetings_for(matter: Matter) -> QuerySet:
    """Planned meetings whose place contains the matter's place (for its agenda)."""
    from .models import MeetingStatus

    keys = [matter.region_key[:n] for n in KEY_LENGTH.values() if COMMUNITY_KEY <= n <= len(matter.region_key)]
    meetings = Meeting.objects.filter(status=MeetingStatus.PLANNED, region_key__in=keys)
    meetings = meetings.filter(Q(compound__isnull=True) | Q(compound_id=matter.compound_id))
    return meetings.filter(Q(building__isnull=True) | Q(building_id=matter.building_id))


# ---- statistics -------------------------------------------------------------------------------


def statistics(*, user, region_key: str, start: datetime.date, end: datetime.date) -> dict:
    """Figures of one place and period (both days included): matters raised, meetings held,
    decisions, matters carried out and the residents' satisfaction, with a row per month."""
    place = _place_filter(user)
    if place is None or not takes_part(user, region_key):
        raise NotFound("区域不存在，或不在您的管辖范围内")
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    until = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    under = {"region_key__startswith": region_key}
    matters = Matter.objects.filter(place, **under)
    raised = matters.filter(created_at__gte=since, created_at__lt=until)
    meetings = Meeting.objects.filter(place, status="held", starts_at__gte=since, starts_at__lt=until, **under)
    decided = matters.filter(decided_at__gte=since, decided_at__lt=until)
    done = matters.filter(done_at__gte=since, done_at__lt=until)
    ratings = Evaluation.objects.filter(matter__in=matters, created_at__gte=since, created_at__lt=until)

    def monthly(queryset, field):
        from django.db.models.functions import TruncMonth

        rows = queryset.annotate(m=TruncMonth(field, tzinfo=tz)).values("m").annotate(n=Count("id"))
        return {row["m"].strftime("%Y-%m"): row["n"] for row in rows if row["m"]}

    series = {
        "raised": monthly(raised, "created_at"),
        "meetings": monthly(meetings, "starts_at"),
        "decided": monthly(decided, "decided_at"),
        "done": monthly(done, "done_at"),
    }
    months, cursor = [], start.replace(day=1)
    while cursor <= end:
        months.append(cursor.strftime("%Y-%m"))
        cursor = (cursor + datetime.timedelta(days=32)).replace(day=1)
    rating_counts = dict(ratings.values_list("rating").annotate(n=Count("id")))
    rated = sum(rating_counts.values())
    pleased = rating_counts.get(Rating.SATISFIED, 0) + rating_counts.get(Rating.FAIRLY, 0)
    return {
        "raised": raised.count(),
        "meetings": meetings.count(),
        "decided": decided.filter(status__in=[Status.DECIDED, Status.IN_PROGRESS, Status.DONE, Status.CLOSED]).count(),
        "done": done.count(),
        "ratings": rated,
        "satisfaction": round(pleased * 100 / rated, 1) if rated else None,
        "months": [{"month": m, **{name: series[name].get(m, 0) for name in series}} for m in months],
    }


def statistics_places(*, user) -> list[Region]:
    """Regions a user may read statistics for: their scope (a micro-grid too, for a building head)
    and the communities and grids below."""
    key = scope_key_of(user)
    if key is None:
        return []
    places = Region.objects.filter(Q(level__lte=Level.GRID) | Q(key=key), key__startswith=key)
    return list(places.order_by("key")[:500])
