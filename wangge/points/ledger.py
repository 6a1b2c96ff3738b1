"""The one place entries are written. A movement's legs must sum to zero (points and hours); each
account it touches is locked in id order (so two movements never deadlock) and changed by a
conditional update, so a balance never goes below zero even when two redemptions arrive at once.
The database backs both rules up: a check constraint refuses a negative holder balance, the
unique movement key refuses a second posting of the same thing."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from wangge.core.errors import Conflict, DomainError
from wangge.regions.models import Level, Region

from .models import Account, AccountKind, Entry, Movement

ZERO_HOURS = Decimal("0.0")


class AlreadyPosted(Conflict):
    """The movement's key is booked already: the same service or counter click came twice."""

    code = "already_posted"


class InsufficientBalance(Conflict):
    code = "insufficient_balance"


@dataclass(frozen=True)
class Leg:
    account: Account
    points: int
    hours: Decimal = ZERO_HOURS


def community_of(region_key: str) -> Region:
    """The community (社区/村) a region key lies in; its house accounts pay and receive."""
    community = Region.objects.filter(key=region_key[:12], level=Level.COMMUNITY).first()
    if len(region_key) < 12 or community is None:
        raise DomainError(_("区域 %(key)s 不在任何社区内，无法记积分") % {"key": region_key}, field="region_key")
    return community


def house_account(community: Region, kind: str) -> Account:
    """The community's issuing or rewards account, opened on first use."""
    names = {AccountKind.ISSUING: _("%(c)s积分发放账户"), AccountKind.REWARDS: _("%(c)s积分超市账户")}
    account, _created = _get_or_open(
        Account.objects.filter(kind=kind, community=community),
        kind=kind,
        community=community,
        region_key=community.key,
        name=names[kind] % {"c": community.name},
    )
    return account


def person_account(*, resident=None, user=None, region_key: str = "") -> Account:
    """A person's account, found by their registry entry first, then their login. Opening one
    links both when both are known; an account found by one of them gains the other link only
    if no other account holds it (two accounts of one person are never merged silently)."""
    if resident is None and user is None:
        raise DomainError(_("请指明积分归属的居民或用户"), field="resident_id")
    account = None
    if resident is not None:
        account = Account.objects.filter(resident=resident).first()
    if account is None and user is not None:
        account = Account.objects.filter(user=user).first()
    if account is not None:
        if (
            resident is not None
            and account.resident_id is None
            and not Account.objects.filter(resident=resident).exists()
        ):
            Account.objects.filter(pk=account.pk, resident__isnull=True).update(resident=resident)
        if user is not None and account.user_id is None and not Account.objects.filter(user=user).exists():
            Account.objects.filter(pk=account.pk, user__isnull=True).update(user=user)
        return account
    key = resident.region_key if resident is not None else (user.scope_key or region_key)
    lookup = Account.objects.filter(resident=resident) if resident is not None else Account.objects.filter(user=user)
    account, _created = _get_or_open(
        lookup,
        kind=AccountKind.PERSON,
        resident=resident,
        user=user,
        region_key=key or region_key,
        name=resident.name if resident is not None else str(user),
    )
    return account


def unit_account(unit) -> Account:
    account, _created = _get_or_open(
        Account.objects.filter(unit=unit), kind=AccountKind.UNIT, unit=unit, region_key=unit.region_key, name=unit.name
    )
    return account


def _get_or_open(lookup, **fields) -> tuple[Account, bool]:
    found = lookup.first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            return Account.objects.create(**fields), True
    except IntegrityError:  # opened by a concurrent request a moment ago
        found = lookup.first()
        if found is None:  # the person's other link was taken by that request: use its account
            others = Q(pk__in=[])
            for link in ("resident", "user", "unit"):
                if fields.get(link) is not None:
                    others |= Q(**{link: fields[link]})
            found = Account.objects.filter(others).first()
        if found is None:
            raise
        return found, False


def post(
    *,
    key: str,
    kind: str,
    label: str,
    legs: list[Leg],
    occurred_on: datetime.date,
    region_key: str,
    actor=None,
    activity_type: str = "",
    service_hours: Decimal = ZERO_HOURS,
    unit=None,
    reverses: Movement | None = None,
) -> Movement:
    """Book one movement. Must run inside the caller's transaction (the caller audits it)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("points.ledger.post runs inside the caller's transaction")
    if len(legs) < 2:
        raise DomainError(_("一笔积分变动至少涉及两个账户"))
    if sum(leg.points for leg in legs) != 0 or sum((leg.hours for leg in legs), ZERO_HOURS) != 0:
        raise DomainError(_("借贷不平：一笔积分变动的各分录之和必须为零"))
    if len({leg.account.pk for leg in legs}) != len(legs):
        raise DomainError(_("一笔积分变动中同一账户只能出现一次"))
    try:
        with transaction.atomic():
            movement = Movement.objects.create(
                key=key,
                kind=kind,
                label=label[:200],
                occurred_on=occurred_on,
                region_key=region_key,
                actor=actor if getattr(actor, "pk", None) else None,
                activity_type=activity_type,
                service_hours=service_hours,
                unit=unit,
                reverses=reverses,
            )
    except IntegrityError:
        if Movement.objects.filter(key=key).exists():
            raise AlreadyPosted(_("该业务已记账（编号 %(key)s），不会重复记积分") % {"key": key}, field="key") from None
        raise AlreadyPosted(_("该笔积分已冲正过，不能重复冲正"), field="movement") from None
    # Lock every touched account in one order so concurrent movements queue instead of deadlocking.
    list(Account.objects.select_for_update().filter(pk__in=[leg.account.pk for leg in legs]).order_by("pk"))
    for leg in legs:
        allowed = Q(kind=AccountKind.ISSUING) | Q(balance__gte=-leg.points, hours__gte=-leg.hours)
        changed = (
            Account.objects.filter(pk=leg.account.pk)
            .filter(allowed)
            .update(balance=F("balance") + leg.points, hours=F("hours") + leg.hours)
        )
        if not changed:
            account = Account.objects.get(pk=leg.account.pk)
            raise InsufficientBalance(
                _("%(name)s 的积分余额不足：现有 %(balance)d 分、%(hours)s 小时，需 %(need)d 分、%(need_hours)s 小时")
                % {
                    "name": account.name,
                    "balance": account.balance,
                    "hours": account.hours,
                    "need": max(-leg.points, 0),
                    "need_hours": max(-leg.hours, ZERO_HOURS),
                },
                field="points",
            )
    Entry.objects.bulk_create(
        Entry(movement=movement, account=leg.account, points=leg.points, hours=leg.hours)
        for leg in legs
        if leg.points or leg.hours
    )
    return movement
