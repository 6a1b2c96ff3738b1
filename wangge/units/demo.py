"""Demo data for units in the area and shared resources, built after the demo city's places and
accounts. Deterministic for a seed (its own random stream, so the rest of the city is unchanged).

Every community gets a handful of units of different kinds with synthetic credit codes (valid
check characters; the organisation part starts with Y and counts up, so the codes are clearly
made up) and synthetic 170 contact phones; some units and compounds list shared resources under
乐山's three price rules. In the demo accounts' community (上平社区) one unit is barred from
booking, and a few bookings this week are made through the real booking service by the
`resident` account and, for units, by the `community` account.
"""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from wangge.core import pii
from wangge.core.errors import DomainError
from wangge.core.validators import credit_check_char
from wangge.demo import names
from wangge.regions.models import Compound, Level, Region

from .bookings import booking_create
from .hours import parse_week_text
from .models import PriceRule, Resource, ResourceKind, Unit, UnitKind

DEMO_COMMUNITY = "510502001001"
# (kind, name pattern, credit-code prefix: registration authority + organisation type)
UNIT_TEMPLATES = [
    (UnitKind.SCHOOL, "{place}小学", "12"),
    (UnitKind.HOSPITAL, "{place}社区卫生服务中心", "12"),
    (UnitKind.AGENCY, "{place}税务所", "11"),
    (UnitKind.INSTITUTION, "{place}幼儿园", "12"),
    (UnitKind.ENTERPRISE, "泸州{word}商贸有限公司", "91"),
    (UnitKind.ENTERPRISE, "{word}物流有限公司", "91"),
    (UnitKind.SOCIAL_ORGANISATION, "{place}社会工作服务中心", "52"),
    (UnitKind.TWO_NEW, "{word}快递服务站", "92"),
]
PARTY_CHANCE = {
    UnitKind.SCHOOL: 0.95,
    UnitKind.HOSPITAL: 0.9,
    UnitKind.AGENCY: 1.0,
    UnitKind.INSTITUTION: 0.8,
    UnitKind.ENTERPRISE: 0.35,
    UnitKind.SOCIAL_ORGANISATION: 0.5,
    UnitKind.TWO_NEW: 0.3,
}
# What each kind of unit shares: (name suffix, kind, hours, rule, low price, standard price, capacity)
UNIT_RESOURCES = {
    UnitKind.SCHOOL: (
        "操场",
        ResourceKind.SPORTS,
        "周六、周日 08:00-18:00；周一至周五 18:00-21:00",
        PriceRule.FREE,
        None,
        None,
        300,
    ),
    UnitKind.HOSPITAL: ("停车场", ResourceKind.PARKING, "每天 00:00-24:00", PriceRule.RESIDENT_LOW_COST, "2", "5", 40),
    UnitKind.AGENCY: ("会议室", ResourceKind.MEETING_ROOM, "工作日 09:00-17:00", PriceRule.FREE, None, None, 30),
    UnitKind.INSTITUTION: ("多功能厅", ResourceKind.VENUE, "周六、周日 09:00-17:00", PriceRule.FREE, None, None, 80),
    UnitKind.ENTERPRISE: ("宣传墙面", ResourceKind.WALL, "每天 08:00-20:00", PriceRule.UNIT_LOW_COST, "5", "20", None),
    UnitKind.SOCIAL_ORGANISATION: ("活动室", ResourceKind.VENUE, "每天 08:30-21:00", PriceRule.FREE, None, None, 40),
}


def _person(rng: random.Random) -> str:
    return rng.choice(names.SURNAMES) + "".join(rng.choice(names.GIVEN_CHARS) for _ in range(rng.choice((1, 2))))


def _credit_code(prefix: str, district: str, serial: int) -> str:
    first17 = f"{prefix}{district}Y{serial:08d}"
    return first17 + credit_check_char(first17)


def _resource(name, kind, hours, rule, low, standard, capacity, **owner) -> Resource:
    return Resource(
        name=name,
        kind=kind,
        opening_hours=parse_week_text(hours),
        price_rule=rule,
        low_price=Decimal(low) if low else None,
        standard_price=Decimal(standard) if standard else None,
        capacity=capacity,
        **owner,
    )


def build_demo_units(*, seed: int, progress=None) -> dict:
    """Units, resources and a few bookings for the demo city; returns their counts."""
    rng = random.Random(f"units-{seed}")
    grids_by_community: dict[str, list[Region]] = {}
    for grid in Region.objects.filter(level=Level.GRID).only("code", "key", "name").order_by("key"):
        grids_by_community.setdefault(grid.key[:12], []).append(grid)
    compounds_by_grid: dict[int, list[Compound]] = {}
    for compound in Compound.objects.order_by("region_key", "name"):
        compounds_by_grid.setdefault(compound.grid_id, []).append(compound)
    units: list[Unit] = []
    serial = 0
    for community in Region.objects.filter(level=Level.COMMUNITY).order_by("key"):
        grids = grids_by_community.get(community.key, [])
        if not grids:
            continue
        place = community.name.removesuffix("社区")
        for kind, pattern, prefix in rng.sample(UNIT_TEMPLATES, rng.randint(3, 5)):
            serial += 1
            grid = rng.choice(grids)
            compounds = compounds_by_grid.get(grid.pk, [])
            name = pattern.format(place=place, word=rng.choice(names.PROPERTY_WORDS))
            phone = f"170{rng.randrange(10**8):08d}"
            party = rng.random() < PARTY_CHANCE[kind]
            units.append(
                Unit(
                    name=name,
                    credit_code=_credit_code(prefix, community.key[:6], serial),
                    kind=kind,
                    grid=grid,
                    compound=rng.choice(compounds) if compounds and rng.random() < 0.3 else None,
                    region_key=grid.key,
                    address=f"{place}路{rng.randint(1, 300)}号",
                    contact_name=_person(rng),
                    **pii.protect_phone(phone).as_fields("contact_phone"),
                    has_party_organisation=party,
                    party_organisation_name=f"{name}党支部" if party else "",
                )
            )
    Unit.objects.bulk_create(units, batch_size=2000)
    resources: list[Resource] = []
    for unit in units:
        template = UNIT_RESOURCES.get(unit.kind)
        if template is not None and rng.random() < 0.7:
            suffix, *rest = template
            resources.append(
                _resource(unit.name + suffix, *rest, owner_unit=unit, region_key=unit.region_key, location=unit.address)
            )
    for compounds in compounds_by_grid.values():
        for compound in compounds:
            if rng.random() < 0.35:
                resources.append(
                    _resource(
                        f"{compound.name}活动室",
                        ResourceKind.VENUE,
                        "每天 08:00-21:00",
                        PriceRule.FREE,
                        None,
                        None,
                        30,
                        owner_compound=compound,
                        region_key=compound.region_key,
                        location=compound.address,
                    )
                )
    Resource.objects.bulk_create(resources, batch_size=2000)
    bookings = _demo_bookings(rng, units, resources)
    if progress:
        progress(f"驻区单位 {len(units)}，共享资源 {len(resources)}，预约 {bookings}")
    return {"units": len(units), "shared_resources": len(resources), "bookings": bookings}


def _demo_bookings(rng: random.Random, units: list[Unit], resources: list[Resource]) -> int:
    """A barred unit and a few bookings in the demo accounts' community, through the services."""
    from wangge.accounts.models import User

    from .services import unit_set_booking_barred

    local_units = [u for u in units if u.region_key.startswith(DEMO_COMMUNITY)]
    local_resources = [r for r in resources if r.region_key.startswith(DEMO_COMMUNITY)]
    resident = User.objects.filter(username="resident").first()
    staff = User.objects.filter(username="community").first()
    if not local_units or not local_resources or resident is None or staff is None:
        return 0
    barred = local_units[-1]
    unit_set_booking_barred(
        unit=barred, barred=True, reason="预约共享资源后三次未到场也未取消，暂停预约至年底", actor=None
    )
    made = 0
    today = timezone.localdate()
    for offset in range(1, 8):
        day = today + datetime.timedelta(days=offset)
        for resource in rng.sample(local_resources, min(2, len(local_resources))):
            hour = rng.choice((9, 10, 14, 15, 19))
            start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))
            booker = rng.choice([u for u in local_units if u is not barred] + [None])
            try:
                booking_create(
                    actor=resident if booker is None else staff,
                    resource=resource,
                    unit=booker,
                    starts_at=start,
                    ends_at=start + datetime.timedelta(hours=rng.choice((1, 2))),
                    purpose=rng.choice(["党员活动", "居民议事会", "亲子活动", "志愿服务培训", "健身"]),
                )
            except DomainError:
                continue  # closed that day, or taken: the demo simply has one booking fewer
            made += 1
    return made
