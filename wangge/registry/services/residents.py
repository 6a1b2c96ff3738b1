"""Writes to the house and resident ledgers (实有人口, 房屋). Every function is atomic, checks the
actor's capability and scope itself, and leaves one audit record per change."""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from wangge.accounts.roles import KEEP_LEDGERS, REVEAL_PII, require
from wangge.core import audit, pii
from wangge.core.errors import Conflict, DomainError, NotFound, validation_error_to_domain
from wangge.core.scope import in_scope
from wangge.core.validators import check_id_number, check_mobile
from wangge.regions.models import Household, HouseUse

from ..common import KEEP, birth_and_gender, household_address, today
from ..models import CareRecord, MoveReason, Residence, ResidenceKind, Resident

RESIDENT_FIELDS = [
    "name",
    "id_masked",
    "gender",
    "birth_date",
    "phone_masked",
    "household",
    "region_key",
    "kind",
    "moved_in",
    "left_on",
    "origin",
    "note",
]
HOUSE_FIELDS = ["use", "area_m2", "owner_name", "owner_phone_masked", "checked_on"]
REVEAL_FIELDS = {"id_number": "id_cipher", "phone": "phone_cipher"}


def _check_scope(actor, region_key: str, *, field: str, message: str) -> None:
    """Objects outside the actor's scope are refused exactly like missing ones."""
    if actor is not None and not in_scope(actor, region_key):
        raise NotFound(message, field=field)


def _check_resident(actor, resident: Resident) -> None:
    _check_scope(actor, resident.region_key, field="resident", message=_("居民不存在或不在您的管辖范围内"))


def _check_household(actor, household: Household) -> None:
    _check_scope(actor, household.region_key, field="household", message=_("房屋不存在或不在您的管辖范围内"))


def _check_date(value, *, field: str, label: str) -> datetime.date:
    if not isinstance(value, datetime.date):
        raise DomainError(_("%(label)s应为日期") % {"label": label}, field=field)
    if value > today():
        raise DomainError(_("%(label)s不能晚于今天") % {"label": label}, field=field)
    return value


def _clean_text(value: str, *, field: str, label: str, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(_("%(label)s不能为空") % {"label": label}, field=field)
    if len(value) > max_length:
        raise DomainError(
            _("%(label)s最多%(n)d个字，实际%(m)d个字") % {"label": label, "n": max_length, "m": len(value)},
            field=field,
        )
    return value


def _normalise_id(id_number: str) -> str:
    value = (id_number or "").strip().upper()
    reason = check_id_number(value)
    if reason:
        raise DomainError(str(reason), field="id_number")
    return value


def _normalise_phone(phone: str, *, field: str = "phone") -> str:
    value = (phone or "").strip()
    if value:
        reason = check_mobile(value)
        if reason:
            raise DomainError(str(reason), field=field)
    return value


def _refuse_duplicate(actor, index: str, *, exclude_pk: int | None = None) -> None:
    """One person is one record: name the existing record when the actor may see it, and only
    say that it exists when it lies outside their scope."""
    existing = (
        Resident.objects.select_related("household__building__compound")
        .filter(id_index=index)
        .exclude(pk=exclude_pk)
        .first()
    )
    if existing is None:
        return
    if actor is None or in_scope(actor, existing.region_key):
        if existing.left_on is not None:
            message = _("该身份证号已登记：%(name)s（居民编号%(pk)d，已于%(left)s迁出），请在其记录上办理迁入") % {
                "name": existing.name,
                "pk": existing.pk,
                "left": existing.left_on.isoformat(),
            }
        else:
            message = _("该身份证号已登记：%(name)s（居民编号%(pk)d，%(address)s）") % {
                "name": existing.name,
                "pk": existing.pk,
                "address": household_address(existing.household),
            }
        raise Conflict(message, code="duplicate", field="id_number", details=[{"resident_id": existing.pk}])
    if existing.left_on is not None:
        raise Conflict(
            _("该身份证号已在其他辖区登记且已迁出，请按身份证号办理迁入"), code="departed_elsewhere", field="id_number"
        )
    raise Conflict(
        _("该身份证号已在其他辖区登记，请先由原社区办理迁出"), code="registered_elsewhere", field="id_number"
    )


def _full_clean(instance, exclude=None) -> None:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as exc:
        raise validation_error_to_domain(exc) from None


def _save_unique(instance, actor, index: str, **kwargs) -> None:
    """Save; a concurrent registration of the same ID number ends as the same refusal."""
    try:
        with transaction.atomic():
            instance.save(**kwargs)
    except IntegrityError:
        _refuse_duplicate(actor, index, exclude_pk=instance.pk)
        raise


def _set_id(resident: Resident, number: str) -> None:
    resident.id_cipher, resident.id_index, resident.id_masked = pii.protect_id_number(number)
    resident.birth_date, resident.gender = birth_and_gender(number)


def _set_phone(resident: Resident, phone: str) -> None:
    resident.phone_cipher, resident.phone_index, resident.phone_masked = pii.protect_phone(phone)


def _kind(kind: str) -> str:
    if kind not in ResidenceKind.values:
        raise DomainError(_("人口类别应为户籍人口或流动人口"), field="kind")
    return kind


@transaction.atomic
def resident_create(
    *,
    actor,
    household: Household,
    name: str,
    id_number: str,
    phone: str = "",
    kind: str = ResidenceKind.REGISTERED,
    moved_in: datetime.date | None = None,
    origin: str = "",
    note: str = "",
) -> Resident:
    """Register a person living in a household of the actor's scope. One ID number, one record:
    a number already registered is refused with the existing record named."""
    require(actor, KEEP_LEDGERS)
    _check_household(actor, household)
    name = _clean_text(name, field="name", label=_("姓名"), max_length=50, required=True)
    number = _normalise_id(id_number)
    phone = _normalise_phone(phone)
    kind = _kind(kind)
    moved_in = _check_date(moved_in or today(), field="moved_in", label=_("入住日期"))
    index = pii.blind_index(number)
    _refuse_duplicate(actor, index)
    resident = Resident(
        name=name,
        household=household,
        region_key=household.region_key,
        kind=kind,
        moved_in=moved_in,
        origin=_clean_text(origin, field="origin", label=_("户籍地"), max_length=100),
        note=_clean_text(note, field="note", label=_("备注"), max_length=200),
    )
    _set_id(resident, number)
    _set_phone(resident, phone)
    if moved_in < resident.birth_date:
        raise DomainError(_("入住日期不能早于出生日期"), field="moved_in")
    _full_clean(resident, exclude=["household"])
    _save_unique(resident, actor, index)
    Residence.objects.create(
        resident=resident,
        household=household,
        region_key=household.region_key,
        started=moved_in,
        start_reason=MoveReason.REGISTERED,
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        verb="resident.create",
        target=resident,
        scope_key=resident.region_key,
        after=audit.snapshot(resident, RESIDENT_FIELDS),
    )
    return resident


@transaction.atomic
def resident_update(
    *,
    actor,
    resident: Resident,
    name=KEEP,
    id_number=KEEP,
    phone=KEEP,
    kind=KEEP,
    origin=KEEP,
    note=KEEP,
) -> Resident:
    """Correct a resident's particulars. Moves and departures have their own services, so the
    residence history stays complete."""
    require(actor, KEEP_LEDGERS)
    _check_resident(actor, resident)
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    before = audit.snapshot(resident, RESIDENT_FIELDS)
    secret_changed = False  # two numbers can share a masked form, so compare the indexes
    if name is not KEEP:
        resident.name = _clean_text(name, field="name", label=_("姓名"), max_length=50, required=True)
    if id_number is not KEEP:
        number = _normalise_id(id_number)
        index = pii.blind_index(number)
        if index != resident.id_index:
            _refuse_duplicate(actor, index, exclude_pk=resident.pk)
            _set_id(resident, number)
            secret_changed = True
    if phone is not KEEP:
        new_phone = _normalise_phone(phone)
        if pii.phone_index(new_phone) != resident.phone_index:
            _set_phone(resident, new_phone)
            secret_changed = True
    if kind is not KEEP:
        resident.kind = _kind(kind)
    if origin is not KEEP:
        resident.origin = _clean_text(origin, field="origin", label=_("户籍地"), max_length=100)
    if note is not KEEP:
        resident.note = _clean_text(note, field="note", label=_("备注"), max_length=200)
    after = audit.snapshot(resident, RESIDENT_FIELDS)
    if after == before and not secret_changed:
        return resident
    if resident.moved_in and resident.moved_in < resident.birth_date:
        raise DomainError(_("身份证号中的出生日期晚于入住日期，请核对"), field="id_number")
    _full_clean(resident, exclude=["household"])
    _save_unique(resident, actor, resident.id_index)
    audit.record(
        actor=actor, verb="resident.update", target=resident, scope_key=resident.region_key, before=before, after=after
    )
    return resident


def _open_residence(resident: Resident) -> Residence | None:
    return Residence.objects.select_for_update().filter(resident=resident, ended__isnull=True).first()


def _close(residence: Residence | None, *, on: datetime.date, reason: str) -> None:
    if residence is None:
        return
    if on < residence.started:
        raise DomainError(_("日期不能早于本次入住日期%(d)s") % {"d": residence.started.isoformat()}, field="on")
    residence.ended, residence.end_reason = on, reason
    residence.save(update_fields=["ended", "end_reason"])


@transaction.atomic
def resident_move(*, actor, resident: Resident, household: Household, on: datetime.date, note: str = "") -> Resident:
    """Move a resident to another household of the actor's scope on a date (户间迁移), or move a
    departed resident back in. The old stay is closed and a new one opened; care records follow
    the resident, and lose their visitor if the new home is outside that visitor's scope."""
    require(actor, KEEP_LEDGERS)
    _check_resident(actor, resident)
    _check_household(actor, household)
    return _move(actor=actor, resident=resident, household=household, on=on, note=note)


@transaction.atomic
def resident_move_in_by_id(
    *, actor, id_number: str, household: Household, on: datetime.date, note: str = ""
) -> Resident:
    """Take in a person who left another community: the full ID number, which the actor can only
    know from the person, finds their departed record even outside the actor's scope. A person
    still living elsewhere must first be moved out there."""
    require(actor, KEEP_LEDGERS)
    _check_household(actor, household)
    number = _normalise_id(id_number)
    resident = Resident.objects.filter(id_index=pii.blind_index(number)).first()
    if resident is None:
        raise NotFound(_("没有登记此身份证号的居民，请新登记"), field="id_number")
    if resident.left_on is None and not (actor is None or in_scope(actor, resident.region_key)):
        raise Conflict(
            _("该身份证号已在其他辖区登记，请先由原社区办理迁出"), code="registered_elsewhere", field="id_number"
        )
    return _move(actor=actor, resident=resident, household=household, on=on, note=note)


def _move(*, actor, resident: Resident, household: Household, on, note: str) -> Resident:
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    on = _check_date(on, field="on", label=_("迁移日期"))
    note = _clean_text(note, field="note", label=_("说明"), max_length=200)
    if resident.household_id == household.pk:
        raise DomainError(_("该居民已住在此房屋"), field="household")
    if resident.left_on is not None and on < resident.left_on:
        raise DomainError(_("迁入日期不能早于迁出日期%(d)s") % {"d": resident.left_on.isoformat()}, field="on")
    if on < resident.birth_date:
        raise DomainError(_("迁移日期不能早于出生日期"), field="on")
    before = audit.snapshot(resident, RESIDENT_FIELDS)
    returning = resident.left_on is not None
    _close(_open_residence(resident), on=on, reason=MoveReason.TRANSFER)
    Residence.objects.create(
        resident=resident,
        household=household,
        region_key=household.region_key,
        started=on,
        start_reason=MoveReason.MOVE_IN if returning else MoveReason.TRANSFER,
        recorded_by=actor,
        note=note,
    )
    resident.household, resident.region_key = household, household.region_key
    resident.moved_in, resident.left_on = on, None
    resident.save(update_fields=["household", "region_key", "moved_in", "left_on", "updated_at"])
    _care_follows(actor, resident, note=note)
    audit.record(
        actor=actor,
        verb="resident.move_in" if returning else "resident.move",
        target=resident,
        scope_key=resident.region_key,
        before=before,
        after=audit.snapshot(resident, RESIDENT_FIELDS),
        note=note,
    )
    return resident


def _care_event(actor, verb: str, record: CareRecord, resident: Resident, before: dict, after: dict, note: str):
    return audit.build(
        actor=actor,
        verb=verb,
        target=record,
        target_label=f"{resident.name} {record.get_group_display()}",
        scope_key=record.region_key,
        before=before,
        after=after,
        note=note,
    )


def _open_care(resident: Resident) -> list[CareRecord]:
    return list(CareRecord.objects.select_for_update().filter(resident=resident, ended_on__isnull=True))


def _care_follows(actor, resident: Resident, *, note: str) -> None:
    """Open care records move with the resident and lose a visitor whose scope the new home is
    outside; each changed record is audited as the care services would."""
    events = []
    for record in _open_care(resident):
        before = {"region_key": record.region_key, "responsible_id": record.responsible_id}
        record.region_key = resident.region_key
        fields = ["region_key", "updated_at"]
        responsible = record.responsible
        if responsible is not None and not in_scope(responsible, resident.region_key):
            record.responsible = None
            fields.append("responsible")
        after = {"region_key": record.region_key, "responsible_id": record.responsible_id}
        if after != before:
            record.save(update_fields=fields)
            events.append(_care_event(actor, "care.update", record, resident, before, after, note))
    audit.record_many(events)


@transaction.atomic
def resident_depart(*, actor, resident: Resident, on: datetime.date, note: str = "") -> Resident:
    """Mark a resident as gone from the area (迁出) on a date. The record stays, with its history,
    under the region of the last home; open care records end on the same date."""
    require(actor, KEEP_LEDGERS)
    _check_resident(actor, resident)
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    on = _check_date(on, field="on", label=_("迁出日期"))
    note = _clean_text(note, field="note", label=_("说明"), max_length=200)
    if resident.left_on is not None:
        raise Conflict(_("该居民已于%(d)s迁出") % {"d": resident.left_on.isoformat()}, field="resident")
    before = audit.snapshot(resident, RESIDENT_FIELDS)
    _close(_open_residence(resident), on=on, reason=MoveReason.MOVE_OUT)
    resident.household, resident.left_on = None, on
    resident.save(update_fields=["household", "left_on", "updated_at"])
    reason, events = _("居民迁出"), []
    for record in _open_care(resident):  # each ended record is audited as care_end would
        before = {"ended_on": None, "end_reason": record.end_reason}
        record.ended_on, record.end_reason = on, reason
        record.save(update_fields=["ended_on", "end_reason", "updated_at"])
        after = {"ended_on": on.isoformat(), "end_reason": reason}
        events.append(_care_event(actor, "care.end", record, resident, before, after, reason))
    audit.record_many(events)
    audit.record(
        actor=actor,
        verb="resident.depart",
        target=resident,
        scope_key=resident.region_key,
        before=before,
        after=audit.snapshot(resident, RESIDENT_FIELDS),
        note=note,
    )
    return resident


@transaction.atomic
def resident_reveal(*, actor, resident: Resident, field: str, reason: str) -> str:
    """The clear ID number or phone of one resident, for a stated reason, recorded in the audit
    log (the value itself is not). Only roles holding REVEAL_PII."""
    _check_resident(actor, resident)
    if field not in REVEAL_FIELDS:
        raise DomainError(_("只能查看身份证号或手机号"), field="field")
    cipher = getattr(resident, REVEAL_FIELDS[field])
    if not cipher:
        raise DomainError(_("该居民没有登记手机号"), field="field")
    return pii.reveal(
        actor=actor,
        obj=resident,
        cipher=REVEAL_FIELDS[field],
        reason=reason,
        verb="resident.reveal",
        capability=REVEAL_PII,
        after={"field": field},
    )


@transaction.atomic
def household_reveal_owner_phone(*, actor, household: Household, reason: str) -> str:
    """The clear phone of a house's owner or landlord, for a stated reason, recorded."""
    _check_household(actor, household)
    if not household.owner_phone_cipher:
        raise DomainError(_("该房屋没有登记产权人电话"), field="field")
    return pii.reveal(
        actor=actor,
        obj=household,
        cipher="owner_phone_cipher",
        reason=reason,
        verb="household.reveal",
        capability=REVEAL_PII,
        after={"field": "owner_phone"},
    )


def _area(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        area = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise DomainError(_("建筑面积应为数字（平方米）"), field="area_m2") from None
    if not area.is_finite() or area <= 0 or area >= 100000:
        raise DomainError(_("建筑面积应大于0且小于100000平方米"), field="area_m2")
    return area


@transaction.atomic
def household_update(
    *,
    actor,
    household: Household,
    use=KEEP,
    area_m2=KEEP,
    owner_name=KEEP,
    owner_phone=KEEP,
    checked_on=KEEP,
) -> Household:
    """Change a house's ledger attributes: use (自住/出租/空置/经营), floor area, owner or
    landlord and their phone, and the date it was last checked."""
    require(actor, KEEP_LEDGERS)
    _check_household(actor, household)
    household = Household.objects.select_for_update().get(pk=household.pk)
    before = audit.snapshot(household, HOUSE_FIELDS)
    if use is not KEEP:
        if use not in HouseUse.values:
            raise DomainError(_("房屋用途应为自住、出租、空置或经营"), field="use")
        household.use = use
    if area_m2 is not KEEP:
        household.area_m2 = _area(area_m2)
    if owner_name is not KEEP:
        household.owner_name = _clean_text(owner_name, field="owner_name", label=_("产权人/房东"), max_length=50)
    if owner_phone is not KEEP:
        phone = _normalise_phone(owner_phone, field="owner_phone")
        household.owner_phone_cipher, _index, household.owner_phone_masked = pii.protect_phone(phone)
    if checked_on is not KEEP:
        household.checked_on = _check_date(checked_on, field="checked_on", label=_("核实日期"))
    after = audit.snapshot(household, HOUSE_FIELDS)
    if after == before and owner_phone is KEEP:
        return household
    _full_clean(household, exclude=["building"])
    household.save()
    audit.record(
        actor=actor,
        verb="household.update",
        target=household,
        scope_key=household.region_key,
        before=before,
        after=after,
    )
    return household
