"""Reads of cases and the catalogue, always starting from the user's scope (ARCHITECTURE habit 2).

Region staff see the cases of their subtree; department staff only the cases their department
leads or assists; residents only their own reports. Everyone also sees what they reported
themselves. A case outside all of that is "not found", exactly like a missing one.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.accounts.roles import Role
from wangge.core.errors import DomainError, Forbidden, NotFound
from wangge.core.geo import degree_box, distance_m
from wangge.core.scope import get_or_404, restrict, scope_key_of
from wangge.dispatch_ai.text import most_similar
from wangge.regions.models import KEY_LENGTH, Department, Level, Region

from . import sla
from .models import (
    CLOCK_RUNNING,
    OPEN,
    AccessCatalogueItem,
    Attachment,
    Case,
    CaseAssist,
    CaseEvent,
    CaseLevel,
    Category,
    Status,
)
from .parties import can_see
from .rules import applicable_prefixes
from .workflow import allowed_actions

LIST_RELATED = ("category", "lead_department", "grid", "reporter", "merged_into")


def communities_to_report_in(*, user) -> list[Region]:
    """The communities someone whose scope lies above them (a street, a district, the city: the
    12345 hotline) names a report's place in when it has no point on the map; empty for a scope
    of a community or below, where the place defaults to the reporter's own."""
    region = user.scope_region if user.is_authenticated and user.scope_region_id else None
    if region is None or region.level >= Level.COMMUNITY:
        return []
    communities = Region.objects.filter(key__startswith=region.key, level=Level.COMMUNITY)
    return list(communities.select_related("parent").order_by("key")[:1000])


def visible_cases(*, user) -> QuerySet:
    cases = Case.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return cases.none()
    mine = Q(reporter=user)
    if user.role == Role.RESIDENT:
        return cases.filter(mine)
    if user.role == Role.DEPARTMENT_HANDLER:
        department = user.scope_department_id
        if department is None:
            return cases.filter(mine)
        assisting = CaseAssist.objects.filter(case=OuterRef("pk"), department_id=department)
        return cases.filter(Q(lead_department_id=department) | Exists(assisting) | mine)
    key = scope_key_of(user)
    if key is None:
        return cases.filter(mine)
    return cases.filter(Q(region_key__startswith=key) | mine)


def case_get(*, user, number: str) -> Case:
    cases = visible_cases(user=user).select_related(*LIST_RELATED).prefetch_related("assists__department")
    case = cases.filter(number=(number or "").strip().upper()).first()
    if case is None:
        raise NotFound(_("案件不存在，或不在您的管辖范围内"))
    return case


ORDERINGS = {
    "time_left": ("due_at", "reported_at", "id"),  # working time is monotonic in calendar time
    "-reported_at": ("-reported_at", "-id"),
    "reported_at": ("reported_at", "id"),
    "number": ("number",),
}


def _ordered(cases: QuerySet, order: str) -> QuerySet:
    if order not in ORDERINGS:
        raise DomainError(
            _("未知排序方式：%(order)s，可用 %(choices)s") % {"order": order, "choices": "、".join(ORDERINGS)},
            field="order",
        )
    if order == "time_left":
        return cases.order_by(F("due_at").asc(nulls_last=True), "reported_at", "id")
    return cases.order_by(*ORDERINGS[order])


FILTER_KEYS = frozenset(
    {
        "status",
        "category",
        "channel",
        "level",
        "supervised",
        "breached",
        "overdue",
        "region",
        "department",
        "q",
        "reported_from",
        "reported_to",
        "order",
    }
)


def _as_list(value) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


def _date(value, field: str):
    if isinstance(value, datetime):
        return value.date()
    parsed = parse_date(str(value)) if value else None
    if parsed is None:
        raise DomainError(_("日期格式应为 YYYY-MM-DD：%(value)s") % {"value": value}, field=field)
    return parsed


def case_list(*, user, filters: Mapping | None = None) -> QuerySet:
    """Cases the user may see, filtered; newest first unless `order` says otherwise.

    Filters: status (one or a comma list), category (code, with its sub-categories), channel,
    level (5 community, 4 street, 3 district), supervised, breached, overdue (clock running and
    past due), region (a region code: its subtree), department (code: lead or assisting), q (a case
    number or words of the text), reported_from / reported_to (dates), order (time_left,
    -reported_at, reported_at, number)."""
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "", [])}
    unknown = set(filters) - FILTER_KEYS
    if unknown:
        raise DomainError(_("未知筛选条件：%(keys)s") % {"keys": "、".join(sorted(unknown))}, field=sorted(unknown)[0])
    cases = visible_cases(user=user).select_related(*LIST_RELATED)
    if "status" in filters:
        statuses = _as_list(filters["status"])
        bad = [s for s in statuses if s not in Status.values]
        if bad:
            raise DomainError(_("未知状态：%(statuses)s") % {"statuses": "、".join(bad)}, field="status")
        cases = cases.filter(status__in=statuses)
    if "category" in filters:
        codes = _as_list(filters["category"])
        cases = cases.filter(Q(category__code__in=codes) | Q(category__parent__code__in=codes))
    if "channel" in filters:
        cases = cases.filter(channel__in=_as_list(filters["channel"]))
    if "level" in filters:
        try:
            level = int(filters["level"])
        except (TypeError, ValueError):
            level = None
        if level not in CaseLevel.values:
            raise DomainError(_("层级应为 5（社区）、4（街道）或 3（区县）"), field="level")
        cases = cases.filter(level=level)
    if "supervised" in filters:
        cases = cases.filter(supervised=bool(filters["supervised"]))
    if "breached" in filters:
        cases = cases.filter(breached_at__isnull=not filters["breached"])
    if filters.get("overdue"):
        cases = cases.filter(status__in=CLOCK_RUNNING, due_at__lt=timezone.now())
    if "region" in filters:
        key = Region.objects.filter(code=str(filters["region"]).strip()).values_list("key", flat=True).first()
        cases = cases.filter(region_key__startswith=key) if key else cases.none()
    if "department" in filters:
        code = str(filters["department"])
        assisting = CaseAssist.objects.filter(case=OuterRef("pk"), department__code=code)
        cases = cases.filter(Q(lead_department__code=code) | Exists(assisting))
    if "q" in filters:
        q = str(filters["q"]).strip()
        cases = cases.filter(Q(number=q.upper()) | Q(text__icontains=q) | Q(address__icontains=q))
    if "reported_from" in filters:
        cases = cases.filter(reported_at__date__gte=_date(filters["reported_from"], "reported_from"))
    if "reported_to" in filters:
        cases = cases.filter(reported_at__date__lte=_date(filters["reported_to"], "reported_to"))
    return _ordered(cases, filters.get("order", "-reported_at"))


# ---- inboxes (待办) -------------------------------------------------------------------------

INBOX_ROLES = {
    "sort": {Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.HOTLINE_OPERATOR},
    "community": {Role.COMMUNITY_STAFF},
    "dispatch": {Role.STREET_DISPATCHER},
    "department": {Role.DEPARTMENT_HANDLER},
    "verify": {Role.GRID_WORKER, Role.PART_TIME_GRID_WORKER, Role.COMMUNITY_STAFF},
    "supervised": {Role.LEADER, Role.STREET_DISPATCHER},
    "mine": None,  # everyone
}
INBOX_LABELS = {
    "sort": gettext_lazy("待受理"),
    "community": gettext_lazy("社区待办"),
    "dispatch": gettext_lazy("待派遣"),
    "department": gettext_lazy("部门待办"),
    "verify": gettext_lazy("待核查"),
    "supervised": gettext_lazy("督办案件"),
    "mine": gettext_lazy("我的上报"),
}


def _dispatcher_level(user) -> int:
    return CaseLevel.STREET if len(user.scope_key or "") >= KEY_LENGTH[CaseLevel.STREET] else CaseLevel.DISTRICT


def case_inbox(*, user, box: str) -> QuerySet:
    """One role's work list, soonest deadline first:

    - sort: reported cases in the subtree (community staff, dispatchers, hotline);
    - community: filed cases the community holds, those it handles, and those verified to close;
    - dispatch: cases at the dispatcher's level to dispatch, returned, in arbitration, verified to
      close, breached, and extension requests from the level below;
    - department: cases the user's department leads or assists that are with it;
    - verify: handled cases in the grid worker's grid (the community's, for places in no grid);
    - supervised: supervised open cases in scope (leaders' board);
    - mine: what the user reported."""
    if box not in INBOX_ROLES:
        raise NotFound(_("没有这个待办列表"))
    roles = INBOX_ROLES[box]
    if roles is not None and (user is None or user.role not in roles):
        raise Forbidden(_("您的角色没有这个待办列表"))
    cases = visible_cases(user=user).select_related(*LIST_RELATED)
    if box == "sort":
        cases = restrict(cases, user).filter(status=Status.REPORTED)
    elif box == "community":
        cases = restrict(cases, user).filter(
            Q(status=Status.ACCEPTED, level=CaseLevel.COMMUNITY)
            | Q(
                status__in=[Status.DISPATCHED, Status.IN_PROGRESS, Status.SUSPENDED],
                lead_department__isnull=True,
                level=CaseLevel.COMMUNITY,
            )
            | Q(status=Status.VERIFIED, level=CaseLevel.COMMUNITY)
        )
    elif box == "dispatch":
        level = _dispatcher_level(user)
        cases = restrict(cases, user).filter(
            Q(
                level=level,
                status__in=[Status.ACCEPTED, Status.RETURNED, Status.ARBITRATION, Status.VERIFIED],
            )
            | Q(level=level, breached_at__isnull=False, status__in=list(CLOCK_RUNNING) + [Status.SUSPENDED])
            | Q(level__gte=level, extension_requested_at__isnull=False)
        )
    elif box == "department":
        department = user.scope_department_id
        assisting = CaseAssist.objects.filter(case=OuterRef("pk"), department_id=department)
        cases = cases.filter(
            Q(lead_department_id=department) | Exists(assisting),
            status__in=[Status.DISPATCHED, Status.IN_PROGRESS, Status.SUSPENDED],
        )
    elif box == "verify":
        cases = restrict(cases, user).filter(status=Status.HANDLED)
        if user.role == Role.COMMUNITY_STAFF:
            cases = cases.filter(grid__isnull=True)
    elif box == "supervised":
        cases = restrict(cases, user).filter(supervised=True, status__in=list(OPEN))
    else:
        cases = cases.filter(reporter=user)
        return cases.order_by("-reported_at", "-id")
    return _ordered(cases, "time_left")


def case_timeline(*, user, case: Case) -> QuerySet:
    """Events of a case, oldest first, with their photos; the reporter sees only the public ones
    unless they are staff who may see the case anyway."""
    events = (
        CaseEvent.objects.filter(case=case)
        .select_related("actor")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    )
    if user is not None and (user.role == Role.RESIDENT or not _sees_as_staff(user, case)):
        events = events.filter(public=True)
    return events.order_by("at", "id")


def _sees_as_staff(user, case: Case) -> bool:
    if user.role == Role.RESIDENT:
        return False
    if case.reporter_id == user.pk:
        # Staff who reported it see the internal timeline only if their scope covers it too.
        return can_see(user, case, own_reports=False)
    return True


def case_detail(*, user, case: Case) -> Case:
    """The case with what its page shows, as attributes: `assisting` departments, its `timeline`
    (as `case_timeline`), the `allowed_actions` of this user, `merged_numbers` (for staff)
    and the category's `closing_condition`."""
    case.assisting = [a.department for a in case.assists.select_related("department").order_by("id")]
    case.timeline = list(case_timeline(user=user, case=case))
    case.allowed_actions = allowed_actions(user=user, case=case)
    staff = user is None or _sees_as_staff(user, case)
    case.merged_numbers = (
        list(Case.objects.filter(merged_into=case).order_by("id").values_list("number", flat=True)) if staff else []
    )
    case.closing_condition = case.category.closing_condition if case.category_id else ""
    return case


def time_left(case: Case, *, now: datetime | None = None) -> int | None:
    """Working seconds left on the handler's clock (negative when overdue), or None."""
    return sla.time_left(case, now or timezone.now())


# ---- duplicates -------------------------------------------------------------------------------


def _duplicate_settings() -> tuple[float, int, float]:
    return (
        float(settings.WANGGE_DUPLICATE_RADIUS_M),
        int(settings.WANGGE_DUPLICATE_DAYS),
        float(settings.WANGGE_DUPLICATE_SIMILARITY),
    )


def duplicate_candidates(
    *,
    user,
    case: Case,
    radius_m: float | None = None,
    days: int | None = None,
    min_similarity: float | None = None,
    limit: int = 10,
) -> list[Case]:
    """Open cases that look like the same problem: same category (any, when the case has none yet),
    within `radius_m` metres (the same grid, without coordinates), reported within `days` days
    before or after it, and whose text is at least `min_similarity` alike (cosine of character
    n-grams, `dispatch_ai.text.similar`). Most similar first, then nearest; each carries
    `similarity` and `distance_m`. Defaults come from WANGGE_DUPLICATE_RADIUS_M (200),
    WANGGE_DUPLICATE_DAYS (7) and WANGGE_DUPLICATE_SIMILARITY (0.3; 0 ranks without excluding)."""
    default_radius, default_days, default_similarity = _duplicate_settings()
    radius_m = default_radius if radius_m is None else radius_m
    days = default_days if days is None else days
    min_similarity = default_similarity if min_similarity is None else min_similarity
    window = timedelta(days=days)
    cases = (
        visible_cases(user=user)
        .filter(
            status__in=list(OPEN),
            reported_at__gte=case.reported_at - window,
            reported_at__lte=case.reported_at + window,
        )
        .exclude(pk=case.pk)
        .select_related(*LIST_RELATED)
    )
    if case.category_id:
        cases = cases.filter(category_id=case.category_id)
    if case.lat is None or case.lng is None:
        near = list(cases.filter(region_key=case.region_key).order_by("-reported_at")[:500])
        for candidate in near:
            candidate.distance_m = None
    else:
        west, south, east, north = degree_box(case.lng, case.lat, radius_m)
        cases = cases.filter(lat__gte=south, lat__lte=north, lng__gte=west, lng__lte=east)
        near = []
        for candidate in cases[:500]:
            candidate.distance_m = round(distance_m(case.lng, case.lat, candidate.lng, candidate.lat), 1)
            if candidate.distance_m <= radius_m:
                near.append(candidate)
    scores = dict(most_similar(case.text, [(c.pk, c.text) for c in near], threshold=min_similarity, limit=len(near)))
    found = [c for c in near if c.pk in scores]
    for candidate in found:
        candidate.similarity = scores[candidate.pk]
    far = float("inf")
    found.sort(key=lambda c: (-c.similarity, far if c.distance_m is None else c.distance_m, -c.reported_at.timestamp()))
    return found[:limit]


# ---- catalogue ---------------------------------------------------------------------------------


def categories_for(*, region_key: str, active_only: bool = True) -> QuerySet:
    """The catalogue that applies at a place: categories of the place's region and its ancestors."""
    categories = Category.objects.filter(region_key__in=applicable_prefixes(region_key)).select_related(
        "parent", "department"
    )
    if active_only:
        categories = categories.filter(is_active=True)
    return categories


def category_for_code(*, code: str, region_key: str) -> Category | None:
    """The category with this code that applies at a place (the nearest region's, if several do)."""
    found = sorted(
        categories_for(region_key=region_key).filter(code=(code or "").strip()),
        key=lambda c: len(c.region_key),
        reverse=True,
    )
    return found[0] if found else None


def category_list(*, user, kind: str = "", active: bool | None = None, q: str = "") -> QuerySet:
    """The catalogue staff work with: every category that applies somewhere in their scope (their
    own region's, their ancestors' and their subtree's)."""
    key = scope_key_of(user)
    if key is None or user.role == Role.RESIDENT:
        return Category.objects.none()
    categories = Category.objects.filter(
        Q(region_key__in=applicable_prefixes(key)) | Q(region_key__startswith=key)
    ).select_related("parent", "department")
    if kind:
        categories = categories.filter(kind=kind)
    if active is not None:
        categories = categories.filter(is_active=active)
    if q:
        categories = categories.filter(Q(name__icontains=q) | Q(code__startswith=q))
    return categories.order_by("region_key", "sort_order", "code")


def category_get(*, user, pk: int) -> Category:
    return get_or_404(category_list(user=user), pk=pk)


def access_catalogue(*, user, kind: str = "", active: bool | None = None) -> QuerySet:
    key = scope_key_of(user)
    if key is None or user.role == Role.RESIDENT:
        return AccessCatalogueItem.objects.none()
    items = AccessCatalogueItem.objects.filter(
        Q(region_key__in=applicable_prefixes(key)) | Q(region_key__startswith=key)
    ).select_related("category")
    if kind:
        items = items.filter(kind=kind)
    if active is not None:
        items = items.filter(is_active=active)
    return items.order_by("region_key", "kind", "code")


def access_item_get(*, user, pk: int) -> AccessCatalogueItem:
    return get_or_404(access_catalogue(user=user), pk=pk)


def departments_for(*, case: Case) -> QuerySet:
    """Departments that serve the case's place (its district's and city's), for dispatching."""
    return Department.objects.filter(region_key__in=applicable_prefixes(case.region_key)).order_by(
        "-region_key", "code"
    )


def suggested_lead(*, case: Case, category: Category | None = None) -> Department | None:
    """The category's (default: the case's) responsible department, at the level nearest the case:
    a district's department of the same line (same code suffix after the region key) before the city's."""
    category = category or case.category
    if category is None or category.department_id is None:
        return None
    department = category.department
    line = department.code[len(department.region_key) :]
    if line:
        for candidate in departments_for(case=case):
            if candidate.code[len(candidate.region_key) :] == line:
                return candidate
    return department if case.region_key.startswith(department.region_key) else None


# ---- attachments -----------------------------------------------------------------------------


def attachment_get(*, user, pk: int) -> Attachment:
    """A photo of a case the user may see (or the user's own upload not yet attached)."""
    attachment = Attachment.objects.select_related("case", "event").filter(pk=pk).first()
    if attachment is None:
        raise NotFound(_("照片不存在，或不在您的管辖范围内"))
    if attachment.case_id is None:
        if user is None or attachment.uploaded_by_id != user.pk:
            raise NotFound(_("照片不存在，或不在您的管辖范围内"))
        return attachment
    case = get_or_404(visible_cases(user=user), pk=attachment.case_id)
    if attachment.event_id and not attachment.event.public and not _sees_as_staff(user, case):
        raise NotFound(_("照片不存在，或不在您的管辖范围内"))
    return attachment
