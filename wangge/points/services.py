"""Writes of the points app: crediting confirmed services, redemptions at the counter, reversals,
the rewards catalogue, the rules and model selections. Every function is atomic, keyword-only
and leaves one audit record. `actor=None` is the system (the party app's signal, the demo);
any other actor must hold the capability and the objects must lie in their scope."""

import datetime
import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.roles import EDIT_POINT_RULES, RUN_REWARDS, SELECT_MODELS, Role, require
from wangge.core import audit
from wangge.core.errors import Conflict, DomainError, NotFound
from wangge.core.scope import in_scope
from wangge.core.validators import parse_hours, parse_text
from wangge.party.contracts import ActivityType

from . import ledger
from .defaults import default_rule
from .ledger import Leg
from .models import (
    Account,
    AccountKind,
    ModelSelection,
    ModelTitle,
    Movement,
    MovementKind,
    PointRule,
    Redemption,
    Reward,
)

# Staff paid for their work earn no points for it; a volunteer, a member, a building head or a
# part-time grid worker (青州's riders) does. A person named by their registry entry always earns.
PAID_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.COMMUNITY_STAFF,
        Role.STREET_DISPATCHER,
        Role.DEPARTMENT_HANDLER,
        Role.HOTLINE_OPERATOR,
        Role.LEADER,
        Role.ADMINISTRATOR,
    }
)
ONE_DECIMAL = Decimal("0.1")


def _check_scope(actor, region_key: str, what: str) -> None:
    if actor is not None and not in_scope(actor, region_key):
        raise NotFound(_("未找到该%(what)s，或不在您的管辖范围内") % {"what": what})


def earned_for(rule: PointRule | None, hours: Decimal) -> tuple[int, Decimal]:
    """(points, time-bank hours) one confirmed service of `hours` earns under a rule."""
    if rule is None or not rule.is_active:
        return 0, Decimal("0.0")
    points = rule.points_per_service + (rule.points_per_hour * hours).quantize(Decimal(1), ROUND_HALF_UP)
    return int(points), (hours * rule.hours_factor).quantize(ONE_DECIMAL, ROUND_HALF_UP)


# ---- crediting confirmed services -----------------------------------------------------------


@transaction.atomic
def credit_service(
    *,
    key: str,
    activity_type: str,
    hours,
    occurred_on: datetime.date,
    region_key: str,
    resident_id: int | None = None,
    user_id: int | None = None,
    unit_id: int | None = None,
    label: str = "",
    actor=None,
    **_signal,
) -> Movement | None:
    """Credit one confirmed service under the rule of its activity type, once per key: the
    community's issuing account pays the person (or the unit when no person is named). Called by
    the party app's `service_confirmed` signal inside its confirming transaction. Returns the
    movement, or None when nothing is due (already credited, no earning rule, paid staff)."""
    from wangge.accounts.models import User
    from wangge.registry.models import Resident
    from wangge.units.models import Unit

    if Movement.objects.filter(key=key).exists():
        return None
    if activity_type not in ActivityType.values:
        raise DomainError(_("未知的活动类型：%(t)s") % {"t": activity_type}, field="activity_type")
    hours = parse_hours(hours, "hours", label=_("服务时长"), minimum=Decimal(0), maximum=Decimal(24))
    resident = Resident.objects.filter(pk=resident_id).first() if resident_id else None
    user = (
        User.objects.select_related("scope_region", "scope_department").filter(pk=user_id).first() if user_id else None
    )
    unit = Unit.objects.filter(pk=unit_id).first() if unit_id else None
    if resident is None and user is None and unit is None:
        raise DomainError(_("服务记录须指明居民、用户或单位"), field="resident_id")
    if resident is None and user is not None and user.role in PAID_ROLES:
        user = None  # paid for this work already; the unit (if any) still counts it
    rule = PointRule.objects.filter(activity_type=activity_type).first() or default_rule(activity_type)
    points, time_bank = earned_for(rule, hours)
    person_earns = (resident is not None or user is not None) and (points or time_bank)
    if not person_earns and unit is None:
        return None
    if person_earns:
        earner = ledger.person_account(resident=resident, user=user, region_key=region_key)
    else:
        # The unit earns when no person does; when the rule pays nothing the movement still
        # records the unit's participation for its yearly score (zero legs write no entries).
        earner = ledger.unit_account(unit)
    issuing = ledger.house_account(ledger.community_of(region_key), AccountKind.ISSUING)
    label = (label or ActivityType(activity_type).label)[:200]
    legs = [Leg(earner, points, time_bank), Leg(issuing, -points, -time_bank)]
    try:
        movement = ledger.post(
            key=key,
            kind=MovementKind.SERVICE,
            label=str(label),
            legs=legs,
            occurred_on=occurred_on,
            region_key=region_key,
            actor=actor,
            activity_type=activity_type,
            service_hours=hours,
            unit=unit,
        )
    except ledger.AlreadyPosted:
        return None  # the same confirmation arrived twice at once; the first one credited it
    audit.record(
        actor=actor,
        verb="points.credit",
        target=movement,
        scope_key=earner.region_key,
        after={"key": key, "account": earner.pk, "points": points, "hours": str(time_bank)},
    )
    return movement


def on_service_confirmed(sender, **kwargs) -> None:
    """Receiver of `wangge.party.contracts.service_confirmed`."""
    kwargs.pop("signal", None)
    credit_service(**kwargs)


# ---- the counter ----------------------------------------------------------------------------


def _quantity(value) -> int:
    try:
        quantity = int(value)
    except (TypeError, ValueError):
        raise DomainError(_("数量应为整数"), field="quantity") from None
    if not 1 <= quantity <= 100:
        raise DomainError(_("数量应在 1 到 100 之间"), field="quantity")
    return quantity


@transaction.atomic
def redeem(*, actor, reward: Reward, account: Account, quantity=1, key: str = "") -> Redemption:
    """Hand a reward over at the counter (RUN_REWARDS): the person's points go to the community's
    rewards account and the stock goes down, both only if enough is there. The same `key`
    (the counter form's token) twice gives the first redemption back instead of a second one."""
    require(actor, RUN_REWARDS)
    _check_scope(actor, reward.region_key, _("物品"))
    _check_scope(actor, account.region_key, _("积分账户"))
    quantity = _quantity(quantity)
    key = f"redeem:{key}" if key else f"redeem:{uuid.uuid4().hex}"
    earlier = Redemption.objects.filter(movement__key=key).select_related("movement").first()
    if earlier is not None:
        if earlier.account_id == account.pk and earlier.reward_id == reward.pk:
            return earlier
        raise Conflict(_("该业务编号已用于另一笔记账，请刷新页面后重新提交"), field="key")
    if account.kind not in (AccountKind.PERSON, AccountKind.UNIT):
        raise DomainError(_("只有个人和单位账户可以兑换"), field="account")
    # Stock first, by a conditional update: two counters selling the last item cannot both win.
    taken = Reward.objects.filter(pk=reward.pk, is_active=True, stock__gte=quantity).update(
        stock=F("stock") - quantity, updated_at=timezone.now()
    )
    if not taken:
        reward.refresh_from_db()
        if not reward.is_active:
            raise Conflict(_("%(name)s 已下架") % {"name": reward.name}, field="reward")
        raise Conflict(
            _("%(name)s 库存不足：现有 %(stock)d 件，需 %(n)d 件")
            % {"name": reward.name, "stock": reward.stock, "n": quantity},
            field="quantity",
        )
    cost = reward.points * quantity
    rewards_account = ledger.house_account(ledger.community_of(reward.region_key), AccountKind.REWARDS)
    try:
        movement = ledger.post(
            key=key,
            kind=MovementKind.REDEMPTION,
            label=_("兑换 %(name)s × %(n)d") % {"name": reward.name, "n": quantity},
            legs=[Leg(account, -cost), Leg(rewards_account, cost)],
            occurred_on=timezone.localdate(),
            region_key=reward.region_key,
            actor=actor,
        )
    except ledger.AlreadyPosted:
        raise Conflict(_("这次兑换已经提交过，请刷新页面查看"), field="key") from None
    redemption = Redemption.objects.create(
        movement=movement, reward=reward, account=account, quantity=quantity, region_key=reward.region_key
    )
    audit.record(
        actor=actor,
        verb="points.redeem",
        target=redemption,
        target_label=f"{account.name} {movement.label}",
        scope_key=account.region_key,
        after={"account": account.pk, "reward": reward.pk, "quantity": quantity, "points": cost},
    )
    return redemption


@transaction.atomic
def time_bank_withdraw(*, actor, account: Account, hours, service: str, provider: str = "", key: str = "") -> Movement:
    """A person draws on the hours they banked (时间银行): the service they now receive (an escort
    to hospital, meals, company) is paid from their hours, which go back to the community's pool.
    Only what is banked can be drawn; the same `key` (the form's token) twice books once."""
    require(actor, RUN_REWARDS)
    _check_scope(actor, account.region_key, _("积分账户"))
    hours = parse_hours(hours, "hours", label=_("支取时长"), minimum=Decimal("0.1"), maximum=Decimal(100))
    service = parse_text(service, "service", 100, label=_("接受的服务"), required=True, min_length=2)
    provider = parse_text(provider, "provider", 50, label=_("服务提供者"))
    key = f"timebank:{key}" if key else f"timebank:{uuid.uuid4().hex}"
    earlier = Movement.objects.filter(key=key).first()
    if earlier is not None:
        # The same form sent twice gives its withdrawal back; a key used for another account is
        # a mistake to refuse, never a success that booked nothing.
        if earlier.kind == MovementKind.TIME_BANK and earlier.entries.filter(account=account).exists():
            return earlier
        raise Conflict(_("该业务编号已用于另一笔记账，请刷新页面后重新提交"), field="key")
    if account.kind != AccountKind.PERSON:
        raise DomainError(_("只有个人账户存有时间银行时长"), field="account")
    issuing = ledger.house_account(ledger.community_of(account.region_key), AccountKind.ISSUING)
    label = _("时间银行支取：%(service)s") % {"service": service}
    if provider:
        label += _("（%(provider)s 提供）") % {"provider": provider}
    try:
        movement = ledger.post(
            key=key,
            kind=MovementKind.TIME_BANK,
            label=label,
            legs=[Leg(account, 0, -hours), Leg(issuing, 0, hours)],
            occurred_on=timezone.localdate(),
            region_key=account.region_key,
            actor=actor,
            service_hours=hours,
        )
    except ledger.InsufficientBalance:
        account.refresh_from_db(fields=["hours"])
        raise ledger.InsufficientBalance(
            _("%(name)s 的时间银行时长不足：现有 %(have)s 小时，需 %(need)s 小时")
            % {"name": account.name, "have": account.hours, "need": hours},
            field="hours",
        ) from None
    audit.record(
        actor=actor,
        verb="points.time_bank",
        target=movement,
        target_label=f"{account.name} {label}",
        scope_key=account.region_key,
        after={"account": account.pk, "hours": str(hours), "service": service, "provider": provider},
    )
    return movement


@transaction.atomic
def reverse(*, actor, movement: Movement, reason: str) -> Movement:
    """Put a wrong movement right by booking its mirror image (RUN_REWARDS). A reversed
    redemption puts the stock back; a credit already spent cannot be reversed (the balance would
    go negative)."""
    require(actor, RUN_REWARDS)
    _check_scope(actor, movement.region_key, _("积分变动"))
    reason = (reason or "").strip()
    if not 2 <= len(reason) <= 200:
        raise DomainError(_("请填写冲正原因（2 到 200 个字）"), field="reason")
    if movement.kind == MovementKind.REVERSAL:
        raise Conflict(_("冲正记录不能再冲正；如有错误请重新记账"), field="movement")
    if Movement.objects.filter(reverses=movement).exists():
        raise Conflict(_("该笔积分已冲正过，不能重复冲正"), field="movement")
    legs = [Leg(entry.account, -entry.points, -entry.hours) for entry in movement.entries.select_related("account")]
    if not legs and movement.unit_id:
        # A participation without points: its reversal takes the participation back, also pointless.
        issuing = ledger.house_account(ledger.community_of(movement.region_key), AccountKind.ISSUING)
        legs = [Leg(ledger.unit_account(movement.unit), 0), Leg(issuing, 0)]
    reversal = ledger.post(
        key=f"reversal:{movement.pk}",
        kind=MovementKind.REVERSAL,
        label=_("冲正：%(label)s（%(reason)s）") % {"label": movement.label, "reason": reason},
        legs=legs,
        occurred_on=timezone.localdate(),
        region_key=movement.region_key,
        actor=actor,
        activity_type=movement.activity_type,
        reverses=movement,
    )
    redemption = Redemption.objects.filter(movement=movement).first()
    if redemption is not None:
        Reward.objects.filter(pk=redemption.reward_id).update(
            stock=F("stock") + redemption.quantity, updated_at=timezone.now()
        )
    audit.record(actor=actor, verb="points.reverse", target=reversal, scope_key=movement.region_key, note=reason)
    return reversal


# ---- the catalogue --------------------------------------------------------------------------


def _int(value, field: str, label: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise DomainError(_("%(label)s应为整数") % {"label": label}, field=field) from None
    if not low <= number <= high:
        raise DomainError(
            _("%(label)s应在 %(low)d 到 %(high)d 之间") % {"label": label, "low": low, "high": high}, field=field
        )
    return number


@transaction.atomic
def reward_create(*, actor, community_code: str, name: str, points, stock=0, description: str = "") -> Reward:
    """Put an item on a community's rewards counter (RUN_REWARDS, the community in scope)."""
    from wangge.regions.models import Level, Region

    require(actor, RUN_REWARDS)
    community = Region.objects.filter(code=(community_code or "").strip(), level=Level.COMMUNITY).first()
    if community is None or (actor is not None and not in_scope(actor, community.key)):
        raise DomainError(_("社区代码不存在或不在您的管辖范围内"), field="community_code")
    name = parse_text(name, "name", 100, label=_("物品名称"), required=True)
    if Reward.objects.filter(community=community, name=name).exists():
        raise Conflict(_("本社区积分超市已有“%(name)s”，请修改其库存") % {"name": name}, field="name")
    reward = Reward.objects.create(
        community=community,
        region_key=community.key,
        name=name,
        points=_int(points, "points", _("所需积分"), 1, 100000),
        stock=_int(stock, "stock", _("库存"), 0, 100000),
        description=parse_text(description, "description", 200, label=_("说明")),
    )
    audit.record(
        actor=actor,
        verb="points.reward_create",
        target=reward,
        scope_key=reward.region_key,
        after=audit.snapshot(reward),
    )
    return reward


@transaction.atomic
def reward_update(
    *, actor, reward: Reward, points=None, stock_added=0, description: str | None = None, is_active: bool | None = None
) -> Reward:
    """Change an item's price, description or shelf state, or add stock. Stock changes by a
    relative amount in one update, so a delivery booked during a redemption loses neither."""
    require(actor, RUN_REWARDS)
    _check_scope(actor, reward.region_key, _("物品"))
    reward = Reward.objects.select_for_update().get(pk=reward.pk)
    before = audit.snapshot(reward, ["points", "stock", "description", "is_active"])
    added = _int(stock_added or 0, "stock_added", _("入库数量"), -100000, 100000)
    if reward.stock + added < 0:
        raise DomainError(_("出库后库存不能小于零（现有 %(n)d 件）") % {"n": reward.stock}, field="stock_added")
    if points is not None:
        reward.points = _int(points, "points", _("所需积分"), 1, 100000)
    if description is not None:
        reward.description = parse_text(description, "description", 200, label=_("说明"))
    if is_active is not None:
        reward.is_active = bool(is_active)
    reward.save(update_fields=["points", "description", "is_active", "updated_at"])
    if added:
        Reward.objects.filter(pk=reward.pk).update(stock=F("stock") + added)
    reward.refresh_from_db()
    audit.record(
        actor=actor,
        verb="points.reward_update",
        target=reward,
        scope_key=reward.region_key,
        before=before,
        after=audit.snapshot(reward, ["points", "stock", "description", "is_active"]),
    )
    return reward


# ---- rules and models -----------------------------------------------------------------------


@transaction.atomic
def rule_update(
    *, actor, activity_type: str, points_per_service, points_per_hour, hours_factor, is_active: bool
) -> PointRule:
    """Change what one activity type earns (EDIT_POINT_RULES). Applies to services confirmed from
    now on; points already credited stay as they were booked."""
    require(actor, EDIT_POINT_RULES)
    if activity_type not in ActivityType.values:
        raise DomainError(_("未知的活动类型：%(t)s") % {"t": activity_type}, field="activity_type")
    rule, _created = PointRule.objects.select_for_update().get_or_create(activity_type=activity_type)
    before = audit.snapshot(rule, ["points_per_service", "points_per_hour", "hours_factor", "is_active"])
    rule.points_per_service = _int(points_per_service, "points_per_service", _("每次积分"), 0, 1000)
    rule.points_per_hour = _int(points_per_hour, "points_per_hour", _("每小时积分"), 0, 1000)
    try:
        factor = Decimal(str(hours_factor)).quantize(ONE_DECIMAL, ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise DomainError(_("时间银行折算应为数字，如 1.0"), field="hours_factor") from None
    if not Decimal(0) <= factor <= Decimal(10):
        raise DomainError(_("时间银行折算应在 0 到 10 之间"), field="hours_factor")
    rule.hours_factor = factor
    rule.is_active = bool(is_active)
    rule.updated_by = actor if getattr(actor, "pk", None) else None
    rule.save()
    audit.record(
        actor=actor,
        verb="points.rule_update",
        target=rule,
        scope_key="",
        before=before,
        after=audit.snapshot(rule, ["points_per_service", "points_per_hour", "hours_factor", "is_active"]),
    )
    return rule


@transaction.atomic
def model_select(
    *,
    actor,
    title: str,
    year,
    community_code: str,
    nominee: str,
    basis: str,
    quarter=None,
    account: Account | None = None,
) -> ModelSelection:
    """Record a model selection (最美家庭 …) with its basis (SELECT_MODELS, community in scope)."""
    from wangge.regions.models import Level, Region

    require(actor, SELECT_MODELS)
    if title not in ModelTitle.values:
        raise DomainError(_("请选择称号"), field="title")
    community = Region.objects.filter(code=(community_code or "").strip(), level=Level.COMMUNITY).first()
    if community is None or (actor is not None and not in_scope(actor, community.key)):
        raise DomainError(_("社区代码不存在或不在您的管辖范围内"), field="community_code")
    this_year = timezone.localdate().year
    year = _int(year, "year", _("年度"), 2000, this_year + 1)
    quarter = _int(quarter, "quarter", _("季度"), 1, 4) if quarter not in (None, "") else None
    if account is not None and not account.region_key.startswith(community.key):
        raise DomainError(_("该积分账户不在所选社区"), field="account")
    selection = ModelSelection.objects.create(
        title=title,
        year=year,
        quarter=quarter,
        community=community,
        region_key=community.key,
        nominee=parse_text(nominee, "nominee", 100, label=_("入选对象"), required=True),
        account=account,
        basis=parse_text(basis, "basis", 2000, label=_("评选依据"), required=True),
        selected_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        actor=actor,
        verb="points.model_select",
        target=selection,
        target_label=f"{selection.get_title_display()} {selection.nominee}",
        scope_key=community.key,
        after=audit.snapshot(selection),
    )
    return selection


@transaction.atomic
def account_link_user(*, actor, account: Account, username: str) -> Account:
    """Link a resident's login to their points account (RUN_REWARDS, both in scope), so points
    credited to their registry entry show on 我的积分. A login that already holds points of its
    own is refused: two accounts are never merged silently."""
    from wangge.accounts.models import User

    require(actor, RUN_REWARDS)
    _check_scope(actor, account.region_key, _("积分账户"))
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.kind != AccountKind.PERSON:
        raise DomainError(_("只有个人账户可以关联登录账号"), field="username")
    if account.user_id:
        raise Conflict(_("该账户已关联登录账号 %(u)s") % {"u": account.user.username}, field="username")
    user = User.objects.filter(username=(username or "").strip(), is_active=True).first()
    if user is None or (actor is not None and not in_scope(actor, user.scope_key or "\0")):
        raise DomainError(_("登录账号不存在或不在您的管辖范围内"), field="username")
    if user.role in PAID_ROLES:
        raise DomainError(_("工作人员的登录账号不能关联居民积分账户"), field="username")
    own = Account.objects.filter(user=user).first()
    if own is not None:
        if own.entries.exists():
            raise Conflict(
                _("登录账号 %(u)s 已有自己的积分记录，不能再关联其他账户") % {"u": user.username}, field="username"
            )
        raise Conflict(_("登录账号 %(u)s 已有积分账户") % {"u": user.username}, field="username")
    Account.objects.filter(pk=account.pk).update(user=user)
    account.refresh_from_db()
    audit.record(
        actor=actor,
        verb="points.link_user",
        target=account,
        scope_key=account.region_key,
        after={"user": user.pk, "username": user.username},
    )
    return account
