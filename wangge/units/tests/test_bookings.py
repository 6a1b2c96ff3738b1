"""Booking shared resources: who may book what, every refusal, prices, cancelling. The race of
simultaneous bookings is in test_booking_race.py (PostgreSQL)."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from wangge.core.errors import DomainError, Forbidden, NotFound
from wangge.core.models import AuditEvent
from wangge.units import services
from wangge.units.bookings import booking_cancel, booking_create
from wangge.units.models import Booking, BookingSlot, BookingStatus

from .conftest import at

pytestmark = pytest.mark.django_db


def refused(exc_type, **kwargs) -> DomainError:
    bookings, slots, events = Booking.objects.count(), BookingSlot.objects.count(), AuditEvent.objects.count()
    with pytest.raises(exc_type) as caught:
        booking_create(**kwargs)
    assert (Booking.objects.count(), BookingSlot.objects.count(), AuditEvent.objects.count()) == (
        bookings,
        slots,
        events,
    )
    return caught.value


def test_a_resident_books_a_resource_of_their_community(all_users, resources):
    resident = all_users["resident_a2"]  # another grid of the same community
    booking = booking_create(
        actor=resident,
        resource=resources["a"],
        starts_at=at(hour=9),
        ends_at=at(hour=10, minute=30),
        purpose="打羽毛球",
    )
    assert booking.resident == resident and booking.unit is None and booking.booked_by == resident
    assert booking.price == Decimal("0.00") and booking.status == BookingStatus.ACTIVE
    assert list(booking.slots.order_by("starts_at").values_list("starts_at", flat=True)) == [
        at(hour=9),
        at(hour=9, minute=30),
        at(hour=10),
    ]
    event = AuditEvent.objects.get(verb="booking.create")
    assert event.scope_key == resources["a"].region_key and event.target_id == str(booking.pk)


def test_naive_times_are_local(all_users, resources):
    start = timezone.localtime(at(hour=14)).replace(tzinfo=None)
    booking = booking_create(
        actor=all_users["resident_a"],
        resource=resources["a"],
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
    )
    assert booking.starts_at == at(hour=14)


def test_residents_see_nothing_outside_their_community(all_users, resources):
    error = refused(
        NotFound, actor=all_users["resident_a"], resource=resources["b"], starts_at=at(), ends_at=at(hour=10)
    )
    assert error.field == "resource_id"


def test_staff_book_for_a_unit_and_never_for_themselves(all_users, resources, units):
    staff = all_users["community_a"]
    error = refused(Forbidden, actor=staff, resource=resources["a"], starts_at=at(), ends_at=at(hour=10))
    assert "工作人员请代驻区单位预约" in error.message
    booking = booking_create(
        actor=staff, resource=resources["a"], unit=units["a2"], starts_at=at(), ends_at=at(hour=10)
    )
    assert booking.unit == units["a2"] and booking.resident is None and booking.booked_by == staff
    error = refused(
        Forbidden,
        actor=all_users["dispatcher_a"],
        resource=resources["a"],
        unit=units["a2"],
        starts_at=at(),
        ends_at=at(hour=10),
    )
    assert "维护驻区单位" in error.message
    outside = refused(
        NotFound, actor=staff, resource=resources["a"], unit=units["b"], starts_at=at(), ends_at=at(hour=10)
    )
    assert outside.field == "unit_id"
    other_resource = refused(
        NotFound, actor=staff, resource=resources["b"], unit=units["a"], starts_at=at(), ends_at=at(hour=10)
    )
    assert other_resource.field == "resource_id"
    with pytest.raises(Forbidden):
        booking_create(
            actor=all_users["resident_a"], resource=resources["a"], unit=units["a"], starts_at=at(), ends_at=at(hour=10)
        )


def test_a_barred_unit_is_refused_with_the_reason(all_users, resources, units):
    staff = all_users["community_a"]
    services.unit_set_booking_barred(actor=staff, unit=units["a2"], barred=True, reason="共建积分 52 分，低于 60 分")
    error = refused(
        Forbidden, actor=staff, resource=resources["a"], unit=units["a2"], starts_at=at(), ends_at=at(hour=10)
    )
    assert error.code == "unit_barred" and error.field == "unit_id"
    assert error.message == "“甲街道卫生院”已被暂停预约共享资源（共建积分 52 分，低于 60 分），恢复前不能预约"
    services.unit_set_booking_barred(actor=staff, unit=units["a2"], barred=False, reason="")
    booking_create(actor=staff, resource=resources["a"], unit=units["a2"], starts_at=at(), ends_at=at(hour=10))


def test_overlapping_bookings_are_refused_and_adjacent_ones_are_fine(all_users, resources):
    booking_create(actor=all_users["resident_a"], resource=resources["a"], starts_at=at(hour=9), ends_at=at(hour=11))
    for start, end in ((9, 10), (10, 12), (8, 9.5), (8, 12)):
        hour, minute = int(end), int((end % 1) * 60)
        error = refused(
            DomainError,
            actor=all_users["resident_a2"],
            resource=resources["a"],
            starts_at=at(hour=start),
            ends_at=at(hour=hour, minute=minute),
        )
        assert error.code == "slot_taken" and error.status == 409
        assert "该时段已被预约" in error.message and "09:00–11:00" in error.message
    booking_create(actor=all_users["resident_a2"], resource=resources["a"], starts_at=at(hour=11), ends_at=at(hour=12))
    booking_create(actor=all_users["resident_a2"], resource=resources["a"], starts_at=at(hour=8), ends_at=at(hour=9))
    # Another resource at the same time is another matter.
    booking_create(
        actor=all_users["resident_a"], resource=resources["a_compound"], starts_at=at(hour=9), ends_at=at(hour=11)
    )


@pytest.mark.parametrize(
    "start,end,field,message",
    [
        (at(days=-1), at(days=-1, hour=10), "starts_at", "不能预约已经过去的时间"),
        (at(hour=9, minute=15), at(hour=10), "starts_at", "整点或半点"),
        (at(hour=10), at(hour=10), "ends_at", "结束时间应晚于开始时间"),
        (at(hour=11), at(hour=10), "ends_at", "结束时间应晚于开始时间"),
        (at(hour=7), at(hour=9), "starts_at", "不在开放时间内"),
        (at(hour=21), at(days=2, hour=9), "starts_at", "不在开放时间内"),
        (at(days=91), at(days=91, hour=10), "starts_at", "最多可预约 90 天以内"),
    ],
)
def test_times_are_checked(all_users, resources, start, end, field, message):
    error = refused(DomainError, actor=all_users["resident_a"], resource=resources["a"], starts_at=start, ends_at=end)
    assert error.field == field and message in error.message


def test_closed_days_and_closed_resources(all_users, resources):
    staff = all_users["community_a"]
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).weekday()
    other_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][(tomorrow + 1) % 7]
    services.resource_update(actor=staff, resource=resources["a"], opening_hours={other_day: [["08:00", "12:00"]]})
    error = refused(
        DomainError, actor=all_users["resident_a"], resource=resources["a"], starts_at=at(), ends_at=at(hour=10)
    )
    assert "不开放" in error.message
    services.resource_update(actor=staff, resource=resources["a"], is_active=False)
    error = refused(
        NotFound, actor=all_users["resident_a"], resource=resources["a"], starts_at=at(), ends_at=at(hour=10)
    )
    # Staff still see a closed resource and are told why they cannot book it.
    closed = refused(
        DomainError,
        actor=staff,
        unit=resources["a"].owner_unit,
        resource=resources["a"],
        starts_at=at(),
        ends_at=at(hour=10),
    )
    assert closed.code == "resource_closed"


def test_attendees_within_capacity(all_users, resources):
    error = refused(
        DomainError,
        actor=all_users["resident_a"],
        resource=resources["a_compound"],
        starts_at=at(),
        ends_at=at(hour=10),
        attendees=31,
    )
    assert error.field == "attendees" and "超过了该资源的容量 30" in error.message
    booking_create(
        actor=all_users["resident_a"],
        resource=resources["a_compound"],
        starts_at=at(),
        ends_at=at(hour=10),
        attendees=30,
    )


def test_prices_follow_the_three_rules(all_users, resources, units, tree):
    staff, resident = all_users["community_a"], all_users["resident_a"]
    # 居民低偿: residents pay the low price, units the standard price.
    for_resident = booking_create(
        actor=resident, resource=resources["a_compound"], starts_at=at(hour=9), ends_at=at(hour=11)
    )
    for_unit = booking_create(
        actor=staff,
        unit=units["a"],
        resource=resources["a_compound"],
        starts_at=at(hour=12),
        ends_at=at(hour=13, minute=30),
    )
    assert for_resident.price == Decimal("20.00") and for_unit.price == Decimal("60.00")
    # 共建单位低偿: the other way round.
    low_for_units = services.resource_update(
        actor=staff, resource=resources["a_compound"], price_rule="unit_low_cost", standard_price="40", low_price="10"
    )
    unit_booking = booking_create(
        actor=staff, unit=units["a"], resource=low_for_units, starts_at=at(hour=14), ends_at=at(hour=15)
    )
    resident_booking = booking_create(
        actor=resident, resource=low_for_units, starts_at=at(hour=15), ends_at=at(hour=16)
    )
    assert unit_booking.price == Decimal("10.00") and resident_booking.price == Decimal("40.00")


def test_the_database_refuses_a_second_booking_of_a_slot(all_users, resources):
    first = booking_create(actor=all_users["resident_a"], resource=resources["a"], starts_at=at(), ends_at=at(hour=10))
    sneaked = Booking.objects.create(
        resource=resources["a"], resident=all_users["resident_a2"], starts_at=at(), ends_at=at(hour=10)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingSlot.objects.create(resource=resources["a"], booking=sneaked, starts_at=first.starts_at)


def test_cancelling_frees_the_slot(all_users, resources):
    resident = all_users["resident_a"]
    booking = booking_create(actor=resident, resource=resources["a"], starts_at=at(), ends_at=at(hour=10))
    with pytest.raises(NotFound):
        booking_cancel(actor=all_users["resident_a2"], booking=booking)
    cancelled = booking_cancel(actor=resident, booking=booking, reason="临时有事")
    assert cancelled.status == BookingStatus.CANCELLED and cancelled.cancelled_by == resident
    assert not BookingSlot.objects.filter(booking=booking).exists()
    event = AuditEvent.objects.get(verb="booking.cancel")
    assert event.note == "临时有事" and event.after["status"] == "cancelled"
    with pytest.raises(DomainError) as caught:
        booking_cancel(actor=resident, booking=booking)
    assert caught.value.code == "already_cancelled"
    again = booking_create(actor=all_users["resident_a2"], resource=resources["a"], starts_at=at(), ends_at=at(hour=10))
    assert again.status == BookingStatus.ACTIVE


def test_staff_cancel_bookings_of_their_scope_only(all_users, resources, units):
    booking = booking_create(
        actor=all_users["resident_a"], resource=resources["a"], starts_at=at(), ends_at=at(hour=10)
    )
    with pytest.raises(NotFound):
        booking_cancel(actor=all_users["community_b"], booking=booking)
    with pytest.raises(Forbidden):
        booking_cancel(actor=all_users["dispatcher_a"], booking=booking)
    assert booking_cancel(actor=all_users["community_a"], booking=booking, reason="场地维修").status == "cancelled"


def test_a_booking_that_has_started_cannot_be_cancelled(all_users, resources):
    started = Booking.objects.create(
        resource=resources["a"],
        resident=all_users["resident_a"],
        starts_at=timezone.now() - datetime.timedelta(minutes=30),
        ends_at=timezone.now() + datetime.timedelta(minutes=30),
    )
    with pytest.raises(DomainError) as caught:
        booking_cancel(actor=all_users["resident_a"], booking=started)
    assert caught.value.code == "already_started" and "不能取消" in caught.value.message
