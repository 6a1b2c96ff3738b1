"""Ledger data for the demo city: house attributes and a residence history for everyone (in bulk
SQL, so the city-scale demo stays quick), and in the demo accounts' community (上平社区) care
records, past door-knock visits, moves and departures made through the real services."""

import datetime
import random

from django.db import connection
from django.utils import timezone

from wangge.accounts.models import User
from wangge.core import audit, pii
from wangge.regions.models import Household, Region
from wangge.registry import services
from wangge.registry.models import CareGroup, Residence, Resident

from .common import VISITOR_ROLES

DEMO_COMMUNITY = "510502001001"  # 上平社区, where the demo's grid worker and community worker are
DEMO_GRID = DEMO_COMMUNITY + "001"
LANDLORD_SURNAMES = "王李张刘陈杨黄赵周吴"
NOTES = ["家中整洁，生活正常", "老人独自在家，精神尚好", "子女每周回来探望", "反映药品按时领取", "提醒注意用电安全"]
CARE_NOTES = ["血压平稳", "行动不便，已联系志愿者送餐", "情绪良好", "需要上门理发服务", "按时服药"]
PROBLEMS = [("楼道声控灯损坏，夜间无照明", "facility"), ("单元门口堆放杂物，影响通行", "environment")]


def build_registry_demo(builder) -> dict:
    """Called by the demo builder once places, people and accounts exist."""
    rng = random.Random(builder.seed * 7919 + 17)
    counts = {"houses": _house_attributes(), "residences": _residence_history()}
    counts.update(_demo_community(rng))
    city = Region.objects.get(code="510500000000")
    audit.record(actor=None, verb="demo_registry.build", target=city, scope_key=city.key, after=counts)
    builder.counts.update({f"registry_{k}": v for k, v in counts.items()})
    return counts


def _house_attributes() -> int:
    """Use and area for every house from its id: most self-occupied, some rented or a shop."""
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE regions_household SET "use" = CASE WHEN (id * 37) % 100 < 74 THEN 'self' """
            """WHEN (id * 37) % 100 < 95 THEN 'rented' ELSE 'business' END, area_m2 = 48 + (id * 53) % 97"""
        )
        return cursor.rowcount


def _residence_history() -> int:
    """Everyone's current stay, from the date they moved in (never before they were born)."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE registry_resident SET moved_in = birth_date WHERE moved_in IS NOT NULL AND moved_in < birth_date"
        )
        cursor.execute(
            "INSERT INTO registry_residence "
            "(resident_id, household_id, region_key, started, start_reason, ended, end_reason, note, created_at) "
            "SELECT id, household_id, region_key, moved_in, 'registered', NULL, '', '', %s FROM registry_resident "
            "WHERE household_id IS NOT NULL AND moved_in IS NOT NULL",
            [now],
        )
        return cursor.rowcount


def _demo_community(rng: random.Random) -> dict:
    today = timezone.localdate()
    staff = {u.username: u for u in User.objects.filter(username__in=["gridworker", "parttime", "community"])}
    if len(staff) < 3 or not Region.objects.filter(code=DEMO_COMMUNITY).exists():
        return {}
    community = staff["community"]
    houses = list(
        Household.objects.filter(region_key__startswith=DEMO_COMMUNITY)
        .select_related("building__compound")
        .order_by("region_key", "id")
    )
    # Landlords of rented houses, with a synthetic phone (170…) like the residents'.
    rented = [h for h in houses if h.use == "rented"]
    for house in rented:
        phone = f"170{rng.randrange(10**8):08d}"
        house.owner_name = rng.choice(LANDLORD_SURNAMES) + rng.choice(["先生", "女士"])
        house.owner_phone_cipher, _index, house.owner_phone_masked = pii.protect_phone(phone)
    Household.objects.bulk_update(rented, ["owner_name", "owner_phone_cipher", "owner_phone_masked"], batch_size=500)

    people = list(
        Resident.objects.filter(region_key__startswith=DEMO_COMMUNITY, household__isnull=False).order_by("id")
    )
    records = []
    for person in people:
        age = (today - person.birth_date).days // 365
        groups = []
        if age >= 70 and rng.random() < 0.35:
            groups.append(rng.choice([CareGroup.EMPTY_NEST, CareGroup.SOLITARY]))
        if age < 14 and rng.random() < 0.04:
            groups.append(CareGroup.CHILD)
        if age >= 45 and rng.random() < 0.05:
            groups.append(CareGroup.CHRONIC)
        if rng.random() < 0.01:
            groups.append(CareGroup.DISABILITY)
        if rng.random() < 0.01:
            groups.append(CareGroup.LOW_INCOME)
        for group in groups:
            in_demo_grid = person.region_key.startswith(DEMO_GRID)
            visitor = (staff["gridworker"] if rng.random() < 0.8 else staff["parttime"]) if in_demo_grid else community
            if visitor.role not in VISITOR_ROLES:
                continue
            records.append(
                services.care_create(
                    actor=None,
                    resident=person,
                    group=group,
                    responsible=visitor,
                    level=rng.choice([1, 2, 2, 3]),
                    visit_every_days=rng.choice([7, 14, 30, 30, 90]),
                    plan=rng.choice(["每周电话问候，每月上门一次", "协助办理医保报销", "联系志愿者定期送餐", ""]),
                )
            )

    # Past visits: most cared-for households were visited in the last two months.
    visits = problems = 0
    house_by_id = {h.pk: h for h in houses}
    by_house: dict[int, list] = {}
    for record in records:
        by_house.setdefault(record.resident.household_id, []).append(record)
    for household_id, cared in by_house.items():
        if rng.random() < 0.3:
            continue  # never visited yet: due at once
        household = house_by_id[household_id]
        visitor = cared[0].responsible
        report = services.VisitInput(
            met=[cared[0].resident],
            notes=rng.choice(NOTES),
            care=[(record, rng.choice(CARE_NOTES)) for record in cared],
        )
        if problems < len(PROBLEMS) and household.region_key.startswith(DEMO_GRID):
            report.problem_text, report.problem_category = PROBLEMS[problems]
            problems += 1
        visited_on = today - datetime.timedelta(days=rng.randint(3, 75))
        services.visit_record(actor=visitor, household=household, visited_on=visited_on, report=report)
        visits += 1

    # A few moves and departures in the demo grid, so histories have more than one line.
    grid_houses = [h for h in houses if h.region_key.startswith(DEMO_GRID)]
    movers = [p for p in people if p.region_key.startswith(DEMO_GRID)][5:10]
    for index, person in enumerate(movers):
        person.refresh_from_db()
        if person.household_id is None:
            continue
        started = Residence.objects.get(resident=person, ended__isnull=True).started
        on = max(started, today - datetime.timedelta(days=rng.randint(10, 200)))
        if index < 3:
            target = grid_houses[(index * 7 + 3) % len(grid_houses)]
            if target.pk != person.household_id:
                services.resident_move(actor=None, resident=person, household=target, on=on, note="家庭内部调整住房")
        else:
            services.resident_depart(actor=None, resident=person, on=on, note="迁往外地工作")
    return {"care_records": len(records), "visits": visits, "visit_problems": problems}
