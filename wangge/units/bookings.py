"""Booking shared resources. Who books: a resident for themselves (role `resident`, resources of
their own community), or staff who keep the units ledger on behalf of a unit of their scope
(units have no accounts of their own).

No two active bookings of one resource overlap, even when requested at the same instant:
`booking_create` locks the resource row (`SELECT … FOR UPDATE` on PostgreSQL; on SQLite the
IMMEDIATE transaction already holds the single writer lock), then looks for overlaps, then
writes the booking and one `BookingSlot` row per half hour. A second request for the same
resource waits for the lock and then sees the first booking. The unique (resource, slot)
constraint is the database's own backstop should anything write around this function.
"""

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.roles import BOOK_FOR_SELF, MANAGE_UNITS, require
from wangge.core import audit
from wangge.core.errors import Conflict, DomainError, Forbidden, NotFound
from wangge.core.scope import in_scope, scope_key_of

from .hours import (
    SLOT_MINUTES,
    WEEKDAY_LABELS,
    WEEKDAYS,
    day_text,
    is_on_slot_grid,
    slot_starts,
    span_text,
    within_opening,
)
from .models import Booking, BookingSlot, BookingStatus, Resource, Unit

BOOKING_HORIZON_DAYS = 90


class SlotTaken(Conflict):
    code = "slot_taken"


class UnitBarred(Forbidden):
    code = "unit_barred"


def community_key(user) -> str | None:
    """The key of a resident's community (their scope is usually a grid or a micro-grid):
    residents see and book the shared resources of the whole community."""
    key = scope_key_of(user)
    if key is None:
        return None
    return key[:12] if len(key) > 12 else key


def resident_may_see(user, resource: Resource) -> bool:
    key = community_key(user)
    return key is not None and resource.is_active and resource.region_key.startswith(key)


def price_of(resource: Resource, *, for_unit: bool, hours: Decimal) -> Decimal:
    """What a booking of `hours` costs the booker (see `Resource.rate_for`)."""
    return (resource.rate_for(for_unit=for_unit) * hours).quantize(Decimal("0.01"))


def _local(moment: datetime.datetime, field: str) -> datetime.datetime:
    if not isinstance(moment, datetime.datetime):
        raise DomainError(_("请填写日期和时间"), field=field)
    try:
        if timezone.is_naive(moment):
            # A time without a zone is a local wall-clock time, as people and spreadsheets write it.
            moment = timezone.make_aware(moment)
        return timezone.localtime(moment)
    except OverflowError:  # year 1 or 9999 shifted across the date line
        raise DomainError(_("日期超出范围"), field=field) from None


def _check_times(resource: Resource, start: datetime.datetime, end: datetime.datetime) -> None:
    if not is_on_slot_grid(start) or not is_on_slot_grid(end):
        raise DomainError(
            _("预约按 %(n)d 分钟为一段：开始和结束时间须为整点或半点") % {"n": SLOT_MINUTES}, field="starts_at"
        )
    if end <= start:
        raise DomainError(_("结束时间应晚于开始时间"), field="ends_at")
    now = timezone.now()
    if start < now:
        raise DomainError(_("不能预约已经过去的时间"), field="starts_at")
    if start > now + datetime.timedelta(days=BOOKING_HORIZON_DAYS):
        raise DomainError(_("最多可预约 %(n)d 天以内的时段") % {"n": BOOKING_HORIZON_DAYS}, field="starts_at")
    if not within_opening(resource.opening_hours, start, end):
        raise DomainError(
            _("%(span)s 不在开放时间内（须在同一天的一个开放时段之内）：%(hours)s")
            % {"span": span_text(start, end), "hours": _opening_text(resource, start.date())},
            field="starts_at",
        )


def _opening_text(resource: Resource, day: datetime.date) -> str:
    ranges = resource.opening_hours.get(WEEKDAYS[day.weekday()]) or []
    label = str(WEEKDAY_LABELS[day.weekday()])
    return f"{label} {day_text(ranges)}" if ranges else _("%(day)s不开放") % {"day": label}


@transaction.atomic
def booking_create(
    *,
    actor,
    resource: Resource,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    unit: Unit | None = None,
    purpose: str = "",
    attendees: int | None = None,
) -> Booking:
    """Book a resource for a time span. Without `unit`, a resident books for themselves a resource
    of their community; with `unit`, staff who keep the units ledger book for a unit of their
    scope (a barred unit is refused). The span is on the half-hour grid, in the future (at most
    90 days ahead) and inside one opening range; overlaps are refused with code `slot_taken`.
    Naive datetimes are local time."""
    if unit is None:
        if actor is None:
            raise DomainError(_("请选择为哪个单位预约"), field="unit_id")
        require(actor, BOOK_FOR_SELF)
    else:
        require(actor, MANAGE_UNITS)
        # Lock order everywhere: unit, then resource. Barring locks the unit too, so a bar and a
        # booking never interleave.
        unit = Unit.objects.select_for_update().filter(pk=unit.pk).first()
        if unit is None or (actor is not None and not in_scope(actor, unit.region_key)):
            raise NotFound(_("未找到该单位，或不在您的管辖范围内"), field="unit_id")
    locked = Resource.objects.select_for_update().filter(pk=resource.pk).first()
    if locked is None:
        raise NotFound(_("未找到该资源，或不在您的管辖范围内"), field="resource_id")
    resource = locked
    if unit is None:
        visible = resident_may_see(actor, resource)
    else:
        visible = actor is None or in_scope(actor, resource.region_key)
    if not visible:
        raise NotFound(_("未找到该资源，或不在您的管辖范围内"), field="resource_id")
    if not resource.is_active:
        raise DomainError(_("该资源暂停开放预约"), field="resource_id", code="resource_closed")
    if unit is not None and unit.booking_barred:
        raise UnitBarred(
            _("“%(unit)s”已被暂停预约共享资源（%(reason)s），恢复前不能预约")
            % {"unit": unit.name, "reason": unit.booking_barred_reason},
            field="unit_id",
        )
    start, end = _local(starts_at, "starts_at"), _local(ends_at, "ends_at")
    _check_times(resource, start, end)
    if attendees is not None:
        if attendees < 1 or attendees > 1_000_000:
            raise DomainError(_("人数应为 1 至 1000000 之间的整数"), field="attendees")
        if resource.capacity is not None and attendees > resource.capacity:
            raise DomainError(
                _("人数 %(n)d 超过了该资源的容量 %(cap)d") % {"n": attendees, "cap": resource.capacity},
                field="attendees",
            )
    purpose = (purpose or "").strip()
    if len(purpose) > 200:
        raise DomainError(_("用途不能超过200个字"), field="purpose")
    clash = (
        Booking.objects.filter(resource=resource, status=BookingStatus.ACTIVE, starts_at__lt=end, ends_at__gt=start)
        .order_by("starts_at")
        .first()
    )
    if clash is not None:
        raise SlotTaken(
            _("该时段已被预约（%(span)s 已有预约），请选择其他时间")
            % {"span": span_text(clash.starts_at, clash.ends_at)},
            field="starts_at",
        )
    hours = Decimal((end - start).total_seconds()) / Decimal(3600)
    booking = Booking(
        resource=resource,
        starts_at=start,
        ends_at=end,
        resident=actor if unit is None else None,
        unit=unit,
        booked_by=actor,
        purpose=purpose,
        attendees=attendees,
        price=price_of(resource, for_unit=unit is not None, hours=hours),
    )
    booking.save()
    try:
        with transaction.atomic():
            BookingSlot.objects.bulk_create(
                [BookingSlot(resource=resource, booking=booking, starts_at=s) for s in slot_starts(start, end)]
            )
    except IntegrityError:
        raise SlotTaken(_("该时段刚被他人预约，请选择其他时间"), field="starts_at") from None
    audit.record(
        actor=actor,
        verb="booking.create",
        target=booking,
        scope_key=resource.region_key,
        after=audit.snapshot(booking),
    )
    return booking


@transaction.atomic
def booking_cancel(*, actor, booking: Booking, reason: str = "") -> Booking:
    """Cancel a booking that has not started. Residents cancel their own; staff who keep the units
    ledger cancel any in their scope. The slots become free at once."""
    locked = Booking.objects.select_for_update().filter(pk=booking.pk).first()
    if locked is None:
        raise NotFound(_("未找到该预约，或不在您的管辖范围内"))
    booking = locked
    resource = Resource.objects.get(pk=booking.resource_id)
    if actor is not None:
        if actor.can(BOOK_FOR_SELF):
            if booking.resident_id != actor.pk:
                raise NotFound(_("未找到该预约，或不在您的管辖范围内"))
        else:
            if not in_scope(actor, resource.region_key):
                raise NotFound(_("未找到该预约，或不在您的管辖范围内"))
            require(actor, MANAGE_UNITS)
    if booking.status != BookingStatus.ACTIVE:
        raise DomainError(_("该预约已经取消"), code="already_cancelled")
    if booking.starts_at <= timezone.now():
        raise DomainError(_("预约已开始或已结束，不能取消"), code="already_started")
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise DomainError(_("取消原因不能超过200个字"), field="reason")
    before = audit.snapshot(booking, ["status", "cancelled_at", "cancel_reason"])
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.cancelled_by = actor
    booking.cancel_reason = reason
    booking.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "updated_at"])
    BookingSlot.objects.filter(booking=booking).delete()
    audit.record(
        actor=actor,
        verb="booking.cancel",
        target=booking,
        scope_key=resource.region_key,
        before=before,
        after=audit.snapshot(booking, ["status", "cancelled_at", "cancel_reason"]),
        note=reason,
    )
    return booking
