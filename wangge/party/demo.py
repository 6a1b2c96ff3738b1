"""The demo city's 党建 content; `CityBuilder.build` calls `build(builder)` after the cases.

Deterministic for a seed (its own random stream, so the rest of the city is unchanged) and fast:
the territorial tree of every street (党工委, 社区党委, 网格党支部) is written in bulk; the demo
street (南城街道) gets compound branches, building groups, a centre household, non-territorial
organisations, members chosen from its residents, and the demo community (上平社区) goes through
the real services for 双报到, the three lists with claims, activities with sign-ups and check-ins,
and service records — some confirmed, which tells the points ledger as in production.
"""

import datetime
import random

from django.utils import timezone

from wangge.accounts.models import User
from wangge.regions.models import Building, Compound, Level, Region
from wangge.registry.models import Resident
from wangge.units.models import Unit

from . import activities, lists, services
from .models import (
    Activity,
    Attendance,
    Member,
    MemberStatus,
    Organisation,
    OrgCategory,
    OrgKind,
    Post,
    ServiceRecord,
)

DEMO_STREET, DEMO_COMMUNITY, DEMO_GRID = "510502001", "510502001001", "510502001001001"
POSTS = [p for p in Post.values if p]
DUTIES = {
    Post.POLICY: "每月在楼栋宣传一次惠民政策",
    Post.CONFLICT: "参与调解邻里纠纷",
    Post.SAFETY: "每周参加一次平安巡逻",
    Post.ENVIRONMENT: "督促楼道卫生和垃圾分类",
    Post.CARE: "结对联系一户独居老人",
    Post.DELIBERATION: "参加小区议事会并监督落实",
    Post.CULTURE: "组织文明劝导",
}
NEEDS = [
    ("楼道声控灯损坏需更换", "grid"),
    ("独居老人希望有人陪同就医", "resident"),
    ("小区缺少儿童课后托管", "community"),
    ("老旧小区加装扶手", "resident"),
    ("周末需要志愿者协助垃圾分类督导", "grid"),
    ("社区活动室需要投影设备", "community"),
]
OFFERS = ["法律咨询进社区", "免费健康体检", "会议室周末开放", "税收政策讲座", "少儿书法课"]
PROJECTS = [("老旧小区微更新", "与驻区单位共同改造楼道和休闲角"), ("银龄关爱行动", "结对帮扶独居和空巢老人")]


def _tree(rng: random.Random) -> dict[str, Organisation]:
    """党工委 → 社区党委 → 网格党支部 for every street, in bulk (no per-row audit: the demo
    build leaves one record for all of it)."""
    streets = list(Region.objects.filter(level=Level.STREET).order_by("key"))
    Organisation.objects.bulk_create(
        [
            Organisation(name=f"{s.name}党工委", kind=OrgKind.STREET_COMMITTEE, region=s, region_key=s.key)
            for s in streets
        ]
    )
    by_key = {o.region_key: o for o in Organisation.objects.all()}
    communities = list(Region.objects.filter(level=Level.COMMUNITY).order_by("key"))
    Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"{c.name}党委",
                kind=OrgKind.COMMUNITY_COMMITTEE,
                region=c,
                region_key=c.key,
                parent=by_key[c.key[:9]],
                secretary=_person(rng),
            )
            for c in communities
        ]
    )
    by_key = {o.region_key: o for o in Organisation.objects.all()}
    grids = list(Region.objects.filter(level=Level.GRID).order_by("key"))
    Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"{g.name}党支部", kind=OrgKind.BRANCH, region=g, region_key=g.key, parent=by_key[g.key[:12]]
            )
            for g in grids
        ],
        batch_size=1000,
    )
    return {o.region_key: o for o in Organisation.objects.filter(region_key__startswith=DEMO_STREET)}


def _person(rng: random.Random) -> str:
    from wangge.demo import names

    return rng.choice(names.SURNAMES) + "".join(rng.choice(names.GIVEN_CHARS) for _ in range(rng.choice((1, 2))))


def _street_details(rng: random.Random, tree: dict[str, Organisation]) -> dict:
    """Compound branches, building groups and a centre household in the demo community; the
    non-territorial organisations of the demo street; the party organisations of its units."""
    made = {}
    community = tree[DEMO_COMMUNITY]
    compounds = list(
        Compound.objects.filter(region_key__startswith=DEMO_COMMUNITY, has_party_organisation=True).order_by("id")
    )
    for compound in compounds:
        branch = Organisation.objects.create(
            name=f"{compound.name}党支部",
            kind=OrgKind.BRANCH,
            region=compound.grid,
            region_key=compound.grid.key,
            compound=compound,
            parent=community,
            secretary=_person(rng),
        )
        made.setdefault("compound_branches", []).append(branch)
        for building in Building.objects.filter(compound=compound).order_by("id")[:2]:
            group = Organisation.objects.create(
                name=f"{compound.name}{building.name}党小组",
                kind=OrgKind.GROUP,
                region=building.microgrid or compound.grid,
                region_key=(building.microgrid or compound.grid).key,
                building=building,
                parent=branch,
            )
            made.setdefault("groups", []).append(group)
    if made.get("groups"):
        group = made["groups"][0]
        made["centre"] = Organisation.objects.create(
            name=f"{_person(rng)}党员中心户",
            kind=OrgKind.CENTRE_HOUSEHOLD,
            region=group.region,
            region_key=group.region_key,
            building=group.building,
            parent=group,
        )
    street = Region.objects.get(key=DEMO_STREET)
    demo_communities = list(Region.objects.filter(level=Level.COMMUNITY, key__startswith=DEMO_STREET).order_by("key"))
    for name, kind, category in (
        ("南城街道快递行业联合党支部", OrgKind.JOINT_BRANCH, OrgCategory.SECTOR),
        ("南城街道新就业群体联合党支部", OrgKind.JOINT_BRANCH, OrgCategory.NEW_EMPLOYMENT),
        ("南城楼宇商圈党支部", OrgKind.BRANCH, OrgCategory.BUSINESS_DISTRICT),
        ("白酒产业链党委", OrgKind.COMMITTEE, OrgCategory.INDUSTRY_CHAIN),  # under 100 members: the tree says so
    ):
        organisation = services.organisation_create(
            actor=None,
            name=name,
            kind=kind,
            category=category,
            region_code=street.code,
            parent_id=tree[DEMO_STREET].pk,
            served_region_codes=[c.code for c in demo_communities[: rng.randint(1, len(demo_communities))]],
            secretary=_person(rng),
        )
        if kind != OrgKind.COMMITTEE:
            made.setdefault("non_territorial", []).append(organisation)
    units = list(
        Unit.objects.filter(region_key__startswith=DEMO_STREET, has_party_organisation=True).order_by(
            "region_key", "id"
        )
    )
    made["unit_orgs"] = [
        services.organisation_create(
            actor=None,
            name=unit.party_organisation_name or f"{unit.name}党支部",
            kind=OrgKind.BRANCH,
            category=OrgCategory.UNIT,
            region_code=unit.grid.code,
            unit_code=unit.credit_code,
        )
        for unit in units
    ]
    return made


def _members(rng: random.Random, tree: dict[str, Organisation], made: dict) -> list[Member]:
    """Members chosen from the demo street's residents (adults), copying their stored identity
    (already encrypted) rather than decrypting it: 2–6 per grid branch, more in compounds with
    a branch, a few in-service members working at the units."""
    today = datetime.date(2026, 1, 1)
    adults = list(
        Resident.objects.filter(
            region_key__startswith=DEMO_STREET, household__isnull=False, birth_date__lte=datetime.date(2002, 1, 1)
        )
        .select_related("household__building")
        .order_by("id")
    )
    rng.shuffle(adults)
    compound_branch = {b.compound_id: b for b in made.get("compound_branches", [])}
    group_of = {g.building_id: g for g in made.get("groups", [])}
    unit_orgs = made["unit_orgs"]
    per_grid: dict[str, int] = {}
    members = []
    for resident in adults:
        grid_key = resident.region_key[:15]
        wanted = 2 if grid_key.endswith("004") else 8  # one grid per community stays small: a warning
        if per_grid.get(grid_key, 0) >= wanted:
            continue
        per_grid[grid_key] = per_grid.get(grid_key, 0) + 1
        building = resident.household.building
        organisation = group_of.get(building.pk) or compound_branch.get(building.compound_id) or tree.get(grid_key)
        if organisation is None:
            continue
        in_service = rng.random() < 0.35 and bool(unit_orgs)
        employer_org = rng.choice(unit_orgs) if in_service else None
        post = rng.choice(POSTS) if not in_service and rng.random() < 0.6 else ""
        if not in_service and made.get("non_territorial") and rng.random() < 0.15:
            organisation = rng.choice(made["non_territorial"])  # riders, office workers: organised by trade
        members.append(
            Member(
                name=resident.name,
                id_cipher=resident.id_cipher,
                id_index=resident.id_index,
                id_masked=resident.id_masked,
                phone_cipher=resident.phone_cipher,
                phone_index=resident.phone_index,
                phone_masked=resident.phone_masked,
                status=MemberStatus.PROBATIONARY if rng.random() < 0.1 else MemberStatus.FULL,
                joined_on=max(
                    resident.birth_date + datetime.timedelta(days=365 * 19),
                    today - datetime.timedelta(days=rng.randrange(400, 16000)),
                ),
                organisation=employer_org or organisation,
                resident=resident,
                household=resident.household,
                region_key=resident.household.region_key,
                in_service=in_service,
                employer=employer_org.unit if employer_org else None,
                post=post,
                post_duty=DUTIES.get(post, ""),
                shows_identity=rng.random() < 0.9,
            )
        )
    Member.objects.bulk_create(members, batch_size=1000)
    return list(Member.objects.filter(region_key__startswith=DEMO_STREET).order_by("id"))


def _reporting(rng: random.Random, made: dict, members: list[Member]) -> dict:
    """双报到 in the demo community: most unit organisations and in-service members approved,
    a few pending (one rejected with a reason), through the real services."""
    local_orgs = [o for o in made["unit_orgs"] if o.region_key.startswith(DEMO_COMMUNITY)]
    local_members = [m for m in members if m.in_service and m.region_key.startswith(DEMO_COMMUNITY)]
    approved_orgs, approved_members = [], []
    for index, organisation in enumerate(local_orgs):
        registration = services.registration_create(
            actor=None, community_code=DEMO_COMMUNITY, organisation_id=organisation.pk, note="报到认领服务"
        )
        if index % 4 != 3:
            services.registration_decide(actor=None, registration=registration, status="approved")
            approved_orgs.append(organisation)
    for index, member in enumerate(local_members):
        registration = services.registration_create(
            actor=None, community_code=DEMO_COMMUNITY, member_id=member.pk, grid_code=member.region_key[:15]
        )
        if index % 3 != 2 or member.user_id:  # the demo `resident` account can claim at once
            services.registration_decide(actor=None, registration=registration, status="approved")
            approved_members.append(member)
        elif index % 2:
            services.registration_decide(
                actor=None,
                registration=registration,
                status="rejected",
                reason="报到信息与居住地址不符，请核对后重新报到",
            )
    return {"organisations": approved_orgs, "members": approved_members}


def _lists(rng: random.Random, approved: dict) -> dict:
    grids = list(Region.objects.filter(level=Level.GRID, key__startswith=DEMO_COMMUNITY).order_by("key"))
    needs = [
        lists.need_create(
            actor=None,
            title=title,
            source=source,
            region_code=DEMO_COMMUNITY if source == "community" else rng.choice(grids).code,
            description="",
        )
        for title, source in NEEDS
    ]
    reporters = [{"organisation_id": o.pk} for o in approved["organisations"]] + [
        {"member_id": m.pk} for m in approved["members"]
    ]
    claims = []
    if reporters:
        for need in needs[:4]:
            claims.append(lists.need_claim(actor=None, need=need, **rng.choice(reporters)))
        lists.claim_close(actor=None, claim=claims[0], status="done")
    offers = []
    for index, title in enumerate(OFFERS[: len(reporters)]):
        offers.append(lists.offer_create(actor=None, title=title, community_code=DEMO_COMMUNITY, **reporters[index]))
    for offer in offers[:2]:
        lists.offer_claim(actor=None, offer=offer)
    projects = [
        lists.project_create(actor=None, title=title, description=text, community_code=DEMO_COMMUNITY)
        for title, text in PROJECTS
    ]
    for reporter in reporters[:4]:
        lists.project_join(actor=None, project=projects[0], **reporter)
    return {"needs": needs, "claims": claims, "projects": projects}


def _activities(rng: random.Random, members: list[Member], found: dict) -> int:
    """A past activity with check-ins and service records (most confirmed), one under way now
    (its code can be scanned in the demo) and one next week with sign-ups."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    local = [m for m in members if m.region_key.startswith(DEMO_COMMUNITY)]
    past = activities.activity_create(
        actor=None,
        title="清洁家园志愿服务",
        activity_type="environment",
        community_code=DEMO_COMMUNITY,
        starts_at=now - datetime.timedelta(days=6, hours=3),
        ends_at=now - datetime.timedelta(days=6),
        place="上平社区广场",
        project_id=found["projects"][0].pk,
    )
    today = activities.activity_create(
        actor=None,
        title="平安巡逻",
        activity_type="patrol",
        community_code=DEMO_COMMUNITY,
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=3),
        place="上平社区党群服务中心集合",
    )
    later = activities.activity_create(
        actor=None,
        title="关爱独居老人上门服务",
        activity_type="elderly_care",
        community_code=DEMO_COMMUNITY,
        starts_at=now + datetime.timedelta(days=7),
        ends_at=now + datetime.timedelta(days=7, hours=2),
        capacity=20,
        project_id=found["projects"][1].pk,
    )
    # The past activity's attendance is written directly: its check-in window has closed.
    attendees = local[:8]
    Attendance.objects.bulk_create(
        [
            Attendance(activity=past, member=m, checked_in_at=past.starts_at + datetime.timedelta(minutes=5))
            for m in attendees
        ]
    )
    records = [
        ServiceRecord(
            activity=past,
            activity_type=past.activity_type,
            member=m,
            community=past.community,
            region_key=past.region_key,
            occurred_on=timezone.localtime(past.starts_at).date(),
            hours=3,
            description=f"参加『{past.title}』",
        )
        for m in attendees
    ]
    ServiceRecord.objects.bulk_create(records)
    for record in list(ServiceRecord.objects.filter(activity=past).order_by("id"))[:6]:
        activities.service_confirm(actor=None, record=record)
    for member in local[8:14]:
        activities.activity_sign_up(actor=None, activity=today, member_id=member.pk)
        activities.activity_sign_up(actor=None, activity=later, member_id=member.pk)
    claim = next((c for c in found["claims"] if c.organisation_id), None) or next(iter(found["claims"]), None)
    if claim is not None:
        record = activities.service_record_create(
            actor=None,
            community_code=DEMO_COMMUNITY,
            occurred_on=timezone.localdate() - datetime.timedelta(days=3),
            hours=4,
            description=f"认领需求『{claim.need.title}』",
            activity_type="need_claim",
            organisation_id=claim.organisation_id,
            member_id=claim.member_id,
            claim_id=claim.pk,
        )
        activities.service_confirm(actor=None, record=record)
    return Activity.objects.count()


def _link_accounts(members: list[Member]) -> None:
    """The demo `resident` account is a member of the demo grid, so claiming, joining and
    check-in can be tried from a phone."""
    resident = User.objects.filter(username="resident").first()
    here = [m for m in members if m.region_key.startswith(DEMO_GRID)]
    member = next((m for m in here if m.in_service), here[0] if here else None)
    if resident is not None and member is not None:
        Member.objects.filter(pk=member.pk).update(user=resident)
        ServiceRecord.objects.filter(member=member, status="submitted").update(user=resident)


def build(builder) -> None:
    rng = random.Random(builder.seed * 6007 + 6)
    tree = _tree(rng)
    if DEMO_COMMUNITY not in tree:
        return None
    made = _street_details(rng, tree)
    members = _members(rng, tree, made)
    _link_accounts(members)
    members = list(Member.objects.filter(region_key__startswith=DEMO_STREET).order_by("id"))
    approved = _reporting(rng, made, members)
    found = _lists(rng, approved)
    _activities(rng, members, found)
    builder.counts.update(
        {
            "party_organisations": Organisation.objects.count(),
            "party_members": Member.objects.count(),
            "party_service_records": ServiceRecord.objects.count(),
        }
    )
    return None
