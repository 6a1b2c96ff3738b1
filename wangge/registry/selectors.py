"""Reads of the ledgers. Every function starts from the user's scope (`query.scoped`, which is
`core.scope.restrict` plus an index-friendly range); missing and out-of-scope look the same."""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, DateField, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from wangge.accounts.models import User
from wangge.accounts.roles import STAFF_ROLES, VIEW_PEOPLE, require
from wangge.accounts.selectors import visible_users
from wangge.core import pii
from wangge.core.errors import DomainError, Forbidden, NotFound
from wangge.core.scope import get_or_404, in_scope, scope_key_of
from wangge.regions import selectors as region_selectors
from wangge.regions.models import Compound, Household, HouseUse, Region

from .common import VISITOR_ROLES, today
from .models import (
    CareGroup,
    CareRecord,
    ProblemStatus,
    Residence,
    ResidenceKind,
    Resident,
    Visit,
    VisitProblem,
)
from .query import KeysetPage, keyset_page, scoped, text_prefix

FULL_ID = re.compile(r"^[0-9]{17}[0-9X]$")
MASKED_ID = re.compile(r"^[0-9]{6}\*{8}[0-9]{3}[0-9X]$")
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
MASKED_PHONE = re.compile(r"^1[0-9]{2}\*{4}[0-9]{4}$")

LIST_ORDER = ("region_key", "id")
NAME_ORDER = ("name", "region_key", "id")
RESIDENT_LIST_FIELDS = (
    "id",
    "name",
    "id_masked",
    "gender",
    "birth_date",
    "phone_masked",
    "household",
    "region_key",
    "kind",
    "moved_in",
    "left_on",
    "household__unit",
    "household__room",
    "household__building__name",
    "household__building__compound__name",
)


def residents(*, user, ranged: bool = True) -> QuerySet:
    """Every resident record in the user's scope (present and departed)."""
    require(user, VIEW_PEOPLE)
    return scoped(Resident.objects.all(), user, ranged=ranged)


def _narrowest(*, user, region: str) -> str:
    """The key prefix a list covers: the region asked for (404 outside the scope), or the scope."""
    if region:
        return region_selectors.region_get(user=user, code=region).key
    return scope_key_of(user) or ""


# A substring of a name cannot use an index: the scan is bounded to a street's people.
CONTAINS_MIN_KEY = 9


def resident_get(*, user, pk: int) -> Resident:
    return get_or_404(residents(user=user).select_related("household__building__compound"), pk=pk)


@dataclass
class Search:
    """How a search box entry was read: which field it was matched against."""

    mode: str  # list | id_number | phone | id_masked | phone_masked | name | name_contains
    label: str


def classify(q: str, match: str = "prefix") -> Search:
    """Read what a person typed: a full ID number or mobile number (exact, through the blind
    index), a masked one as shown in lists (exact), or else a name (prefix, or contains)."""
    value = q.strip().upper()
    if not value:
        return Search("list", "")
    if FULL_ID.match(value):
        return Search("id_number", _("身份证号（精确）"))
    if MOBILE.match(value):
        return Search("phone", _("手机号（精确）"))
    if MASKED_ID.match(value):
        return Search("id_masked", _("脱敏身份证号"))
    if MASKED_PHONE.match(value):
        return Search("phone_masked", _("脱敏手机号"))
    if match == "contains":
        return Search("name_contains", _("姓名包含"))
    return Search("name", _("姓名开头"))


STATUSES = ("present", "departed", "all")


def resident_search(
    *,
    user,
    q: str = "",
    region: str = "",
    address: str = "",
    kind: str = "",
    status: str = "",
    match: str = "prefix",
    cursor: str = "",
    limit: int = 50,
) -> tuple[KeysetPage, Search]:
    """One keyset page of residents in scope, filtered by a search box (see `classify`), a region
    code (grid, community …), an address (compound name or address contains), the population
    kind and presence. Exact identifiers find departed people too unless `status` says otherwise."""
    rows = residents(user=user, ranged=False)
    search = classify(q, match)
    value = q.strip().upper()
    if len(value) > 50:
        raise DomainError(_("搜索内容最多50个字"), field="q")
    prefix = _narrowest(user=user, region=region)
    if region:
        rows = rows.filter(region_key__startswith=prefix)
    ordering = LIST_ORDER
    exact = search.mode in ("id_number", "phone", "id_masked", "phone_masked")
    if search.mode == "id_number":
        rows = rows.filter(id_index=pii.blind_index(value))
    elif search.mode == "phone":
        rows = rows.filter(phone_index=pii.phone_index(value))
    elif search.mode == "id_masked":
        rows = rows.filter(id_masked=value)
    elif search.mode == "phone_masked":
        rows = rows.filter(phone_masked=value)
    elif search.mode == "name":
        rows = rows.filter(text_prefix("name", q.strip()))
        ordering = NAME_ORDER
    elif search.mode == "name_contains":
        if len(prefix) < CONTAINS_MIN_KEY:
            raise DomainError(
                _("姓名包含搜索请先把区域限定到街道或更小的范围（填写区域代码），或改用姓名开头搜索"),
                field="region",
            )
        rows = rows.filter(name__contains=q.strip())
    status = status or ("all" if exact else "present")
    if status not in STATUSES:
        raise DomainError(_("状态应为 present、departed 或 all"), field="status")
    if status == "present":
        rows = rows.filter(left_on__isnull=True)
    elif status == "departed":
        rows = rows.filter(left_on__isnull=False)
    if kind:
        if kind not in ResidenceKind.values:
            raise DomainError(_("人口类别应为 registered 或 floating"), field="kind")
        rows = rows.filter(kind=kind)
    address = address.strip()
    if address:
        if len(address) > 50:
            raise DomainError(_("地址最多50个字"), field="address")
        compounds = scoped(Compound.objects.all(), user).filter(
            Q(name__contains=address) | Q(address__contains=address)
        )
        homes = scoped(Household.objects.all(), user).filter(building__compound__in=compounds.values("id"))
        rows = rows.filter(household__in=homes.values("id"))
    rows = rows.select_related("household__building__compound").only(*RESIDENT_LIST_FIELDS)
    # Exact numbers go straight to their own index; everything else walks the key range.
    page = keyset_page(
        rows, ordering=ordering, cursor=cursor, limit=limit, prefix=None if exact else ("region_key", prefix)
    )
    attach_grid_names(page.items)
    return page, search


def attach_grid_names(items) -> None:
    """`grid_name` on each row, from one query for the page."""
    keys = {item.region_key[:15] for item in items}
    names = dict(Region.objects.filter(key__in=keys).values_list("key", "name")) if keys else {}
    for item in items:
        item.grid_name = names.get(item.region_key[:15], "")


def resident_history(*, user, resident: Resident) -> list[Residence]:
    """The resident's stays, oldest first. Stays in homes outside the viewer's scope keep their
    dates but not their address (`visible` is False)."""
    require(user, VIEW_PEOPLE)
    rows = list(
        Residence.objects.filter(resident=resident)
        .select_related("household__building__compound", "recorded_by")
        .order_by("started", "id")
    )
    for row in rows:
        row.visible = in_scope(user, row.region_key)
    return rows


def care_of_resident(*, user, resident: Resident) -> list[CareRecord]:
    require(user, VIEW_PEOPLE)
    return list(
        scoped(CareRecord.objects.all(), user)
        .filter(resident=resident)
        .select_related("responsible")
        .order_by("ended_on", "group")
    )


# ---- houses -----------------------------------------------------------------------------


def households(*, user) -> QuerySet:
    require(user, VIEW_PEOPLE)
    return scoped(Household.objects.all(), user)


def household_get(*, user, pk: int) -> Household:
    return get_or_404(households(user=user).select_related("building__compound__grid", "building__microgrid"), pk=pk)


def household_residents(*, user, household: Household) -> list[Resident]:
    return list(residents(user=user).filter(household=household).order_by("moved_in", "id"))


def household_history(*, user, household: Household) -> list[Residence]:
    """Everyone who lived here, newest stay first."""
    require(user, VIEW_PEOPLE)
    return list(
        scoped(Residence.objects.all(), user)
        .filter(household=household)
        .select_related("resident")
        .order_by("-started", "-id")[:200]
    )


def house_list(*, user, region: str = "", use: str | None = None, cursor: str = "", limit: int = 50) -> KeysetPage:
    """A keyset page of houses in scope, by region code and use (`use=""` means not yet recorded)."""
    require(user, VIEW_PEOPLE)
    prefix = _narrowest(user=user, region=region)
    rows = scoped(Household.objects.all(), user, ranged=False).select_related("building__compound")
    if region:
        rows = rows.filter(region_key__startswith=prefix)
    if use is not None:
        if use not in HouseUse.values:
            raise DomainError(_("房屋用途应为 self、rented、vacant、business 或空"), field="use")
        rows = rows.filter(use=use)
    page = keyset_page(rows, ordering=LIST_ORDER, cursor=cursor, limit=limit, prefix=("region_key", prefix))
    counts = dict(
        Resident.objects.filter(household__in=[h.pk for h in page.items])
        .values_list("household")
        .annotate(n=Count("id"))
        .values_list("household", "n")
    )
    for house in page.items:
        house.resident_count = counts.get(house.pk, 0)
    attach_grid_names(page.items)
    return page


def household_pick(*, user, q: str, limit: int = 20) -> list[Household]:
    """Houses matching "小区 [楼栋 [房号]]" (compound name contains, building name starts with,
    room exact), for choosing a destination on a phone."""
    parts = q.split()
    if not parts or len(q) > 60:
        return []
    rows = households(user=user).select_related("building__compound")
    rows = rows.filter(building__compound__name__contains=parts[0])
    if len(parts) > 1:
        rows = rows.filter(building__name__startswith=parts[1])
    if len(parts) > 2:
        rows = rows.filter(room=parts[2])
    return list(rows.order_by("region_key", "id")[:limit])


# ---- care ------------------------------------------------------------------------------


def care_records(*, user) -> QuerySet:
    require(user, VIEW_PEOPLE)
    return scoped(CareRecord.objects.all(), user)


def care_get(*, user, pk: int) -> CareRecord:
    return get_or_404(care_records(user=user).select_related("resident", "responsible"), pk=pk)


def care_list(
    *,
    user,
    group: str = "",
    region: str = "",
    unassigned: bool = False,
    include_ended: bool = False,
    cursor: str = "",
    limit: int = 50,
) -> KeysetPage:
    require(user, VIEW_PEOPLE)
    prefix = _narrowest(user=user, region=region)
    rows = scoped(CareRecord.objects.all(), user, ranged=False).select_related(
        "resident__household__building__compound", "responsible"
    )
    if region:
        rows = rows.filter(region_key__startswith=prefix)
    if group:
        if group not in CareGroup.values:
            raise DomainError(_("未知的关爱类别：%(g)s") % {"g": group}, field="group")
        rows = rows.filter(group=group)
    if unassigned:
        rows = rows.filter(responsible__isnull=True)
    if not include_ended:
        rows = rows.filter(ended_on__isnull=True)
    page = keyset_page(rows, ordering=LIST_ORDER, cursor=cursor, limit=limit, prefix=("region_key", prefix))
    for record in page.items:
        _mark_due(record, today())
    return page


def _mark_due(record: CareRecord, day: datetime.date) -> None:
    record.due_on = record.next_due_on or day
    record.overdue_days = max((day - record.due_on).days, 0) if record.ended_on is None else 0
    record.never_visited = record.last_visit_on is None


def due_visits(*, user, worker: User | None = None, everyone: bool = False, day: datetime.date | None = None):
    """Open care records to visit, overdue first: next due = last visit + frequency, and never
    visited counts as due today. By default the user's own (as the named visitor); `worker`
    picks another visitor in scope, `everyone` lists all in scope including unassigned ones."""
    day = day or today()
    rows = care_records(user=user).filter(ended_on__isnull=True)
    if not everyone:
        rows = rows.filter(responsible=worker or user)
    rows = (
        rows.select_related("resident__household__building__compound", "responsible")
        .annotate(due=Coalesce("next_due_on", Value(day), output_field=DateField()))
        .order_by("due", "level", "id")
    )
    return DueList(rows, day)


class DueList:
    """A lazily sliced due-visits queryset whose rows carry `due_on` and `overdue_days`."""

    def __init__(self, queryset: QuerySet, day: datetime.date):
        self.queryset, self.day = queryset, day

    def __len__(self):
        return self.queryset.count()

    def count(self):
        return self.queryset.count()

    def __getitem__(self, item):
        rows = self.queryset[item]
        if isinstance(item, slice):
            rows = list(rows)
            for row in rows:
                _mark_due(row, self.day)
            return rows
        _mark_due(rows, self.day)
        return rows

    def __iter__(self):
        return iter(self[:])


def visitor_candidates(*, user, region_key: str) -> QuerySet:
    """Who may be named as the visitor of a resident living under `region_key`: active grid
    workers, building heads and community workers in the user's scope whose scope covers it."""
    prefixes = [region_key[:n] for n in (2, 4, 6, 9, 12, 15, 17) if n <= len(region_key)]
    return (
        visible_users(user=user)
        .filter(is_active=True, role__in=VISITOR_ROLES, scope_region__key__in=prefixes)
        .order_by("role", "username")
    )


def visitor_get(*, user, username: str) -> User:
    """A user named as a visitor, found only inside the viewer's scope."""
    found = visible_users(user=user).filter(username=username).first()
    if found is None:
        raise DomainError(_("用户%(u)s不存在或不在您的管辖范围内") % {"u": username}, field="responsible")
    return found


# ---- visits and problems ---------------------------------------------------------------


def visits(*, user) -> QuerySet:
    require(user, VIEW_PEOPLE)
    return scoped(Visit.objects.all(), user)


def visit_get(*, user, pk: int) -> Visit:
    return get_or_404(visits(user=user).select_related("household__building__compound", "visitor"), pk=pk)


def visits_of_household(*, user, household: Household, limit: int = 20) -> list[Visit]:
    return list(
        visits(user=user)
        .filter(household=household)
        .select_related("visitor")
        .prefetch_related("met", "problems")
        .order_by("-visited_on", "-id")[:limit]
    )


def visit_list(*, user, mine: bool = False, household: Household | None = None) -> QuerySet:
    rows = visits(user=user).select_related("household__building__compound", "visitor")
    if mine:
        rows = rows.filter(visitor=user)
    if household is not None:
        rows = rows.filter(household=household)
    return rows.order_by("-visited_on", "-id")


def _require_staff(user) -> None:
    if getattr(user, "role", None) not in STAFF_ROLES:
        raise Forbidden(_("只有工作人员可以查看走访发现的问题"))


def open_visit_problems(*, user) -> QuerySet:
    """Problems raised at the door that no case has taken yet, in the user's scope, oldest
    first: what the case workflow offers to take (`services.visit_problem_mark_taken`)."""
    _require_staff(user)
    return (
        scoped(VisitProblem.objects.filter(status=ProblemStatus.OPEN), user)
        .select_related("household__building__compound", "reporter", "visit")
        .order_by("created_at", "id")
    )


def visit_problem_list(*, user, status: str = ProblemStatus.OPEN) -> QuerySet:
    if status and status not in ProblemStatus.values:
        raise DomainError(_("状态应为 open 或 taken"), field="status")
    if status == ProblemStatus.OPEN:
        return open_visit_problems(user=user)
    _require_staff(user)
    rows = scoped(VisitProblem.objects.all(), user).select_related("household__building__compound", "reporter", "visit")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-id")


def visit_problem_get(*, user, pk: int) -> VisitProblem:
    return get_or_404(visit_problem_list(user=user, status=""), pk=pk)


# ---- shared with the building page -------------------------------------------------------


def residents_of_households(*, user, households) -> dict[int, list[Resident]]:
    """Residents of the given households, masked fields only, grouped by household id."""
    require(user, VIEW_PEOPLE)
    grouped = defaultdict(list)
    rows = (
        scoped(Resident.objects.all(), user)
        .filter(household__in=[h.pk for h in households])
        .only("id", "name", "id_masked", "phone_masked", "gender", "birth_date", "kind", "household_id")
    )
    for resident in rows:
        grouped[resident.household_id].append(resident)
    return grouped


# ---- looking up what a form or request names by id ---------------------------------------


def residents_by_ids(*, user, ids: list[int], field: str) -> list[Resident]:
    """The residents named by `ids`, in that order; any missing or out of scope is a 404 naming
    its position (`met.2`)."""
    found = residents(user=user).in_bulk(list(ids)) if ids else {}
    for index, pk in enumerate(ids):
        if pk not in found:
            raise NotFound(_("居民不存在或不在您的管辖范围内"), field=f"{field}.{index}")
    return [found[pk] for pk in ids]


def care_by_ids(*, user, ids: list[int], field: str) -> list[CareRecord]:
    found = care_records(user=user).in_bulk(list(ids)) if ids else {}
    for index, pk in enumerate(ids):
        if pk not in found:
            raise NotFound(_("关爱记录不存在或不在您的管辖范围内"), field=f"{field}.{index}")
    return [found[pk] for pk in ids]


def open_care_of_household(*, user, household: Household) -> list[CareRecord]:
    return list(
        care_records(user=user)
        .filter(resident__household=household, ended_on__isnull=True)
        .select_related("resident")
        .order_by("resident_id", "group")
    )
