"""The demo city's 积分 content; `CityBuilder.build` calls `build(builder)` after the party demo.

Everything goes through the services, so the demo ledger is a real one and `points_check` passes
on it. When the party demo has confirmed few people's services (under THIN), this sends the party's own
signal for more (keys "demo.service:<n>"), exactly as the party app would; the units of the
demo community always get some participation that way, so one is honoured and one is barred.
"""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from wangge.party.contracts import ActivityType, service_confirmed

from . import scores, services
from .models import Account, AccountKind, Movement, MovementKind, Reward

DEMO_COMMUNITY = "510502001001"  # 上平社区, where the demo accounts work
THIN = 30  # fewer people's services than this from the party demo leave the rankings bare
REWARDS = {
    DEMO_COMMUNITY: [
        ("毛巾", 10, 50, "纯棉毛巾一条"),
        ("洗衣液", 30, 20, "2千克装"),
        ("大米（5千克）", 60, 10, "本地大米"),
        ("理发券", 15, 30, "社区便民理发点使用"),
        ("文具套装", 20, 0, "已兑完，待补货"),
    ],
}
OTHER_REWARDS = [("香皂", 8, 40, ""), ("食用油（1.8升）", 50, 12, "")]
TYPES = [
    (ActivityType.VOLUNTEER, "参加『清洁家园』志愿服务"),
    (ActivityType.PATROL, "参加平安巡逻"),
    (ActivityType.ELDERLY_CARE, "看望独居老人"),
    (ActivityType.ENVIRONMENT, "楼道杂物清理"),
    (ActivityType.CULTURE, "参加社区文艺汇演"),
    (ActivityType.DELIBERATION, "参加居民议事会"),
]


def _days(rng: random.Random, today: datetime.date) -> datetime.date:
    """A day in this quarter up to today, so the quarterly ranking has content."""
    start = datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return max(start, today - datetime.timedelta(days=rng.randint(0, 80)))


def _send(n: int, **kwargs) -> None:
    service_confirmed.send(sender=None, key=f"demo.service:{n}", actor=None, **kwargs)


def _other_community() -> str | None:
    """A second community of the demo street, so rankings per community compare two."""
    from wangge.regions.models import Level, Region

    other = (
        Region.objects.filter(level=Level.COMMUNITY, key__startswith=DEMO_COMMUNITY[:9])
        .exclude(key=DEMO_COMMUNITY)
        .order_by("key")
        .first()
    )
    return other.key if other else None


def _demo_services(rng: random.Random, today: datetime.date) -> int:
    from wangge.accounts.models import User
    from wangge.registry.models import Resident

    n = 0
    for community in filter(None, (DEMO_COMMUNITY, _other_community())):
        everyone = list(
            Resident.objects.filter(region_key__startswith=community).order_by("id").values_list("id", flat=True)
        )
        chosen = sorted(rng.sample(everyone, min(30, len(everyone))))  # spread over the community's grids
        people = list(Resident.objects.filter(pk__in=chosen).order_by("id"))
        for resident in people:
            for _ in range(rng.randint(1, 4)):
                n += 1
                activity, label = rng.choice(TYPES)
                _send(
                    n,
                    activity_type=activity,
                    hours=Decimal(rng.choice(["1", "1.5", "2", "3"])),
                    occurred_on=_days(rng, today),
                    region_key=resident.region_key,
                    resident_id=resident.pk,
                    user_id=None,
                    unit_id=None,
                    label=label,
                )
    for username, times in (("resident", 3), ("parttime", 5)):
        user = User.objects.filter(username=username).first()
        for _ in range(times if user else 0):
            n += 1
            activity, label = rng.choice(TYPES[:3])
            _send(
                n,
                activity_type=activity,
                hours=Decimal("2"),
                occurred_on=_days(rng, today),
                region_key=user.scope_key,
                resident_id=None,
                user_id=user.pk,
                unit_id=None,
                label=label,
            )
    return n


def _demo_units(rng: random.Random, today: datetime.date, n: int) -> int:
    """Participation of the demo community's units, whatever the party demo already confirmed:
    the most active unit becomes busy (honoured), the least active takes part once (barred),
    the others take part enough to pass."""
    from wangge.units.models import Unit

    units = list(Unit.objects.filter(region_key__startswith=DEMO_COMMUNITY, booking_barred=False).order_by("id"))
    if not units:
        return n
    standing = {
        unit.pk: sum(Decimal(line["points"]) for line in scores.score_lines_for(unit, today.year)) for unit in units
    }
    units.sort(key=lambda unit: (standing[unit.pk], unit.pk))
    busy = (
        [(ActivityType.VOLUNTEER, "3")] * 9
        + [(ActivityType.NEED_CLAIM, "2")] * 3
        + [(ActivityType.RESOURCE_SHARE, "0")]
    )
    middling = [(ActivityType.VOLUNTEER, "2")] * 6 + [(ActivityType.NEED_CLAIM, "2")] * 2
    scarce = [(ActivityType.PATROL, "1")]
    for index, unit in enumerate(units):
        plan = busy if index == len(units) - 1 else scarce if index == 0 else middling
        for activity, hours in plan:
            n += 1
            _send(
                n,
                activity_type=activity,
                hours=Decimal(hours),
                occurred_on=_days(rng, today),
                region_key=unit.region_key,
                resident_id=None,
                user_id=None,
                unit_id=unit.pk,
                label=f"{unit.name}：{ActivityType(activity).label}",
            )
    return n


def build(builder) -> None:
    from wangge.accounts.models import User
    from wangge.regions.models import Region
    from wangge.units.models import Unit

    rng = random.Random(builder.seed * 7919 + 6)  # its own stream: the builders after this one keep theirs
    today = timezone.localdate()
    if not Region.objects.filter(key=DEMO_COMMUNITY).exists():
        return
    sent = 0
    people_credited = Movement.objects.filter(kind=MovementKind.SERVICE, entries__account__kind=AccountKind.PERSON)
    if people_credited.count() < THIN:
        sent = _demo_services(rng, today)
    _demo_units(rng, today, sent)
    other = _other_community()
    for community, items in [*REWARDS.items(), *([(other, OTHER_REWARDS)] if other else [])]:
        for name, points, stock, description in items:
            if not Reward.objects.filter(community__code=community, name=name).exists():
                services.reward_create(
                    actor=None, community_code=community, name=name, points=points, stock=stock, description=description
                )
    staff = User.objects.filter(username="community").first()
    top = list(
        Account.objects.filter(
            kind=AccountKind.PERSON, region_key__startswith=DEMO_COMMUNITY, balance__gte=40
        ).order_by("-balance", "id")[:4]
    )
    counter = list(Reward.objects.filter(region_key=DEMO_COMMUNITY, stock__gt=0).order_by("points"))
    for index, account in enumerate(top):
        reward = counter[index % len(counter)] if counter else None
        if reward is not None and account.balance >= reward.points:
            services.redeem(actor=staff, reward=reward, account=account, quantity=1, key=f"demo.redeem:{index}")
    year = today.year
    for unit in Unit.objects.filter(region_key__startswith=DEMO_COMMUNITY).order_by("id"):
        scores.unit_score_compute(actor=None, unit=unit, year=year)
    honoured = scores.UnitScore.objects.filter(year=year, total__gt=scores.HONOUR_ABOVE).select_related("unit").first()
    community = Region.objects.get(key=DEMO_COMMUNITY)
    if top:
        services.model_select(
            actor=staff,
            title="family",
            year=year,
            quarter=(today.month - 1) // 3 + 1,
            community_code=community.code,
            nominee=f"{top[0].name}家庭",
            account=top[0],
            basis=f"本季度积分社区第一（{top[0].balance}分），热心参加志愿服务，邻里和睦",
        )
    if len(top) > 1:
        services.model_select(
            actor=staff,
            title="volunteer",
            year=year,
            community_code=community.code,
            nominee=top[1].name,
            account=top[1],
            basis="全年参加志愿服务，时间银行存入时长居社区前列",
        )
    if honoured is not None:
        services.model_select(
            actor=staff,
            title="unit",
            year=year,
            community_code=community.code,
            nominee=honoured.unit.name,
            basis=f"{year}年度共建评分 {honoured.total} 分，认领群众需求并开放共享资源",
        )
    builder.counts["points_movements"] = Movement.objects.count()
    builder.progress(f"积分变动 {builder.counts['points_movements']}，积分超市物品 {Reward.objects.count()}")
