"""Simultaneous bookings of one resource, each from its own thread and database connection, all
released at the same instant: exactly one wins, every other gets the clear conflict message.

Runs on PostgreSQL only: the test needs real concurrent transactions (`transaction=True`), and
on SQLite the audit log's DELETE triggers stop the table flush such tests end with (and SQLite
has a single writer anyway, so it cannot show a race). CI runs the suite on PostgreSQL too."""

import datetime
import threading

import pytest
from django.conf import settings
from django.db import connections

from conftest import make_user
from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.units import services
from wangge.units.bookings import SlotTaken, booking_create
from wangge.units.models import Booking, BookingSlot, Resource, Unit

from .conftest import A_GRID, EVERY_DAY, at, credit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs concurrent transactions on PostgreSQL (set DATABASE_URL); SQLite has one writer",
    ),
]

THREADS = 16


def race(attempts) -> list[str]:
    """Run every attempt in its own thread and connection, released together by a barrier.
    Each attempt is (user id, booking kwargs); the result is "ok" or the refusal's message."""
    barrier = threading.Barrier(len(attempts))
    results: list[str] = [""] * len(attempts)

    def run(index, user_id, kwargs):
        try:
            actor = User.objects.select_related("scope_region").get(pk=user_id)  # connect before the start
            resource = Resource.objects.get(pk=kwargs.pop("resource_id"))
            unit = Unit.objects.get(pk=kwargs.pop("unit_id")) if kwargs.get("unit_id") else None
            kwargs.pop("unit_id", None)
            barrier.wait(timeout=30)
            booking_create(actor=actor, resource=resource, unit=unit, **kwargs)
            results[index] = "ok"
        except SlotTaken as error:
            results[index] = error.message
        except Exception as error:  # anything else is a failure the assertions will show
            results[index] = f"unexpected: {error!r}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, uid, dict(kw))) for i, (uid, kw) in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def field(tree):
    services.unit_create(actor=None, name="操场单位", credit_code=credit(1), kind="school", grid_code=A_GRID)
    resource = services.resource_create(
        actor=None, name="操场", kind="sports", owner_unit_code=credit(1), opening_hours=EVERY_DAY
    )
    residents = [make_user(f"racer{i}", Role.RESIDENT, tree["grids"][A_GRID]) for i in range(THREADS)]
    return resource, residents


def test_the_same_slot_at_the_same_instant_goes_to_exactly_one(field):
    resource, residents = field
    slot = {"resource_id": resource.pk, "starts_at": at(hour=9), "ends_at": at(hour=10)}
    results = race([(r.pk, slot) for r in residents])
    assert results.count("ok") == 1, results
    losers = [r for r in results if r != "ok"]
    assert len(losers) == THREADS - 1
    assert all(
        message.startswith("该时段已被预约") or message.startswith("该时段刚被他人预约") for message in losers
    ), losers
    assert Booking.objects.count() == 1 and BookingSlot.objects.count() == 2


def test_overlapping_spans_from_residents_and_units_at_once(field, tree):
    resource, residents = field
    staff = make_user("racing_staff", Role.COMMUNITY_STAFF, tree["community_a"])
    units = [
        services.unit_create(
            actor=None, name=f"单位{i}", credit_code=credit(100 + i), kind="enterprise", grid_code=A_GRID
        )
        for i in range(THREADS // 2)
    ]
    attempts = []
    for i in range(THREADS):
        # Starts from 08:00 to 10:00, ends from 10:30 to 12:00: every span covers 10:00–10:30,
        # so any two of them overlap.
        start = at(hour=8) + datetime.timedelta(minutes=30 * (i % 5))
        end = at(hour=10, minute=30) + datetime.timedelta(minutes=30 * (i % 4))
        kwargs = {"resource_id": resource.pk, "starts_at": start, "ends_at": end}
        if i % 2:
            attempts.append((staff.pk, {**kwargs, "unit_id": units[i // 2].pk}))
        else:
            attempts.append((residents[i].pk, kwargs))
    results = race(attempts)
    assert results.count("ok") == 1, results
    assert not [r for r in results if r.startswith("unexpected")], results
    assert Booking.objects.count() == 1
    booking = Booking.objects.get()
    assert BookingSlot.objects.filter(booking=booking).count() == (booking.ends_at - booking.starts_at).seconds // 1800
