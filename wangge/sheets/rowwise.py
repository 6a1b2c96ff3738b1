"""Ledgers that import row by row through their own services.

The resident ledger writes in bulk because a street imports 100,000 people at once. The other
ledgers (units, shared resources, houses, care records) are hundreds or a few thousand rows, and
their services already parse values, check the scope, enforce the rules and write the audit
record. Such a ledger's `check` applies each row through those services, inside a savepoint: a
refused row is rolled back alone and its error is named by column, so an import refuses exactly
what the ledger's pages and API refuse, and audits each written row the same way. In the dry run
the engine rolls each row back as soon as it is checked (`LedgerSpec.checks_by_writing`); the
commit applies all rows in one transaction and keeps them only when no row failed, so there
later rows see what earlier ones wrote (a building registered in row 2 holds the household of
row 3). A ledger must therefore not let a row's validity depend on an earlier row of the same
file beyond what its key already makes unique: the dry run checks each row on its own.
"""

from collections.abc import Callable
from typing import Any

from django.db import transaction

from wangge.core.errors import DomainError

from .spec import NEW, UNCHANGED, UPDATED, Context, Plan, Row

Apply = Callable[[Context, Row, Any], Plan | None]


def checker(apply: Apply, *, columns: dict[str, str], fallback: str) -> Callable[[Context, Row, Any], Plan | None]:
    """`check` for a LedgerSpec: runs `apply` (which calls the ledger's services and returns the
    row's Plan) in a savepoint, and turns a service's refusal into an error on the column that
    `columns` maps its field to (`fallback` when the field is none of them)."""

    def check(ctx: Context, row: Row, lookups: Any) -> Plan | None:
        if row.errors:  # an earlier check of the ledger's own already failed this row
            return None
        try:
            with transaction.atomic():
                plan = apply(ctx, row, lookups)
                if row.errors:
                    raise _Refused
        except _Refused:
            return None
        except DomainError as error:
            # A refusal from full_clean names every field at fault in `details`; other details
            # (e.g. the id of a conflicting record) are not messages.
            details = [d for d in error.details if isinstance(d, dict) and "message" in d]
            for detail in details or [{"field": error.field, "message": error.message}]:
                row.fail(columns.get(detail.get("field") or "", fallback), detail["message"])
            return None
        return plan

    return check


class _Refused(Exception):
    """`apply` marked the row failed after writing part of it: undo that part."""


def prepare_nothing(ctx: Context, rows: list[Row]) -> None:
    """For a ledger whose services look up everything a row names."""


def write_nothing(ctx: Context, plans: list[Plan]) -> None:
    """The rows were written while checking; the engine only adds the summary event."""


def written(row: Row, outcome: str, target, label: str = "") -> Plan:
    """The plan of a row a service wrote (and audited): `after` stays None so the engine writes no
    second event for it."""
    return Plan(row, outcome, target_id=getattr(target, "pk", target), label=label or str(target))


def outcome_of(before: dict, after: dict) -> str:
    """UPDATED or UNCHANGED, from snapshots of a stored record taken before and after its service ran."""
    return UNCHANGED if before == after else UPDATED


def yes_no() -> dict[str, bool]:
    return {"是": True, "否": False}


__all__ = [
    "checker",
    "prepare_nothing",
    "write_nothing",
    "written",
    "outcome_of",
    "yes_no",
    "NEW",
    "UPDATED",
    "UNCHANGED",
]
