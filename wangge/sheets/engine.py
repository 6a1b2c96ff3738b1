"""The import engine: read a workbook, check every cell and every row, and either report (dry run)
or apply all rows in one transaction with one audit event per written row that a plan describes
(`Plan.after`) plus a summary.

Speed matters here (a street imports 100,000 residents at once), so the per-cell loop is plain
Python over calamine's lists, each ledger loads what rows refer to in a few queries up front
(`prepare`), and rows are written in bulk by the ledger's `write`. A dry run without cell errors
hands back its parsed cell values (`CheckedRows`), which the services keep for the commit:
`commit_checked` then skips reading and parsing the workbook and runs only the ledger's
`prepare` and `check` again, against the database as it is at the commit. A ledger with `stage`
also has its new rows built at the dry run (encrypted, indexed) and written at the commit by
`write_staged`, which checks in the database what can have changed since.
"""

import datetime
import gc
import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from wangge.core import audit

from . import bulk, parallel, reader
from .spec import NEW, UNCHANGED, UPDATED, CellError, Context, LedgerSpec, Plan, Row, StaleRows

FIRST_ERRORS = 100
Progress = Callable[[str, int, int], None]


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


@dataclass
class Outcome:
    sheet: reader.Sheet | None  # None when the rows came from the dry run's `checked` rows
    rows: list[Row]
    counts: dict = field(default_factory=lambda: {NEW: 0, UPDATED: 0, UNCHANGED: 0, "errors": 0})
    plans: list[Plan] = field(default_factory=list)
    committed: bool = False
    timings: dict = field(default_factory=dict)  # seconds per phase, for the benchmark and logs
    # The dry run's parsed cells (see `checked_rows`), when no cell had an error: what the commit
    # may reuse instead of reading and parsing the file again.
    checked: "CheckedRows | None" = None
    staged_count: int = 0  # rows written from the dry run's staged tuples (not in `rows`)

    @property
    def total(self) -> int:
        """Data rows of the file."""
        return len(self.rows) + self.staged_count

    def first_errors(self, limit: int = FIRST_ERRORS) -> list[dict]:
        listed = []
        for row in self.rows:
            for header, message in row.errors or ():
                listed.append({"row": row.number, "column": header, "message": message})
                if len(listed) >= limit:
                    return listed
        return listed


def parse_cells(spec: LedgerSpec, sheet: reader.Sheet, progress: Progress = _no_progress) -> list[Row]:
    """Every cell through its column's parser; then duplicates of the key inside the file.

    Column by column: a column whose parser has a whole-column fast path (`parse.column`, see
    spec.py) and whose cells are all of the usual kind and valid is parsed in a few C-level
    passes; any other column goes cell by cell, which also words each error."""
    present = [(position, c.field, c.parse, c.required, c.header) for position, c in sheet.columns]
    present_fields = {field_name for _p, field_name, *_rest in present}
    template = dict.fromkeys(column.field for column in spec.columns if column.field not in present_fields)
    required = _("不能为空")
    source = sheet.rows
    count = len(source)
    str_ = str
    failures: dict[int, list] = {}
    parsed_columns = []
    for done, (position, _field, parse, is_required, header) in enumerate(present, start=1):
        values = [cells[position] for _n, cells in source]
        values = [value.strip() if value.__class__ is str_ else value for value in values]
        blanks = [index for index, value in enumerate(values) if value == ""]
        filled = [value for value in values if value != ""] if blanks else values
        column = getattr(parse, "column", None)
        parsed = column(filled) if column is not None and filled else None
        if parsed is not None:
            if blanks:
                next_parsed = iter(parsed).__next__
                parsed = [None if value == "" else next_parsed() for value in values]
        else:
            parsed = [None] * count
            for index, value in enumerate(values):
                if value == "":
                    continue
                try:
                    parsed[index] = parse(value)
                except CellError as error:
                    failures.setdefault(index, []).append((header, error.message))
        if is_required:
            for index in blanks:
                failures.setdefault(index, []).append((header, required))
        parsed_columns.append(parsed)
        progress("parse", done * count // len(present), count)
    fields = [field_name for _p, field_name, *_rest in present]
    rows: list[Row] = []
    append = rows.append
    by_row = zip(*parsed_columns) if parsed_columns else [()] * count
    for index, ((number, cells), parsed) in enumerate(zip(source, by_row)):
        values = dict(zip(fields, parsed))
        if template:
            values.update(template)
        row = Row(number, cells, values)
        if index in failures:
            row.errors = failures[index]
        append(row)
    _mark_duplicates(spec, rows)
    return rows


def _mark_duplicates(spec: LedgerSpec, rows: list[Row]) -> None:
    keys = spec.key_fields
    header = spec.header_of(keys[0])
    single = keys[0] if len(keys) == 1 else None
    seen: dict = {}
    for row in rows:
        if single is not None:
            value = row.values.get(single)
        else:
            # Only the first field must be there; the others may be blank (a resource's owner is
            # a unit or a compound, never both).
            value = tuple(row.values.get(key) for key in keys)
            if value[0] is None:
                value = None
        if value is None:
            continue
        first = seen.setdefault(value, row.number)
        if first != row.number:
            row.fail(header, _("与第%(n)d行重复：同一条记录在文件中只能出现一次") % {"n": first})


def _check_rows(
    spec: LedgerSpec, ctx: Context, rows: list[Row], progress: Progress, *, undo_each: bool = False
) -> list[Plan]:
    """Each row through the ledger's `check`. With undo_each (the dry run of a ledger that checks
    by writing), every row runs in its own transaction that is rolled back at once: nothing
    stays, no lock is held between rows, and the progress written in between is visible."""
    good = [row for row in rows if not row.errors]
    lookups = spec.prepare(ctx, good)
    plans = []
    total = len(good)
    every = 20 if undo_each else 5000
    for done, row in enumerate(good, start=1):
        if undo_each:
            with transaction.atomic():
                plan = spec.check(ctx, row, lookups)
                transaction.set_rollback(True)
        else:
            plan = spec.check(ctx, row, lookups)
        if not row.errors and plan is not None:
            plans.append(plan)
        if done % every == 0:
            progress("check", done, total)
    return plans


def _count(outcome: Outcome) -> None:
    counts = {NEW: 0, UPDATED: 0, UNCHANGED: 0, "errors": 0}
    for plan in outcome.plans:
        counts[plan.outcome] += 1
    counts["errors"] = sum(1 for row in outcome.rows if row.errors)
    outcome.counts = counts


@contextmanager
def no_cyclic_gc():
    """An import allocates millions of small containers (a dict and a list per row, tuples for the
    database), none of them in reference cycles. Python's cyclic collector would walk the whole,
    growing heap again and again while they pile up — a third of the commit time at 100,000 rows.
    Reference counting still frees everything; the collector resumes afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Clock:
    def __init__(self):
        self.timings, self.last = {}, time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.timings[phase] = self.timings.get(phase, 0.0) + now - self.last
        self.last = now


def _read(spec: LedgerSpec, data: bytes, progress: Progress) -> tuple[Outcome, "_Clock"]:
    clock = _Clock()
    sheet = reader.read(data, spec)
    clock.lap("read")
    rows = parse_cells(spec, sheet, progress)
    clock.lap("cells")
    return Outcome(sheet=sheet, rows=rows, timings=clock.timings), clock


def dry_run(spec: LedgerSpec, ctx: Context, data: bytes, progress: Progress = _no_progress) -> Outcome:
    """Check everything and write nothing: the counts the preview shows, and every error."""
    with no_cyclic_gc():
        return _dry_run(spec, ctx, data, progress)


@dataclass
class CheckedRows:
    """Every row's parsed cell values as the dry run's parsers made them (before any ledger check
    looked at them, so nothing the database said is in here): `fields` names the values of each
    row, `rows` holds (row number, values) in file order. Only rows without a cell error, and only
    when no row had one."""

    fields: tuple[str, ...]
    rows: list[tuple[int, tuple]]
    # The ledger's `stage` tuples of the rows that were new at the dry run (those rows are not in
    # `rows`): written by its `write_staged` at the commit.
    staged: list[tuple] = field(default_factory=list)


_PLAIN = frozenset({str, int, float, bool, type(None)})


def checked_rows(spec: LedgerSpec, rows: list[Row]) -> CheckedRows | None:
    """The rows' parsed values as plain data that `marshal` can store (it cannot run code when
    read back, unlike pickle): dates as day numbers (date.toordinal), the str- and int-based
    choices of a choice column as the plain str or int they stand for. None when a value is
    anything else: the commit then reads the file itself. `rebuilt_rows` turns dates back."""
    fields = tuple(column.field for column in spec.columns)
    plain, day = _PLAIN, datetime.date
    kept = []
    append = kept.append
    for row in rows:
        values = list(map(row.values.get, fields))
        for position, value in enumerate(values):
            kind = value.__class__
            if kind in plain:
                continue
            if kind is day:
                values[position] = value.toordinal()
            elif isinstance(value, str):
                values[position] = "" + value  # e.g. a TextChoices member: its plain value
            elif isinstance(value, int) and not isinstance(value, bool):
                values[position] = int(value)
            else:
                return None
        append((row.number, tuple(values)))
    return CheckedRows(fields, kept)


def rebuilt_rows(spec: LedgerSpec, checked: CheckedRows) -> list[Row]:
    fields = checked.fields
    dates = [field_name for field_name, column in zip(fields, spec.columns) if column.is_date]
    from_day = datetime.date.fromordinal
    rows = []
    append = rows.append
    for number, values in checked.rows:
        values = dict(zip(fields, values))
        for field_name in dates:
            value = values[field_name]
            if value.__class__ is int:
                values[field_name] = from_day(value)
        append(Row(number, None, values))
    return rows


def _dry_run(spec: LedgerSpec, ctx: Context, data: bytes, progress: Progress) -> Outcome:
    outcome, clock = _read(spec, data, progress)
    clean = not any(row.errors for row in outcome.rows)
    if clean and spec.stage is None:
        outcome.checked = checked_rows(spec, outcome.rows)  # before `check` adds its own values
        clock.lap("keep")
    if spec.stage is not None:
        return _dry_run_staged(spec, ctx, outcome, clock, progress, clean=clean)
    # A ledger that checks by writing applies each row through its services and undoes it.
    outcome.plans = _check_rows(spec, ctx, outcome.rows, progress, undo_each=spec.checks_by_writing)
    clock.lap("check")
    _count(outcome)
    return outcome


def _dry_run_staged(
    spec: LedgerSpec, ctx: Context, outcome: Outcome, clock: _Clock, progress: Progress, *, clean: bool
) -> Outcome:
    """The dry run of a ledger with `stage`: each row is checked and each new one staged (its
    personal data sealed), half of the rows in a second process when the file is large (see
    parallel.py); then the staged rows and the other rows' cells are kept for the commit."""
    good = [row for row in outcome.rows if not row.errors]
    lookups = spec.prepare(ctx, good)
    clock.lap("prepare")
    total = len(good)
    here = os.getpid()  # progress is written by this process only: the child has no database

    def work(rows: list[Row]) -> tuple[list, list]:
        """(per row: its outcome, or its errors), and the staged tuples of the new rows."""
        marks, new = [], []
        for done, row in enumerate(rows, start=1):
            plan = spec.check(ctx, row, lookups)
            if row.errors or plan is None:
                marks.append(list(row.errors or ()))
            else:
                marks.append(plan.outcome)
                if plan.outcome == NEW:
                    new.append(plan)
            if done % 5000 == 0 and os.getpid() == here:
                progress("check", done * total // len(rows), total)  # halves run at about one pace
        return marks, spec.stage(ctx, new) if new else []

    first, second = parallel.in_halves(work, good)
    clock.lap("check")
    marks, staged = first
    if second:
        marks, staged = marks + second[0], staged + second[1]
        if spec.staged_order is not None:
            staged.sort(key=spec.staged_order)
    plans, new_numbers = [], set()
    for row, mark in zip(good, marks):
        if mark.__class__ is list:
            row.errors = [tuple(error) for error in mark] if row.errors is None else row.errors
        else:
            plans.append(Plan(row, mark))
            if mark == NEW:
                new_numbers.add(row.number)
    outcome.plans = plans
    _count(outcome)
    if clean and not outcome.counts["errors"]:
        outcome.checked = checked_rows(spec, [row for row in outcome.rows if row.number not in new_numbers])
        if outcome.checked is not None:
            outcome.checked.staged = staged
        clock.lap("keep")
    return outcome


def commit(spec: LedgerSpec, ctx: Context, data: bytes, *, job=None, progress: Progress = _no_progress) -> Outcome:
    """Check the file again against the database as it is now and, only if no row has an error,
    write all rows and their audit events in one transaction. Otherwise nothing is written and
    the outcome carries the errors."""
    with no_cyclic_gc():
        return _commit(spec, ctx, data, job, progress)


def _commit(spec: LedgerSpec, ctx: Context, data: bytes, job, progress: Progress) -> Outcome:
    ctx.committing = True
    ctx.job = job
    outcome, clock = _read(spec, data, progress)
    if any(row.errors for row in outcome.rows):
        _count(outcome)
        return outcome
    # Progress written inside the transaction would stay invisible until its end, so the page is
    # told once, before it starts, that checking against the database and writing have begun.
    progress("write", 0, 0)
    with transaction.atomic():
        outcome.plans = _check_rows(spec, ctx, outcome.rows, _no_progress)
        _count(outcome)
        clock.lap("check")
        if outcome.counts["errors"]:
            transaction.set_rollback(True)  # rows applied while checking (rowwise ledgers) go too
            return outcome
        _write(spec, ctx, outcome, job, clock)
    clock.lap("transaction_commit")
    return outcome


def commit_checked(
    spec: LedgerSpec, ctx: Context, checked: CheckedRows, *, job=None, progress: Progress = _no_progress
) -> Outcome | None:
    """The commit of a file whose cells the dry run already parsed without error: the rows are
    rebuilt from `checked` instead of reading the workbook again, and everything that depends on
    the database (the ledger's `prepare` and `check`: households, registered people, scope) is
    checked again inside the transaction, as `commit` does. Returns None, with nothing written,
    when a row fails now: the caller then runs `commit` on the file itself, whose outcome carries
    the cells the error report needs."""
    staged = checked.staged
    if staged and (spec.write_staged is None or job is None):
        return None
    with no_cyclic_gc():
        ctx.committing = True
        ctx.job = job
        clock = _Clock()
        rows = rebuilt_rows(spec, checked)
        outcome = Outcome(sheet=None, rows=rows, timings=clock.timings, staged_count=len(staged))
        clock.lap("rows")
        progress("write", 0, 0)
        try:
            with transaction.atomic():
                outcome.plans = _check_rows(spec, ctx, rows, _no_progress)
                _count(outcome)
                clock.lap("check")
                if outcome.counts["errors"]:
                    transaction.set_rollback(True)
                    return None
                if staged:
                    if len(staged) > 10_000:
                        bulk.roomy_cache()
                    spec.write_staged(ctx, staged)
                    outcome.counts[NEW] += len(staged)
                    clock.lap("write_staged")
                _write(spec, ctx, outcome, job, clock)
        except (StaleRows, IntegrityError):
            # Something the staged rows rely on changed since the dry run (someone registered
            # meanwhile, a household gone): nothing stays written; the file is checked again.
            if not staged:
                raise
            return None
        clock.lap("transaction_commit")
        return outcome


def _write(spec: LedgerSpec, ctx: Context, outcome: Outcome, job, clock: _Clock) -> None:
    changed = [plan for plan in outcome.plans if plan.outcome != UNCHANGED]
    if len(changed) > 10_000:
        bulk.roomy_cache()
    spec.write(ctx, changed)
    clock.lap("write")
    _write_events(spec, ctx, changed, outcome, job)
    clock.lap("audit")
    outcome.committed = True


def _write_events(spec: LedgerSpec, ctx: Context, changed: list[Plan], outcome: Outcome, job) -> None:
    """One event per written row (who, which record, before and after) and one for the import."""
    audit.record_batch(
        actor=ctx.actor,
        verb=spec.audit_verb,
        target_type=spec.model._meta.label_lower,
        note=ctx.note,
        items=(
            (plan.target_id, plan.label, plan.scope_key, plan.before, plan.after)
            for plan in changed
            if plan.after is not None  # None: the ledger's own service wrote and audited the change
        ),
    )
    audit.record(
        actor=ctx.actor,
        verb="sheets.import",
        target=job,
        target_type="sheets.importjob",
        target_id=str(job.pk) if job is not None else "",
        target_label=f"{spec.title} {ctx.note}",
        scope_key=ctx.scope_key,
        after={"ledger": spec.name, "rows": outcome.total, **outcome.counts},
        note=ctx.note,
    )


__all__ = [
    "NEW",
    "UPDATED",
    "UNCHANGED",
    "CheckedRows",
    "Outcome",
    "checked_rows",
    "commit",
    "commit_checked",
    "dry_run",
    "parse_cells",
]
