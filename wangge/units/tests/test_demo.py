"""The demo's units and resources are valid ledger rows, and its bookings go through the service."""

import pytest

from conftest import make_user
from wangge.accounts.roles import Role
from wangge.core import pii
from wangge.core.validators import check_credit_code
from wangge.units.demo import build_demo_units
from wangge.units.models import Booking, BookingSlot, Resource, Unit

pytestmark = pytest.mark.django_db


def test_demo_units_resources_and_bookings(tree):
    make_user("resident", Role.RESIDENT, tree["grids"]["510502001001001"])
    make_user("community", Role.COMMUNITY_STAFF, tree["community_a"])
    counts = build_demo_units(seed=1)
    assert counts["units"] == Unit.objects.count() >= 6
    assert counts["shared_resources"] == Resource.objects.count() >= 1
    for unit in Unit.objects.select_related("grid", "compound"):
        assert check_credit_code(unit.credit_code) is None
        unit.full_clean()
        assert pii.mask_phone(pii.decrypt(unit.contact_phone_cipher)) == unit.contact_phone_masked
    for resource in Resource.objects.all():
        resource.full_clean()
    assert Unit.objects.filter(booking_barred=True, region_key__startswith="510502001001").count() == 1
    assert Booking.objects.count() == counts["bookings"]
    assert BookingSlot.objects.count() == sum(
        int((b.ends_at - b.starts_at).total_seconds() // 1800) for b in Booking.objects.all()
    )
