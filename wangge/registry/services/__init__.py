"""Writes to the registry. Import from here: `from wangge.registry import services`."""

from .care import care_create, care_end, care_update
from .houses import building_create, building_update, household_create
from .residents import (
    household_reveal_owner_phone,
    household_update,
    resident_create,
    resident_depart,
    resident_move,
    resident_move_in_by_id,
    resident_reveal,
    resident_update,
)
from .visits import VisitInput, visit_problem_mark_taken, visit_record

__all__ = [
    "VisitInput",
    "building_create",
    "building_update",
    "household_create",
    "care_create",
    "care_end",
    "care_update",
    "household_reveal_owner_phone",
    "household_update",
    "resident_create",
    "resident_depart",
    "resident_move",
    "resident_move_in_by_id",
    "resident_reveal",
    "resident_update",
    "visit_problem_mark_taken",
    "visit_record",
]
