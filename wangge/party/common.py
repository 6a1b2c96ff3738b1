"""Small helpers the party services share: parsing what a person typed, finding regions and
organisations inside the actor's scope, and turning model validation into named-field errors."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from wangge.core.errors import DomainError, NotFound, validation_error_to_domain
from wangge.core.scope import in_scope
from wangge.core.validators import parse_hours
from wangge.regions.models import Level, Region


def choice(value, choices, field: str, label: str) -> str:
    value = "" if value is None else str(value).strip()
    if value not in choices.values:
        options = "、".join(f"{v}（{name}）" for v, name in choices.choices if v)
        raise DomainError(
            _("%(label)s %(v)s 无法识别，可选：%(o)s") % {"label": label, "v": value or "（空）", "o": options},
            field=field,
        )
    return value


def hours(value, field: str = "hours") -> Decimal:
    return parse_hours(value, field, label=_("服务时长"), minimum=Decimal(0), maximum=Decimal(24))


def date(value, field: str, label: str) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise DomainError(_("%(label)s应写成 2026-05-01 这样的日期") % {"label": label}, field=field) from None


def region(actor, code, *, field: str, levels: tuple[int, ...], label: str) -> Region:
    """A region of one of `levels` inside the actor's scope (None: the system, anywhere)."""
    code = "" if code is None else str(code).strip()
    if not code:
        raise DomainError(_("请填写%(label)s的代码") % {"label": label}, field=field)
    found = Region.objects.filter(code=code).first()
    if found is None or (actor is not None and not in_scope(actor, found.key)):
        raise NotFound(_("%(label)s %(code)s 不存在或不在您的管辖范围内") % {"label": label, "code": code}, field=field)
    if found.level not in levels:
        wanted = "、".join(str(Level(level).label) for level in levels)
        raise DomainError(
            _("%(code)s 是%(level)s，这里需要%(wanted)s")
            % {"code": code, "level": Level(found.level).label, "wanted": wanted},
            field=field,
        )
    return found


def community_of(key: str) -> str:
    """The community key (12 characters) of any key at or below a community."""
    return key[:12]


def full_clean(instance, exclude: list[str] | None = None) -> None:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as exc:
        raise validation_error_to_domain(exc) from None


def not_found(what: str, field: str | None = None) -> NotFound:
    return NotFound(_("未找到该%(what)s，或不在您的管辖范围内") % {"what": what}, field=field)


def reachable(actor, key: str) -> bool:
    """A community-wide item reaches everyone below it too: a resident of a grid sees the
    community's needs, projects and activities; staff see everything under their scope."""
    if actor is None:
        return True
    if not takes_part(actor):
        return False
    scope = actor.scope_key
    return scope is not None and (key.startswith(scope) or scope.startswith(key))


def takes_part(user) -> bool:
    """Party staff and residents take part in the community's lists and activities; the hotline
    and departments, whose scope is a whole city or district, do not."""
    from wangge.accounts.roles import VIEW_PARTY, Role

    return user.is_authenticated and (user.can(VIEW_PARTY) or (user.is_active and user.role == Role.RESIDENT))
