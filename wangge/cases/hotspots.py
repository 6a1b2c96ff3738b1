"""Hot spots (热点): many cases of one category in one place in a short time are one problem.

A hot spot is at least K open cases of one category, reported in the last T days, all within R metres
of one of them (its centre). K, R and T come from WANGGE_HOTSPOT_K (5), WANGGE_HOTSPOT_RADIUS_M (200)
and WANGGE_HOTSPOT_DAYS (7). Cases without coordinates are not placed and never count.

Detection is deterministic: points are projected to metres around their mean latitude and bucketed
into R×R cells, so each case's neighbours are looked for in 9 cells only. The case with the most
neighbours (then the earliest reported, then the lowest id) becomes a centre and takes its
neighbours not yet taken; the next centre is chosen among what is left, and so on. A case belongs to
one hot spot at most.

Grouped by text instead (`by="text"`), the category does not matter: a case is a neighbour of a
centre when it is within R metres and its message is at least WANGGE_HOTSPOT_SIMILARITY (0.4) alike
to the centre's (cosine of character n-grams, the featuriser of `dispatch_ai.text`, which needs no
trained model). This finds one problem reported under different categories or not yet filed.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.errors import DomainError
from wangge.core.geo import local_metres
from wangge.dispatch_ai.text import similarity_vectors

from .indicators import Scope, indicator_scope
from .models import OPEN, Case


def hotspot_settings() -> tuple[int, float, int]:
    return int(settings.WANGGE_HOTSPOT_K), float(settings.WANGGE_HOTSPOT_RADIUS_M), int(settings.WANGGE_HOTSPOT_DAYS)


def hotspot_similarity() -> float:
    return float(settings.WANGGE_HOTSPOT_SIMILARITY)


BY_CATEGORY, BY_TEXT = "category", "text"
BY = (BY_CATEGORY, BY_TEXT)


@dataclass
class HotSpot:
    category_id: int | None
    category_name: str
    lat: float  # the centre case's point
    lng: float
    region_key: str
    numbers: list[str] = field(default_factory=list)
    first_reported_at: datetime | None = None
    last_reported_at: datetime | None = None
    text: str = ""  # the centre case's message, when grouped by text

    @property
    def count(self) -> int:
        return len(self.numbers)


def detect(
    points: list[tuple], *, k: int, radius_m: float, vectors=None, min_similarity: float = 0.0
) -> list[list[int]]:
    """Groups of row indexes. `points`: (lat, lng, sort_key) — sort_key orders ties (earliest first).

    Each group has at least k members, all within radius_m of the group's first member. With
    `vectors` (one L2-normalised text vector per point, `dispatch_ai.text.similarity_vectors`) a
    neighbour must also be at least `min_similarity` alike in text to that member."""
    if k < 1 or len(points) < k:
        return []
    xy = local_metres([(p[0], p[1]) for p in points])
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, (x, y) in enumerate(xy):
        cells[(math.floor(x / radius_m), math.floor(y / radius_m))].append(i)
    r2 = radius_m * radius_m
    neighbours: list[list[int]] = []
    for i, (x, y) in enumerate(xy):
        cx, cy = math.floor(x / radius_m), math.floor(y / radius_m)
        near = []
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for j in cells.get((cx + dx, cy + dy), ()):
                    if (xy[j][0] - x) ** 2 + (xy[j][1] - y) ** 2 <= r2:
                        near.append(j)
        if vectors is not None and len(near) >= k:
            scores = (vectors[near] @ vectors[i].T).toarray().ravel()
            near = [j for j, score in zip(near, scores) if j == i or score >= min_similarity]
        neighbours.append(sorted(near, key=lambda j: points[j][2]))
    taken = [False] * len(points)
    order = sorted(range(len(points)), key=lambda i: (-len(neighbours[i]), points[i][2]))
    groups = []
    for i in order:
        if taken[i] or len(neighbours[i]) < k:
            continue
        free = [j for j in neighbours[i] if not taken[j]]
        if len(free) < k:
            continue
        members = [i] + [j for j in free if j != i]
        for j in members:
            taken[j] = True
        groups.append(members)
    return groups


def hotspots_for(
    *,
    scope: Scope,
    k: int,
    radius_m: float,
    days: int,
    now: datetime | None = None,
    by: str = BY_CATEGORY,
    min_similarity: float = 0.4,
) -> list[HotSpot]:
    """Hot spots among the open recent cases of a scope: `by` category (cases of one category near
    each other) or by text (cases near each other whose messages are at least `min_similarity`
    alike, whatever their category — also those not yet filed under one)."""
    if by not in BY:
        raise DomainError(_("热点的归并方式应为 category（按类别）或 text（按相似文字）"), field="by")
    now = now or timezone.now()
    cases = Case.objects.filter(
        region_key__startswith=scope.region.key,
        status__in=list(OPEN),
        reported_at__gte=now - timedelta(days=days),
        lat__isnull=False,
        lng__isnull=False,
    )
    if scope.department is not None:
        cases = cases.filter(lead_department_id=scope.department.pk)
    columns = ["id", "number", "category_id", "category__name", "lat", "lng", "region_key", "reported_at"]
    rows = cases.order_by("category_id", "reported_at", "id").values_list(
        *columns, *(["text"] if by == BY_TEXT else [])
    )
    buckets: dict = defaultdict(list)
    for row in rows:
        buckets[row[2] if by == BY_CATEGORY else None].append(row)
    found = []
    for category_id, members in buckets.items():
        points = [(r[4], r[5], (r[7], r[0])) for r in members]
        vectors = None
        if by == BY_TEXT and len(members) >= k:
            vectors = similarity_vectors([r[8] for r in members]).tocsr()
        for group in detect(points, k=k, radius_m=radius_m, vectors=vectors, min_similarity=min_similarity):
            centre = members[group[0]]
            times = [members[i][7] for i in group]
            spot = HotSpot(
                category_id=category_id,
                category_name=centre[3] or "",
                lat=centre[4],
                lng=centre[5],
                region_key=centre[6],
                numbers=[members[i][1] for i in sorted(group, key=lambda i: (members[i][7], members[i][0]))],
                first_reported_at=min(times),
                last_reported_at=max(times),
                text=centre[8][:60] if by == BY_TEXT else "",
            )
            found.append(spot)
    found.sort(key=lambda s: (-s.count, -s.last_reported_at.timestamp(), s.numbers[0]))
    return found


def hotspot_list(*, user, region_code: str = "", by: str = "", now: datetime | None = None) -> list[HotSpot]:
    """Hot spots in the user's scope (region subtree; a department's own cases), biggest first,
    grouped `by` category (default) or by similar text (WANGGE_HOTSPOT_SIMILARITY).
    Leaders, dispatchers, department handlers and administrators only."""
    scope = indicator_scope(user=user, region_code=region_code)
    k, radius_m, days = hotspot_settings()
    return hotspots_for(
        scope=scope,
        k=k,
        radius_m=radius_m,
        days=days,
        now=now,
        by=by or BY_CATEGORY,
        min_similarity=hotspot_similarity(),
    )
