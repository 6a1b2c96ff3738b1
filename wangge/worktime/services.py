"""Changing the working calendar. Administrators only; every change is audited and replaces the
version token in the same transaction, so every process reloads its cached calendar."""

import datetime
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from wangge.accounts.roles import MANAGE_CALENDAR, require
from wangge.core import audit
from wangge.core.errors import Conflict, DomainError, NotFound, validation_error_to_domain

from .imports import FIRST_YEAR, LAST_YEAR, check_name, parse_days, read_table
from .models import CalendarDay, CalendarVersion

AUDIT_FIELDS = ["date", "is_working", "name"]


def bump_version() -> None:
    """Tell every process the calendar changed. Call inside the transaction of the change."""
    CalendarVersion.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})


def _scope_key(actor) -> str:
    # The calendar is national; events carry the administrator's own scope so that they appear
    # in the audit log of that administrator's subtree.
    return (getattr(actor, "scope_key", None) or "") if actor is not None else ""


def _event(day: CalendarDay, *, actor, verb: str, before: dict | None, after: dict | None, note: str = ""):
    return audit.build(
        actor=actor,
        verb=verb,
        target=day,
        target_id=day.date.isoformat(),
        scope_key=_scope_key(actor),
        before=before,
        after=after,
        note=note,
    )


def _clean(day: CalendarDay) -> None:
    try:
        day.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise validation_error_to_domain(error) from None


@transaction.atomic
def calendar_day_set(*, actor, date: datetime.date, is_working: bool, name: str) -> CalendarDay:
    """Make `date` a public holiday (is_working False) or a make-up working day (True), creating
    or changing its entry. Administrators only."""
    require(actor, MANAGE_CALENDAR)
    if not FIRST_YEAR <= date.year <= LAST_YEAR:
        raise DomainError(_("年份应在%(a)d至%(b)d之间") % {"a": FIRST_YEAR, "b": LAST_YEAR}, field="date")
    name = (name or "").strip()
    reason = check_name(name)
    if reason:
        raise DomainError(reason, field="name")
    day = CalendarDay.objects.select_for_update().filter(date=date).first()
    before = audit.snapshot(day, AUDIT_FIELDS) if day is not None else None
    if day is None:
        day = CalendarDay(date=date)
    elif day.is_working == is_working and day.name == name:
        return day
    day.is_working, day.name = is_working, name
    _clean(day)
    try:
        with transaction.atomic():
            day.save()
    except IntegrityError:
        # Another administrator entered the same date at the same moment.
        raise Conflict(_("%(d)s 刚被他人登记，请刷新后再试") % {"d": date.isoformat()}, field="date") from None
    audit.record_many(
        [_event(day, actor=actor, verb="calendar.set", before=before, after=audit.snapshot(day, AUDIT_FIELDS))]
    )
    bump_version()
    return day


@transaction.atomic
def calendar_day_delete(*, actor, date: datetime.date) -> None:
    """Remove the entry for `date`, so the date follows the weekly rule again. Administrators only."""
    require(actor, MANAGE_CALENDAR)
    day = CalendarDay.objects.select_for_update().filter(date=date).first()
    if day is None:
        raise NotFound(_("%(d)s 没有登记节假日或调休") % {"d": date.isoformat()}, field="date")
    event = _event(day, actor=actor, verb="calendar.delete", before=audit.snapshot(day, AUDIT_FIELDS), after=None)
    day.delete()
    audit.record_many([event])
    bump_version()


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    years: tuple[int, ...] = ()


@transaction.atomic
def import_calendar(*, data: bytes, filename: str = "", actor=None, replace: bool = False) -> ImportReport:
    """Enter every day of a .csv/.xlsx file (日期, 类型, 名称). All or nothing: any bad row refuses
    the file, every bad row named. With `replace`, entries of the years the file covers that the
    file does not list are removed (re-importing a corrected schedule). Administrators only;
    actor=None is the system (the management command)."""
    require(actor, MANAGE_CALENDAR)
    rows, errors = parse_days(read_table(data, filename))
    if errors:
        raise DomainError(
            _("文件有%(n)d行错误，未导入任何数据") % {"n": len(errors)}, code="rows_invalid", details=errors
        )
    years = tuple(sorted({row.date.year for row in rows}))
    existing = {day.date: day for day in CalendarDay.objects.select_for_update().filter(date__year__in=years)}
    report = ImportReport(years=years)
    events = []
    for row in rows:
        day = existing.get(row.date)
        if day is not None and day.is_working == row.is_working and day.name == row.name:
            report.unchanged += 1
            continue
        before = audit.snapshot(day, AUDIT_FIELDS) if day is not None else None
        if day is None:
            day = CalendarDay(date=row.date)
            report.created += 1
        else:
            report.updated += 1
        day.is_working, day.name = row.is_working, row.name
        _clean(day)
        day.save()
        events.append(
            _event(
                day,
                actor=actor,
                verb="calendar.import",
                before=before,
                after=audit.snapshot(day, AUDIT_FIELDS),
                note=filename,
            )
        )
    if replace:
        listed = {row.date for row in rows}
        stale = [day for date, day in sorted(existing.items()) if date not in listed]
        for day in stale:
            events.append(
                _event(
                    day,
                    actor=actor,
                    verb="calendar.delete",
                    before=audit.snapshot(day, AUDIT_FIELDS),
                    after=None,
                    note=_("导入 %(f)s 时替换") % {"f": filename},
                )
            )
        CalendarDay.objects.filter(pk__in=[day.pk for day in stale]).delete()
        report.removed = len(stale)
    if events:
        audit.record_many(events)
        bump_version()
    return report
