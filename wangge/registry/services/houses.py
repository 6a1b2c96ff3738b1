"""Registering buildings (楼栋) in compounds and households (户) in buildings: the house ledger's
new dwellings. Ledger keepers (KEEP_LEDGERS) in their scope; each write is atomic and audited."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from wangge.accounts.roles import KEEP_LEDGERS, require
from wangge.core import audit, pii
from wangge.core.errors import Conflict, DomainError
from wangge.regions.models import Building, Compound, Household, HouseUse

from .residents import (
    HOUSE_FIELDS,
    _area,
    _check_date,
    _check_scope,
    _clean_text,
    _full_clean,
    _normalise_phone,
)

BUILDING_FIELDS = ["compound", "name", "floors", "units", "region_key"]


def _count(value, *, field: str, label: str, maximum: int) -> int:
    if type(value) is not int or not 1 <= value <= maximum:
        raise DomainError(_("%(label)s应为1到%(n)d之间的整数") % {"label": label, "n": maximum}, field=field)
    return value


@transaction.atomic
def building_create(*, actor, compound: Compound, name: str, floors: int = 1, units: int = 1) -> Building:
    """Add a building to a compound of the actor's scope; names are unique within the compound."""
    require(actor, KEEP_LEDGERS)
    _check_scope(actor, compound.region_key, field="compound", message=_("小区不存在或不在您的管辖范围内"))
    building = Building(
        compound=compound,
        region_key=compound.region_key,
        name=_clean_text(name, field="name", label=_("楼栋名称"), max_length=50, required=True),
        floors=_count(floors, field="floors", label=_("层数"), maximum=200),
        units=_count(units, field="units", label=_("单元数"), maximum=99),
    )
    if Building.objects.filter(compound=compound, name=building.name).exists():
        raise Conflict(
            _("小区“%(c)s”已有楼栋“%(b)s”") % {"c": compound.name, "b": building.name}, code="duplicate", field="name"
        )
    _full_clean(building, exclude=["compound", "microgrid"])
    try:
        with transaction.atomic():
            building.save()
    except IntegrityError:  # registered by someone else at the same instant
        raise Conflict(
            _("小区“%(c)s”已有楼栋“%(b)s”") % {"c": compound.name, "b": building.name}, code="duplicate", field="name"
        ) from None
    audit.record(
        actor=actor,
        verb="building.create",
        target=building,
        target_label=f"{compound.name}{building.name}",
        scope_key=building.region_key,
        after=audit.snapshot(building, BUILDING_FIELDS),
    )
    return building


@transaction.atomic
def household_create(
    *,
    actor,
    building: Building,
    unit: int,
    room: str,
    use: str = "",
    area_m2=None,
    owner_name: str = "",
    owner_phone: str = "",
    checked_on=None,
) -> Household:
    """Add a household (unit and room) to a building of the actor's scope, with the house
    ledger's attributes. A room is registered once per unit of a building."""
    require(actor, KEEP_LEDGERS)
    _check_scope(actor, building.region_key, field="building", message=_("楼栋不存在或不在您的管辖范围内"))
    unit = _count(unit, field="unit", label=_("单元号"), maximum=99)
    if unit > building.units:
        raise DomainError(
            _("楼栋“%(b)s”只有%(n)d个单元，没有%(u)d单元") % {"b": building.name, "n": building.units, "u": unit},
            field="unit",
        )
    room = _clean_text(room, field="room", label=_("房号"), max_length=10, required=True)
    if use not in HouseUse.values:
        raise DomainError(_("房屋用途应为自住、出租、空置或经营"), field="use")
    household = Household(
        building=building,
        region_key=building.region_key,
        unit=unit,
        room=room,
        use=use,
        area_m2=_area(area_m2),
        owner_name=_clean_text(owner_name, field="owner_name", label=_("产权人/房东"), max_length=50),
        checked_on=_check_date(checked_on, field="checked_on", label=_("核实日期")) if checked_on else None,
    )
    phone = _normalise_phone(owner_phone, field="owner_phone")
    household.owner_phone_cipher, _index, household.owner_phone_masked = pii.protect_phone(phone)
    duplicate = Conflict(
        _("%(b)s已有%(u)d单元%(r)s这一户") % {"b": building.name, "u": unit, "r": room}, code="duplicate", field="room"
    )
    if Household.objects.filter(building=building, unit=unit, room=room).exists():
        raise duplicate
    _full_clean(household, exclude=["building"])
    try:
        with transaction.atomic():
            household.save()
    except IntegrityError:
        raise duplicate from None
    audit.record(
        actor=actor,
        verb="household.create",
        target=household,
        target_label=f"{building.name}{household}",
        scope_key=household.region_key,
        after={"building": building.pk, "unit": unit, "room": room, **audit.snapshot(household, HOUSE_FIELDS)},
    )
    return household


@transaction.atomic
def building_update(*, actor, building: Building, name=None, floors=None, units=None) -> Building:
    """Correct a building's name, floors or number of units (None keeps a field). The number of
    units cannot fall below a unit that has households."""
    require(actor, KEEP_LEDGERS)
    _check_scope(actor, building.region_key, field="building", message=_("楼栋不存在或不在您的管辖范围内"))
    building = Building.objects.select_for_update().select_related("compound").get(pk=building.pk)
    before = audit.snapshot(building, BUILDING_FIELDS)
    if name is not None:
        name = _clean_text(name, field="name", label=_("楼栋名称"), max_length=50, required=True)
        if name != building.name and Building.objects.filter(compound=building.compound, name=name).exists():
            raise Conflict(
                _("小区“%(c)s”已有楼栋“%(b)s”") % {"c": building.compound.name, "b": name},
                code="duplicate",
                field="name",
            )
        building.name = name
    if floors is not None:
        building.floors = _count(floors, field="floors", label=_("层数"), maximum=200)
    if units is not None:
        building.units = _count(units, field="units", label=_("单元数"), maximum=99)
        highest = building.households.order_by("-unit").values_list("unit", flat=True).first()
        if highest is not None and building.units < highest:
            raise DomainError(_("该楼栋%(u)d单元已有住户，单元数不能少于%(u)d") % {"u": highest}, field="units")
    after = audit.snapshot(building, BUILDING_FIELDS)
    if after == before:
        return building
    _full_clean(building, exclude=["compound", "microgrid"])
    building.save()
    audit.record(
        actor=actor,
        verb="building.update",
        target=building,
        target_label=f"{building.compound.name}{building.name}",
        scope_key=building.region_key,
        before=before,
        after=after,
    )
    return building


__all__ = ["building_create", "building_update", "household_create"]
