"""Reads of the points app, always starting from the user's scope. Staff holding VIEW_POINTS see
the accounts, rewards and rankings under their region; anyone else sees only their own account
(and the rewards counter of their own community). Missing and out of scope are the same 404."""

import datetime
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.roles import VIEW_PEOPLE, VIEW_POINTS, require
from wangge.core.errors import DomainError
from wangge.core.scope import get_or_404, restrict, scope_key_of
from wangge.regions.models import Region

from .models import (
    Account,
    AccountKind,
    Entry,
    ModelSelection,
    Movement,
    MovementKind,
    PointRule,
    Redemption,
    Reward,
)


def masked_name(name: str) -> str:
    """张三 → 张*, for people without VIEW_PEOPLE (a ranking is shown to more people than the registry)."""
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else ""


def name_for(user, account: Account) -> str:
    if account.kind != AccountKind.PERSON or user.can(VIEW_PEOPLE) or account.user_id == user.pk:
        return account.name
    return masked_name(account.name)


# ---- accounts and statements ----------------------------------------------------------------


def account_list(*, user, q: str = "", kind: str = "") -> QuerySet:
    require(user, VIEW_POINTS)
    accounts = restrict(Account.objects.all(), user)
    if q:
        accounts = accounts.filter(name__contains=q.strip()[:50])
    if kind in AccountKind.values:
        accounts = accounts.filter(kind=kind)
    return accounts.order_by("-balance", "id")


def account_get(*, user, pk: int) -> Account:
    """An account of the scope for staff; one's own account for anyone."""
    if user.is_authenticated and user.can(VIEW_POINTS):
        return get_or_404(restrict(Account.objects.all(), user), pk=pk)
    own = Account.objects.filter(user=user) if user.is_authenticated else Account.objects.none()
    return get_or_404(own, pk=pk)


def my_account(*, user) -> Account | None:
    if not user.is_authenticated:
        return None
    return Account.objects.filter(user=user).first()


def statement(*, account: Account) -> QuerySet:
    """The account's entries, newest first, each with its movement (date, label, kind)."""
    return (
        Entry.objects.filter(account=account)
        .select_related("movement", "movement__reverses")
        .order_by("-movement__occurred_on", "-id")
    )


def movement_get(*, user, pk: int) -> Movement:
    require(user, VIEW_POINTS)
    return get_or_404(restrict(Movement.objects.all(), user), pk=pk)


# ---- rewards --------------------------------------------------------------------------------


def reward_list(*, user, active_only: bool = False) -> QuerySet:
    """Staff: the counters of their scope. A resident: their own community's counter."""
    if user.is_authenticated and user.can(VIEW_POINTS):
        rewards = restrict(Reward.objects.all(), user)
    else:
        key = scope_key_of(user) or ""
        rewards = (
            Reward.objects.filter(region_key=key[:12], is_active=True) if len(key) >= 12 else Reward.objects.none()
        )
    if active_only:
        rewards = rewards.filter(is_active=True)
    return rewards.select_related("community").order_by("region_key", "points", "id")


def reward_get(*, user, pk: int) -> Reward:
    require(user, VIEW_POINTS)
    return get_or_404(restrict(Reward.objects.select_related("community"), user), pk=pk)


def redemption_list(*, user, reward: Reward | None = None) -> QuerySet:
    require(user, VIEW_POINTS)
    redemptions = restrict(Redemption.objects.select_related("reward", "account", "movement"), user)
    if reward is not None:
        redemptions = redemptions.filter(reward=reward)
    return redemptions


# ---- rules ----------------------------------------------------------------------------------


def rule_table() -> list[PointRule]:
    """One rule per activity type: the stored row, or the default for a type without one."""
    from wangge.party.contracts import ActivityType

    from .defaults import default_rule

    stored = {rule.activity_type: rule for rule in PointRule.objects.all()}
    return [stored.get(value) or default_rule(value) for value in ActivityType.values]


# ---- rankings -------------------------------------------------------------------------------


def current_quarter(today: datetime.date | None = None) -> tuple[int, int]:
    today = today or timezone.localdate()
    return today.year, (today.month - 1) // 3 + 1


def quarter_span(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    if not 1 <= quarter <= 4 or not 2000 <= year <= 2100:
        raise DomainError(_("季度应为 1 到 4，年度在 2000 到 2100 之间"), field="quarter")
    start = datetime.date(year, 3 * (quarter - 1) + 1, 1)
    end = datetime.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)
    return start, end


LEVEL_KEY_LENGTH = {"grid": 15, "community": 12}


def rankings(*, user, year: int, quarter: int, level: str = "grid", limit: int = 20) -> list[dict]:
    """Quarterly rankings of people by points earned for service (less any reversed), one table
    per grid or per community of the scope: [{area_key, area_name, rows: [{rank, account_id,
    name, points, hours}]}]. Ties share a rank."""
    require(user, VIEW_POINTS)
    if level not in LEVEL_KEY_LENGTH:
        raise DomainError(_("排名范围应为 grid（网格）或 community（社区）"), field="level")
    start, end = quarter_span(year, quarter)
    earned = Q(movement__kind=MovementKind.SERVICE, movement__occurred_on__gte=start, movement__occurred_on__lt=end)
    taken_back = Q(
        movement__kind=MovementKind.REVERSAL,
        movement__reverses__kind=MovementKind.SERVICE,
        movement__reverses__occurred_on__gte=start,
        movement__reverses__occurred_on__lt=end,
    )
    totals = (
        restrict(Entry.objects.filter(account__kind=AccountKind.PERSON), user, "account__region_key")
        .filter(earned | taken_back)
        .values("account_id", "account__name", "account__region_key", "account__user_id")
        .annotate(points=Coalesce(Sum("points"), 0), hours=Coalesce(Sum("hours"), Decimal("0.0")))
        .filter(points__gt=0)
        .order_by("-points", "account__name")
    )
    length = LEVEL_KEY_LENGTH[level]
    areas: dict[str, list[dict]] = {}
    for row in totals:
        areas.setdefault(row["account__region_key"][:length], []).append(row)
    names = dict(Region.objects.filter(key__in=list(areas)).values_list("key", "name"))
    see_names = user.can(VIEW_PEOPLE)
    tables = []
    for key in sorted(areas):
        rows, rank, previous = [], 0, None
        for position, row in enumerate(areas[key][:limit], start=1):
            if row["points"] != previous:
                rank, previous = position, row["points"]
            name = row["account__name"]
            rows.append(
                {
                    "rank": rank,
                    "account_id": row["account_id"],
                    "name": name if see_names or row["account__user_id"] == user.pk else masked_name(name),
                    "points": row["points"],
                    "hours": row["hours"],
                }
            )
        tables.append({"area_key": key, "area_name": names.get(key, key), "rows": rows})
    return tables


# ---- model selections -----------------------------------------------------------------------


def model_list(*, user, year: int | None = None) -> QuerySet:
    require(user, VIEW_POINTS)
    selections = restrict(ModelSelection.objects.select_related("community"), user)
    if year:
        selections = selections.filter(year=year)
    return selections
