"""Small helpers shared by the registry's services, selectors and pages."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.regions.models import Household

# Default for optional service arguments: "leave this as it is" (None may be a real value).
KEEP = object()

# Roles that may be named as the one who visits a care record's resident.
VISITOR_ROLES = frozenset({"grid_worker", "part_time_grid_worker", "building_head", "community_staff"})


def today() -> datetime.date:
    return timezone.localdate()


def household_address(household: Household | None) -> str:
    """小区 + 楼栋 + 单元 + 房号, from a household loaded with its building and compound."""
    if household is None:
        return ""
    building = household.building
    return _("%(compound)s%(building)s%(unit)s单元%(room)s") % {
        "compound": building.compound.name,
        "building": building.name,
        "unit": household.unit,
        "room": household.room,
    }


def grid_key(region_key: str) -> str:
    """The grid a key lies in (micro-grid keys have two more digits)."""
    return region_key[:15]


def birth_and_gender(id_number: str) -> tuple[datetime.date, str]:
    """Birth date and gender written in a valid 18-character ID number (GB 11643)."""
    birth = datetime.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    return birth, "M" if int(id_number[16]) % 2 else "F"
