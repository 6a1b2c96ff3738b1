"""Reads of the party app, each starting from the user's scope (ARCHITECTURE habit 2).

Staff holding `view_party` see organisations sitting in their subtree (and non-territorial
ones serving a place in it), members living there or belonging to an organisation there, and
the registrations, lists, activities and service records of their subtree. Anyone logged in
sees the needs, projects and activities of the community they live in, so residents and
members can claim, join and sign up from their phones."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from wangge.accounts.roles import VIEW_PARTY, require
from wangge.core.scope import get_or_404, restrict, scope_key_of
from wangge.regions.models import Compound, Level, Region

from .common import takes_part
from .models import (
    Activity,
    Attendance,
    Claim,
    Member,
    MemberStatus,
    Need,
    Offer,
    Organisation,
    OrgCategory,
    OrgKind,
    Project,
    Registration,
    ServiceRecord,
    ServiceStatus,
)

# ---- organisations --------------------------------------------------------------------------


def visible_organisations(*, user) -> QuerySet:
    key = scope_key_of(user)
    if key is None or not user.can(VIEW_PARTY):
        return Organisation.objects.none()
    serves = Organisation.served_regions.through.objects.filter(
        organisation_id=OuterRef("pk"), region__key__startswith=key
    )
    return Organisation.objects.filter(Q(region_key__startswith=key) | Exists(serves)).select_related(
        "region", "compound", "unit"
    )


def organisations_sitting_in_scope(*, user) -> QuerySet:
    """Organisations whose own place lies in the user's scope: those a member can be transferred
    to from here (not those that merely serve a region of it)."""
    key = scope_key_of(user)
    if key is None or not user.can(VIEW_PARTY):
        return Organisation.objects.none()
    return Organisation.objects.filter(region_key__startswith=key)


def organisations_just_above_scope(*, user) -> QuerySet:
    """The street's and the community's organisations above the user's scope: a community's
    staff hang their branches under the street's 党工委, a grid's under the community's."""
    key = scope_key_of(user)
    if key is None or not user.can(VIEW_PARTY):
        return Organisation.objects.none()
    return Organisation.objects.filter(region_key__in={key[:9], key[:12]} - {key})


def organisation_get(*, user, pk: int) -> Organisation:
    require(user, VIEW_PARTY)
    return get_or_404(visible_organisations(user=user), pk=pk)


def organisation_list(*, user, q: str = "", kind: str = "", category: str = "") -> QuerySet:
    require(user, VIEW_PARTY)
    organisations = visible_organisations(user=user)
    if q.strip():
        organisations = organisations.filter(name__icontains=q.strip())
    if kind:
        organisations = organisations.filter(kind=kind)
    if category:
        organisations = organisations.filter(category=category)
    return organisations.order_by("region_key", "id")


# Formation rules (党章 and the organisation regulations): three full members for a branch,
# fewer join a joint branch, more than 50 a general branch, more than 100 a committee.
BRANCH_MIN_FULL, BRANCH_MAX, GENERAL_MAX = 3, 50, 100
RULED_KINDS = {OrgKind.BRANCH, OrgKind.JOINT_BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.COMMITTEE}


@dataclass
class TreeNode:
    organisation: Organisation
    members: int = 0  # in this organisation and every organisation below it
    full_members: int = 0
    children: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    depth: int = 0


def formation_warnings(kind: str, members: int, full_members: int) -> list[str]:
    """Where an organisation's type no longer fits the members it has (its subtree's)."""
    if kind == OrgKind.BRANCH:
        if full_members < BRANCH_MIN_FULL:
            return [_("正式党员%(n)d人，不足3人：应与邻近单位或小区组成联合党支部") % {"n": full_members}]
        if members > BRANCH_MAX:
            return [_("党员%(n)d人，超过50人：应设立党总支或拆分支部") % {"n": members}]
    if kind == OrgKind.JOINT_BRANCH and members > BRANCH_MAX:
        return [_("党员%(n)d人，超过50人：应设立党总支或拆分支部") % {"n": members}]
    if kind == OrgKind.GENERAL_BRANCH:
        if members > GENERAL_MAX:
            return [_("党员%(n)d人，超过100人：可设立党委") % {"n": members}]
        if members <= BRANCH_MAX:
            return [_("党员%(n)d人，未超过50人：应改设党支部") % {"n": members}]
    if kind == OrgKind.COMMITTEE and members <= GENERAL_MAX:
        return [_("党员%(n)d人，未超过100人：不符合设立党委的条件") % {"n": members}]
    return []


def party_tree(*, user) -> list[TreeNode]:
    """The visible organisations as a tree with member counts and formation warnings, in
    depth-first order (each node's `depth` for indenting). Two queries whatever the size."""
    require(user, VIEW_PARTY)
    organisations = list(visible_organisations(user=user).order_by("region_key", "id"))
    counts = defaultdict(lambda: [0, 0])
    for row in (
        Member.objects.filter(organisation__in=[o.pk for o in organisations], left_on__isnull=True)
        .values("organisation_id")
        .annotate(total=Count("id"), full=Count("id", filter=Q(status=MemberStatus.FULL)))
    ):
        counts[row["organisation_id"]] = [row["total"], row["full"]]
    nodes = {o.pk: TreeNode(o, *counts[o.pk]) for o in organisations}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.organisation.parent_id)
        (parent.children if parent else roots).append(node)

    def total(node: TreeNode) -> tuple[int, int]:
        for child in node.children:
            members, full = total(child)
            node.members += members
            node.full_members += full
        node.warnings = formation_warnings(node.organisation.kind, node.members, node.full_members)
        return node.members, node.full_members

    ordered = []

    def walk(node: TreeNode, depth: int) -> None:
        node.depth = depth
        ordered.append(node)
        for child in node.children:
            walk(child, depth + 1)

    for root in roots:
        total(root)
        walk(root, 0)
    return ordered


@dataclass
class Gap:
    place: object  # a Compound or a grid Region
    kind: str
    full_members: int


def coverage_gaps(*, user, minimum: int = BRANCH_MIN_FULL) -> list[Gap]:
    """Compounds and grids of the scope where at least three full members live but no party
    organisation sits (德阳: every eligible compound has one)."""
    require(user, VIEW_PARTY)
    key = scope_key_of(user)
    members = restrict(Member.objects.filter(status=MemberStatus.FULL, left_on__isnull=True), user)
    gaps = []
    by_compound = (
        members.filter(household__isnull=False)
        .values("household__building__compound")
        .annotate(n=Count("id"))
        .filter(n__gte=minimum)
    )
    wanted = {row["household__building__compound"]: row["n"] for row in by_compound}
    covered = set(Organisation.objects.filter(compound_id__in=wanted).values_list("compound_id", flat=True))
    for compound in Compound.objects.filter(pk__in=set(wanted) - covered).select_related("grid").order_by("region_key"):
        gaps.append(Gap(compound, _("小区"), wanted[compound.pk]))
    per_grid = defaultdict(int)
    for region_key in members.values_list("region_key", flat=True):
        per_grid[region_key[:15]] += 1
    grids = {k: n for k, n in per_grid.items() if n >= minimum and len(k) == 15}
    sits = Organisation.objects.filter(region_key__startswith=key or "-").values_list("region_key", flat=True)
    covered_grids = {k[:15] for k in sits if len(k) >= 15}
    for grid in Region.objects.filter(key__in=set(grids) - covered_grids, level=Level.GRID).order_by("key"):
        gaps.append(Gap(grid, _("网格"), grids[grid.key]))
    return gaps


# ---- members --------------------------------------------------------------------------------


def visible_members(*, user) -> QuerySet:
    key = scope_key_of(user)
    if key is None or not user.can(VIEW_PARTY):
        return Member.objects.none()
    return Member.objects.filter(
        Q(region_key__startswith=key) | Q(organisation__region_key__startswith=key)
    ).select_related("organisation", "household__building__compound", "home_grid", "employer")


def member_list(
    *, user, q: str = "", organisation: Organisation | None = None, status: str = "", post: str = ""
) -> QuerySet:
    require(user, VIEW_PARTY)
    members = visible_members(user=user)
    q = q.strip()
    if q:
        members = members.filter(Q(name__startswith=q) | Q(id_masked=q) | Q(employer_name__icontains=q))
    if organisation is not None:
        members = members.filter(organisation=organisation)
    if status == "left":  # former members: transferred out, deceased …
        members = members.filter(left_on__isnull=False)
    else:
        members = members.filter(left_on__isnull=True)
        if status:
            members = members.filter(status=status)
    if post == "any":
        members = members.exclude(post="")
    elif post:
        members = members.filter(post=post)
    return members.order_by("region_key", "id")


def member_get(*, user, pk: int) -> Member:
    require(user, VIEW_PARTY)
    return get_or_404(visible_members(user=user), pk=pk)


def party_households(*, user, household_ids) -> set[int]:
    """Which of these households show a member's identity (亮身份, 党员户). Not personal: the
    plaque hangs on the door; anyone who may see the building page sees it."""
    if scope_key_of(user) is None:
        return set()
    return set(
        Member.objects.filter(
            household_id__in=list(household_ids), shows_identity=True, left_on__isnull=True
        ).values_list("household_id", flat=True)
    )


# ---- dual reporting and the lists ------------------------------------------------------------


def registration_list(*, user, status: str = "") -> QuerySet:
    require(user, VIEW_PARTY)
    registrations = restrict(Registration.objects.select_related("organisation", "member", "community", "grid"), user)
    if status:
        registrations = registrations.filter(status=status)
    return registrations.order_by("-created_at", "-id")


def registration_get(*, user, pk: int) -> Registration:
    require(user, VIEW_PARTY)
    return get_or_404(restrict(Registration.objects.all(), user), pk=pk)


def _reaching(queryset: QuerySet, user) -> QuerySet:
    """Rows under the user's scope, plus (for anyone) community-wide rows above it."""
    key = scope_key_of(user)
    if key is None or not takes_part(user):
        return queryset.none()
    above = [key[:n] for n in (12, 15) if len(key) > n]
    return queryset.filter(Q(region_key__startswith=key) | Q(region_key__in=above))


def need_list(*, user, status: str = "") -> QuerySet:
    needs = _reaching(Need.objects.select_related("region"), user)
    if status:
        needs = needs.filter(status=status)
    return needs.prefetch_related("claims__organisation", "claims__member").order_by("-created_at", "-id")


def need_get(*, user, pk: int) -> Need:
    return get_or_404(_reaching(Need.objects.all(), user), pk=pk)


def offer_list(*, user, status: str = "") -> QuerySet:
    require(user, VIEW_PARTY)
    offers = restrict(Offer.objects.select_related("organisation", "member", "community"), user)
    if status:
        offers = offers.filter(status=status)
    return offers.order_by("-created_at", "-id")


def offer_get(*, user, pk: int) -> Offer:
    require(user, VIEW_PARTY)
    return get_or_404(restrict(Offer.objects.all(), user), pk=pk)


def project_list(*, user, status: str = "") -> QuerySet:
    projects = _reaching(Project.objects.select_related("community"), user)
    if status:
        projects = projects.filter(status=status)
    return projects.annotate(joined=Count("claims", filter=Q(claims__status="active"))).order_by("-created_at", "-id")


def project_get(*, user, pk: int) -> Project:
    return get_or_404(_reaching(Project.objects.all(), user), pk=pk)


def claim_list(*, user) -> QuerySet:
    require(user, VIEW_PARTY)
    return restrict(
        Claim.objects.select_related("need", "offer", "project", "organisation", "member", "community"), user
    ).order_by("-created_at", "-id")


def claim_get(*, user, pk: int) -> Claim:
    require(user, VIEW_PARTY)
    return get_or_404(restrict(Claim.objects.all(), user), pk=pk)


def approved_reporters(*, user) -> dict:
    """Organisations and members with an approved registration in the user's scope, to pick
    who claims on a form."""
    registrations = registration_list(user=user, status="approved")
    return {
        "organisations": [r.organisation for r in registrations if r.organisation_id],
        "members": [r.member for r in registrations if r.member_id],
    }


# ---- activities and service -----------------------------------------------------------------


def activity_list(*, user, upcoming: bool | None = None) -> QuerySet:
    activities = _reaching(Activity.objects.select_related("community"), user)
    return activities.annotate(
        signed=Count("attendances", distinct=True),
        checked=Count("attendances", filter=Q(attendances__checked_in_at__isnull=False), distinct=True),
    ).order_by("-starts_at", "-id")


def activity_get(*, user, pk: int) -> Activity:
    return get_or_404(_reaching(Activity.objects.select_related("community"), user), pk=pk)


def attendances_of(*, activity: Activity) -> QuerySet:
    return Attendance.objects.filter(activity=activity).select_related("member", "user").order_by("id")


def my_attendance(*, user, activity: Activity) -> Attendance | None:
    return Attendance.objects.filter(activity=activity).filter(Q(user=user) | Q(member__user=user)).first()


def service_list(*, user, status: str = "", activity: Activity | None = None) -> QuerySet:
    require(user, VIEW_PARTY)
    records = restrict(ServiceRecord.objects.select_related("member", "user", "organisation", "activity"), user)
    if status:
        records = records.filter(status=status)
    if activity is not None:
        records = records.filter(activity=activity)
    return records.order_by("-occurred_on", "-id")


def service_get(*, user, pk: int) -> ServiceRecord:
    require(user, VIEW_PARTY)
    return get_or_404(restrict(ServiceRecord.objects.all(), user), pk=pk)


# ---- 双报告: the yearly report back to employers ---------------------------------------------


@dataclass
class ReportLine:
    who: str
    kind: str  # 党员 / 单位党组织
    id_masked: str
    organisation: str
    communities: str
    records: int
    hours: object
    claims: int


def annual_report(*, user, year: int) -> dict[str, list[ReportLine]]:
    """Per employer, one line per in-service member and per unit organisation: confirmed service
    (records, hours) and claims in the year, in the user's scope. Identifiers stay masked."""
    require(user, VIEW_PARTY)
    records = restrict(ServiceRecord.objects.filter(status=ServiceStatus.CONFIRMED, occurred_on__year=year), user)
    claims = restrict(Claim.objects.filter(created_at__year=year).exclude(status="withdrawn"), user)
    report: dict[str, list[ReportLine]] = defaultdict(list)
    by_member = {
        row["member"]: row
        for row in records.filter(member__isnull=False).values("member").annotate(n=Count("id"), h=Sum("hours"))
    }
    member_claims = dict(claims.filter(member__isnull=False).values_list("member").annotate(n=Count("id")))
    places = defaultdict(set)
    for member_id, name in records.filter(member__isnull=False).values_list("member", "community__name"):
        places[member_id].add(name)
    ids = set(by_member) | set(member_claims)
    for member in Member.objects.filter(pk__in=ids, in_service=True).select_related("organisation", "employer"):
        row = by_member.get(member.pk, {"n": 0, "h": 0})
        report[member.employer_label or _("（未填写单位）")].append(
            ReportLine(
                member.name, _("党员"), member.id_masked, member.organisation.name,
                "、".join(sorted(places[member.pk])), row["n"], row["h"] or 0, member_claims.get(member.pk, 0),
            )
        )  # fmt: skip
    by_org = {
        row["organisation"]: row
        for row in records.filter(organisation__isnull=False)
        .values("organisation")
        .annotate(n=Count("id"), h=Sum("hours"))
    }
    org_claims = dict(claims.filter(organisation__isnull=False).values_list("organisation").annotate(n=Count("id")))
    for organisation in Organisation.objects.filter(
        pk__in=set(by_org) | set(org_claims), category=OrgCategory.UNIT
    ).select_related("unit", "region"):
        row = by_org.get(organisation.pk, {"n": 0, "h": 0})
        report[organisation.unit.name].append(
            ReportLine(
                organisation.name, _("单位党组织"), "", organisation.name, organisation.region.name,
                row["n"], row["h"] or 0, org_claims.get(organisation.pk, 0),
            )
        )  # fmt: skip
    return dict(sorted(report.items()))
