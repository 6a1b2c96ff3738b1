"""Writes to the units-in-area ledger and the shared-resource list. Every function is atomic,
keyword-only and leaves one audit record. Relations are named by their natural keys (grid code,
compound name within its grid, unit credit code), so forms, the API and spreadsheet imports call
the same functions with what a person writes. `actor=None` is the system (demo builder, imports
run by commands); any other actor must hold the capability and the objects must lie in their scope.
Bookings live in `bookings.py`."""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.roles import MANAGE_UNITS, REVEAL_PII, require
from wangge.core import audit, pii
from wangge.core.errors import Conflict, DomainError, NotFound, validation_error_to_domain
from wangge.core.scope import in_scope
from wangge.core.validators import check_credit_code, check_mobile, parse_text
from wangge.regions.models import Compound, Level, Region

from .hours import check_week, normalise_week, parse_week_text
from .models import PriceRule, Resource, ResourceKind, Unit, UnitKind

_LANDLINE = re.compile(r"^0[0-9]{2,3}-?[0-9]{7,8}$")
# Model field → the input field a caller filled in, so errors name what the person can fix.
_UNIT_FIELDS = {"grid": "grid_code", "compound": "compound_name", "contact_phone_masked": "contact_phone"}
_RESOURCE_FIELDS = {"owner_unit": "owner_unit_code", "owner_compound": "owner_compound_name"}


def check_contact_phone(value: str) -> str | None:
    """A mobile number, or a landline with its area code (0830-1234567)."""
    value = _str(value)
    if value.startswith("0"):
        if not _LANDLINE.match(value):
            return _("固定电话应写成区号加号码，如 0830-1234567")
        return None
    return check_mobile(value)


def _full_clean(instance, rename: dict, exclude: list[str] | None = None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        error = validation_error_to_domain(exc)
        error.field = rename.get(error.field, error.field)
        for detail in error.details:
            detail["field"] = rename.get(detail["field"], detail["field"])
        raise error from None


def _str(value) -> str:
    """Text from whatever a caller or a spreadsheet cell gives: None is empty, and a number such
    as 13800001234.0 (Excel stores phones and codes as numbers) is written without a fraction."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# ---- units ----------------------------------------------------------------------------------


def _grid(actor, grid_code: str) -> Region:
    grid_code = _str(grid_code)
    if not grid_code:
        raise DomainError(_("请填写所在网格的代码"), field="grid_code")
    grid = Region.objects.filter(code=grid_code).first()
    if grid is None or (actor is not None and not in_scope(actor, grid.key)):
        raise NotFound(_("网格 %(code)s 不存在或不在您的管辖范围内") % {"code": grid_code}, field="grid_code")
    if grid.level != Level.GRID:
        raise DomainError(
            _("%(code)s 是%(level)s，不是网格：请填写15位的网格代码")
            % {"code": grid_code, "level": Level(grid.level).label},
            field="grid_code",
        )
    return grid


def _compound(grid: Region, name: str, field: str) -> Compound | None:
    name = _str(name)
    if not name:
        return None
    compound = Compound.objects.filter(grid=grid, name=name).first()
    if compound is None:
        raise NotFound(_("网格 %(grid)s 内没有名为 %(name)s 的小区") % {"grid": grid.name, "name": name}, field=field)
    return compound


def _credit_code(actor, value: str, *, exclude_pk: int | None = None) -> str:
    code = _str(value).upper()
    reason = check_credit_code(code)
    if reason:
        raise DomainError(str(reason), field="credit_code")
    other = Unit.objects.filter(credit_code=code).exclude(pk=exclude_pk).only("name", "region_key").first()
    if other is not None:
        if actor is None or in_scope(actor, other.region_key):
            message = _("统一社会信用代码 %(code)s 已登记为“%(name)s”") % {"code": code, "name": other.name}
        else:  # do not reveal what another street has registered
            message = _("统一社会信用代码 %(code)s 已由其他辖区登记，请与上级核对") % {"code": code}
        raise DomainError(message, field="credit_code", code="duplicate")
    return code


def _kind(value: str, choices, field: str) -> str:
    if value not in choices.values:
        labels = "、".join(f"{v}（{label}）" for v, label in choices.choices)
        raise DomainError(_("类型 %(v)s 无法识别，可选：%(labels)s") % {"v": value, "labels": labels}, field=field)
    return value


def _set_phone(unit: Unit, phone: str) -> None:
    phone = _str(phone)
    if phone:
        reason = check_contact_phone(phone)
        if reason:
            raise DomainError(str(reason), field="contact_phone")
    unit.contact_phone_cipher, unit.contact_phone_index, unit.contact_phone_masked = pii.protect_phone(phone)


def _save_unit(unit: Unit) -> None:
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError:
        # Two people registering the same code at the same instant: the constraint decides.
        raise DomainError(
            _("统一社会信用代码 %(code)s 已被登记") % {"code": unit.credit_code}, field="credit_code", code="duplicate"
        ) from None


def _set_text(instance, name: str, value, *, required: bool = False, limit: int | None = None) -> None:
    """A text field from a caller, limited and labelled as the model field is."""
    field = instance._meta.get_field(name)
    limit = limit or field.max_length
    setattr(instance, name, parse_text(value, name, limit, required=required, label=str(field.verbose_name)))


def _set_unit_fields(unit: Unit, actor, values: dict) -> None:
    """Parse and set the fields named in `values`: all of them when creating, the ones a caller
    passed when updating. One order for both, so both refuse the same input the same way."""
    values = dict(values)
    if "name" in values:
        _set_text(unit, "name", values["name"], required=True)
    if "credit_code" in values and (unit.pk is None or _str(values["credit_code"]).upper() != unit.credit_code):
        unit.credit_code = _credit_code(actor, values["credit_code"], exclude_pk=unit.pk)
    if "kind" in values:
        unit.kind = _kind(values["kind"], UnitKind, "kind")
    if "grid_code" in values and (unit.grid_id is None or _str(values["grid_code"]) != unit.grid.code):
        unit.grid = _grid(actor, values["grid_code"])
        unit.region_key = unit.grid.key
        values.setdefault("compound_name", "")  # the old compound is in the old grid
    if "compound_name" in values:
        unit.compound = _compound(unit.grid, values["compound_name"], "compound_name")
    for name in ("address", "contact_name"):
        if name in values:
            _set_text(unit, name, values[name])
    if "contact_phone" in values:
        _set_phone(unit, values["contact_phone"])
    if "has_party_organisation" in values:
        unit.has_party_organisation = bool(values["has_party_organisation"])
    if "party_organisation_name" in values:
        _set_text(unit, "party_organisation_name", values["party_organisation_name"])


@transaction.atomic
def unit_create(
    *,
    actor,
    name: str,
    credit_code: str,
    kind: str,
    grid_code: str,
    compound_name: str = "",
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    has_party_organisation: bool = False,
    party_organisation_name: str = "",
) -> Unit:
    """Register a unit in a grid of the actor's scope. Grid workers, community staff, party
    secretaries and administrators."""
    require(actor, MANAGE_UNITS)
    unit = Unit()
    _set_unit_fields(
        unit,
        actor,
        {
            "name": name,
            "credit_code": credit_code,
            "kind": kind,
            "grid_code": grid_code,
            "compound_name": compound_name,
            "address": address,
            "contact_name": contact_name,
            "contact_phone": contact_phone,
            "has_party_organisation": has_party_organisation,
            "party_organisation_name": party_organisation_name,
        },
    )
    _full_clean(unit, _UNIT_FIELDS)
    _save_unit(unit)
    audit.record(actor=actor, verb="unit.create", target=unit, scope_key=unit.region_key, after=audit.snapshot(unit))
    return unit


_UNSET = object()


def _passed(arguments: dict, *, nullable=()) -> dict:
    """The arguments an update was given: None keeps a field, except for the `nullable` ones,
    which None clears and leaving out (_UNSET) keeps."""
    return {key: value for key, value in arguments.items() if value is not (_UNSET if key in nullable else None)}


@transaction.atomic
def unit_update(
    *,
    actor,
    unit: Unit,
    name: str | None = None,
    credit_code: str | None = None,
    kind: str | None = None,
    grid_code: str | None = None,
    compound_name: str | None = None,
    address: str | None = None,
    contact_name: str | None = None,
    contact_phone: str | None = None,
    has_party_organisation: bool | None = None,
    party_organisation_name: str | None = None,
) -> Unit:
    """Change a unit's record; None leaves a field as it is (contact_phone="" clears the phone).
    Moving the unit to another grid moves the resources it owns with it."""
    require(actor, MANAGE_UNITS)
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    if actor is not None and not in_scope(actor, unit.region_key):
        raise NotFound(_("未找到该单位，或不在您的管辖范围内"))
    before = audit.snapshot(unit)
    old_key, old_phone_index = unit.region_key, unit.contact_phone_index
    given = {
        "name": name,
        "credit_code": credit_code,
        "kind": kind,
        "grid_code": grid_code,
        "compound_name": compound_name,
        "address": address,
        "contact_name": contact_name,
        "contact_phone": contact_phone,
        "has_party_organisation": has_party_organisation,
        "party_organisation_name": party_organisation_name,
    }
    _set_unit_fields(unit, actor, _passed(given))
    after = audit.snapshot(unit)
    if after == before and unit.contact_phone_index == old_phone_index:
        return unit
    _full_clean(unit, _UNIT_FIELDS)
    _save_unit(unit)
    note = ""
    if unit.region_key != old_key:
        moved = Resource.objects.filter(owner_unit=unit).update(region_key=unit.region_key)
        note = _("单位迁至新网格，其共享资源 %(n)d 项随之迁移") % {"n": moved} if moved else ""
    audit.record(
        actor=actor, verb="unit.update", target=unit, scope_key=unit.region_key, before=before, after=after, note=note
    )
    if unit.region_key != old_key:
        # The old grid's staff must see that the unit left.
        audit.record(actor=actor, verb="unit.update", target=unit, scope_key=old_key, before=before, after=after)
    return unit


@transaction.atomic
def unit_delete(*, actor, unit: Unit) -> None:
    """Remove a unit registered by mistake. A unit that owns resources or has bookings stays:
    its history matters to the party's dual-reporting records."""
    require(actor, MANAGE_UNITS)
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    if actor is not None and not in_scope(actor, unit.region_key):
        raise NotFound(_("未找到该单位，或不在您的管辖范围内"))
    owned = Resource.objects.filter(owner_unit=unit).count()
    if owned:
        raise Conflict(_("该单位登记了 %(n)d 项共享资源，请先删除或转给其他单位或小区") % {"n": owned})
    if unit.bookings.exists():
        raise Conflict(_("该单位有预约记录，不能删除；如已撤离，可暂停其预约资源并在地址中注明"))
    before = audit.snapshot(unit)
    pk = unit.pk
    unit.delete()
    audit.record(
        actor=actor,
        verb="unit.delete",
        target=None,
        target_type="units.unit",
        target_id=str(pk),
        target_label=before["name"],
        scope_key=before["region_key"],
        before=before,
    )


@transaction.atomic
def unit_set_booking_barred(*, unit: Unit, barred: bool, reason: str, actor) -> Unit:
    """Bar a unit from booking shared resources, or lift the bar. 乐山: a unit scoring under 60
    in participation loses access; the party app calls this with its score as the reason.
    Barring needs a reason; existing bookings stay (cancel them one by one if needed)."""
    require(actor, MANAGE_UNITS)
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    if actor is not None and not in_scope(actor, unit.region_key):
        raise NotFound(_("未找到该单位，或不在您的管辖范围内"))
    reason = parse_text(reason, "reason", 200, required=barred, label=_("暂停原因"))
    if unit.booking_barred == barred and (not barred or unit.booking_barred_reason == reason):
        return unit
    before = audit.snapshot(unit, ["booking_barred", "booking_barred_reason", "booking_barred_at"])
    unit.booking_barred = barred
    unit.booking_barred_reason = reason if barred else ""
    unit.booking_barred_at = timezone.now() if barred else None
    unit.save(update_fields=["booking_barred", "booking_barred_reason", "booking_barred_at", "updated_at"])
    audit.record(
        actor=actor,
        verb="unit.booking_bar" if barred else "unit.booking_unbar",
        target=unit,
        scope_key=unit.region_key,
        before=before,
        after=audit.snapshot(unit, ["booking_barred", "booking_barred_reason", "booking_barred_at"]),
        note=reason,
    )
    return unit


@transaction.atomic
def unit_reveal_contact_phone(*, actor, unit: Unit, reason: str) -> str:
    """The contact phone in full, for someone allowed to see it, with the reason recorded."""
    if actor is not None and not in_scope(actor, unit.region_key):
        raise NotFound(_("未找到该单位，或不在您的管辖范围内"))
    if not unit.contact_phone_cipher:
        raise DomainError(_("该单位没有登记联系电话"), field="contact_phone")
    return pii.reveal(
        actor=actor,
        obj=unit,
        cipher="contact_phone_cipher",
        reason=reason,
        verb="unit.reveal_phone",
        capability=REVEAL_PII,
    )


# ---- shared resources -----------------------------------------------------------------------


def _owner(actor, *, owner_unit_code: str, owner_grid_code: str, owner_compound_name: str):
    """(unit, compound): exactly one is set, both inside the actor's scope."""
    unit_code = _str(owner_unit_code).upper()
    compound_name = _str(owner_compound_name)
    if bool(unit_code) == bool(compound_name or _str(owner_grid_code)):
        raise DomainError(
            _("请指定资源所属的一个单位（统一社会信用代码），或一个小区（网格代码和小区名称），只能选其一"),
            field="owner_unit_code",
        )
    if unit_code:
        unit = Unit.objects.filter(credit_code=unit_code).first()
        if unit is None or (actor is not None and not in_scope(actor, unit.region_key)):
            raise NotFound(
                _("统一社会信用代码为 %(code)s 的单位不存在或不在您的管辖范围内") % {"code": unit_code},
                field="owner_unit_code",
            )
        return unit, None
    grid = _grid(actor, owner_grid_code)
    if not compound_name:
        raise DomainError(_("请填写所属小区的名称"), field="owner_compound_name")
    return None, _compound(grid, compound_name, "owner_compound_name")


def _price(value, field: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation:
        raise DomainError(_("价格 %(v)s 不是数字") % {"v": value}, field=field) from None
    if not price.is_finite() or price < 0 or price >= Decimal("1000000"):
        raise DomainError(_("价格应为 0 至 999999.99 之间的数"), field=field)
    if price != price.quantize(Decimal("0.01")):
        raise DomainError(_("价格最多保留两位小数"), field=field)
    return price.quantize(Decimal("0.01"))


def _hours(value) -> dict:
    """The stored form from a dict or from text such as "周一至周五 08:00-18:00"."""
    if isinstance(value, str):
        try:
            return parse_week_text(value)
        except ValueError as exc:
            raise DomainError(str(exc), field="opening_hours") from None
    reason = check_week(value or {})
    if reason:
        raise DomainError(str(reason), field="opening_hours")
    return normalise_week(value or {})


def _coordinates(lng, lat) -> tuple[float | None, float | None]:
    if (lng is None) != (lat is None):
        raise DomainError(_("经度和纬度须同时填写或同时留空"), field="lng")
    if lng is not None and not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise DomainError(_("经纬度超出范围：经度应在 -180 至 180，纬度在 -90 至 90"), field="lng")
    return lng, lat


def _capacity(value) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(_str(value))
    except (TypeError, ValueError):
        raise DomainError(_("容量应为正整数"), field="capacity") from None
    if number < 1 or number > 1_000_000:
        raise DomainError(_("容量应为 1 至 1000000 之间的整数"), field="capacity")
    return number


_OWNER_KEYS = ("owner_unit_code", "owner_grid_code", "owner_compound_name")
_NULLABLE_RESOURCE_KEYS = ("lng", "lat", "capacity", "standard_price", "low_price")


def _set_resource_fields(resource: Resource, actor, values: dict) -> None:
    """Parse and set the fields named in `values`: all of them when creating, the ones a caller
    passed when updating. A new owner needs the whole owner (a unit, or a grid and compound)."""
    if any(values.get(key) is not None for key in _OWNER_KEYS):
        unit, compound = _owner(actor, **{key: values.get(key) or "" for key in _OWNER_KEYS})
        resource.owner_unit, resource.owner_compound = unit, compound
        resource.region_key = (unit or compound).region_key
    if "name" in values:
        _set_text(resource, "name", values["name"], required=True)
    if "kind" in values:
        resource.kind = _kind(values["kind"], ResourceKind, "kind")
    if "location" in values:
        _set_text(resource, "location", values["location"])
    if "lng" in values or "lat" in values:
        resource.lng, resource.lat = _coordinates(values.get("lng", resource.lng), values.get("lat", resource.lat))
    if "capacity" in values:
        resource.capacity = _capacity(values["capacity"])
    if "opening_hours" in values:
        resource.opening_hours = _hours(values["opening_hours"])
    if "price_rule" in values:
        resource.price_rule = _kind(values["price_rule"], PriceRule, "price_rule")
        if resource.price_rule == PriceRule.FREE and "standard_price" not in values and "low_price" not in values:
            resource.standard_price = resource.low_price = None  # becoming free drops the prices
    for name in ("standard_price", "low_price"):
        if name in values:
            setattr(resource, name, _price(values[name], name))
    if "description" in values:
        _set_text(resource, "description", values["description"], limit=2000)
    if "is_active" in values:
        resource.is_active = bool(values["is_active"])


@transaction.atomic
def resource_create(
    *,
    actor,
    name: str,
    kind: str,
    owner_unit_code: str = "",
    owner_grid_code: str = "",
    owner_compound_name: str = "",
    location: str = "",
    lng: float | None = None,
    lat: float | None = None,
    capacity: int | None = None,
    opening_hours: dict | str = "",
    price_rule: str = PriceRule.FREE,
    standard_price: Decimal | str | None = None,
    low_price: Decimal | str | None = None,
    description: str = "",
    is_active: bool = True,
) -> Resource:
    """Put a unit's or a compound's resource on the shared list. The owner is a unit (by credit
    code) or a compound (by grid code and name), never both. Opening hours are the stored dict or
    text ("周一至周五 08:00-12:00, 14:00-18:00；周六 09:00-17:00"). Prices are yuan per hour:
    free resources have none; low-cost ones have the low price for the favoured group (residents
    or co-building units) and the standard price for everyone else."""
    require(actor, MANAGE_UNITS)
    resource = Resource()
    _set_resource_fields(
        resource,
        actor,
        {
            "owner_unit_code": owner_unit_code,
            "owner_grid_code": owner_grid_code,
            "owner_compound_name": owner_compound_name,
            "name": name,
            "kind": kind,
            "location": location,
            "lng": lng,
            "lat": lat,
            "capacity": capacity,
            "opening_hours": opening_hours,
            "price_rule": price_rule,
            "standard_price": standard_price,
            "low_price": low_price,
            "description": description,
            "is_active": is_active,
        },
    )
    _full_clean(resource, _RESOURCE_FIELDS)
    resource.save()
    audit.record(
        actor=actor,
        verb="resource.create",
        target=resource,
        scope_key=resource.region_key,
        after=audit.snapshot(resource),
    )
    return resource


@transaction.atomic
def resource_update(
    *,
    actor,
    resource: Resource,
    name: str | None = None,
    kind: str | None = None,
    owner_unit_code: str | None = None,
    owner_grid_code: str | None = None,
    owner_compound_name: str | None = None,
    location: str | None = None,
    lng: float | None | object = _UNSET,
    lat: float | None | object = _UNSET,
    capacity: int | None | object = _UNSET,
    opening_hours: dict | str | None = None,
    price_rule: str | None = None,
    standard_price: Decimal | str | None | object = _UNSET,
    low_price: Decimal | str | None | object = _UNSET,
    description: str | None = None,
    is_active: bool | None = None,
) -> Resource:
    """Change a resource. None (or, for the nullable numbers, leaving the argument out) keeps a
    field. Changing the owner needs the full new owner. Bookings already made keep their price
    and times even when the hours or prices change."""
    require(actor, MANAGE_UNITS)
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    if actor is not None and not in_scope(actor, resource.region_key):
        raise NotFound(_("未找到该资源，或不在您的管辖范围内"))
    before = audit.snapshot(resource)
    old_key = resource.region_key
    given = {
        "owner_unit_code": owner_unit_code,
        "owner_grid_code": owner_grid_code,
        "owner_compound_name": owner_compound_name,
        "name": name,
        "kind": kind,
        "location": location,
        "lng": lng,
        "lat": lat,
        "capacity": capacity,
        "opening_hours": opening_hours,
        "price_rule": price_rule,
        "standard_price": standard_price,
        "low_price": low_price,
        "description": description,
        "is_active": is_active,
    }
    _set_resource_fields(resource, actor, _passed(given, nullable=_NULLABLE_RESOURCE_KEYS))
    after = audit.snapshot(resource)
    if after == before:
        return resource
    _full_clean(resource, _RESOURCE_FIELDS)
    resource.save()
    audit.record(
        actor=actor, verb="resource.update", target=resource, scope_key=resource.region_key, before=before, after=after
    )
    if resource.region_key != old_key:
        audit.record(
            actor=actor, verb="resource.update", target=resource, scope_key=old_key, before=before, after=after
        )
    return resource


@transaction.atomic
def resource_delete(*, actor, resource: Resource) -> None:
    """Remove a resource listed by mistake. One that has been booked stays (bookings are
    history); close it to new bookings instead."""
    require(actor, MANAGE_UNITS)
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    if actor is not None and not in_scope(actor, resource.region_key):
        raise NotFound(_("未找到该资源，或不在您的管辖范围内"))
    if resource.bookings.exists():
        raise Conflict(_("该资源已有预约记录，不能删除；如不再共享，请关闭其“开放预约”"))
    before = audit.snapshot(resource)
    pk = resource.pk
    resource.delete()
    audit.record(
        actor=actor,
        verb="resource.delete",
        target=None,
        target_type="units.resource",
        target_id=str(pk),
        target_label=before["name"],
        scope_key=before["region_key"],
        before=before,
    )


__all__ = [
    "check_contact_phone",
    "resource_create",
    "resource_delete",
    "resource_update",
    "unit_create",
    "unit_delete",
    "unit_reveal_contact_phone",
    "unit_set_booking_barred",
    "unit_update",
]
