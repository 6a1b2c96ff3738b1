"""How a ledger (台账) describes itself to the Excel engine.

A ledger registers one `LedgerSpec` from a `sheets.py` module in its own app (found at start-up):
its columns — Chinese header, field, cell parser, required, hint, example, choices — plus four
functions: `prepare` loads everything the rows refer to in a few queries, `check` decides what
one row does (new / updated / unchanged, or an error naming the column), `write` applies the
planned rows in bulk, and `export` yields the ledger's rows for download. The engine does the
rest: template, reading and refusing files, per-cell validation, duplicates inside the file,
the dry run, the all-or-nothing commit with audit records, error reports, progress and export.
"""

import datetime
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.validators import check_credit_code, check_id_number, check_mobile, id_check_char, is_ascii_digits

NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"


class StaleRows(Exception):
    """Raised by a ledger's `write_staged` when the database changed since the dry run in a way
    that concerns the staged rows (a household gone, the scope narrowed): the commit writes
    nothing and checks the file again row by row, so the uploader gets the usual error report."""


class CellError(Exception):
    """A cell's value is unusable. The message says why; the engine adds the row and the column."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


# ---- cell parsers ---------------------------------------------------------------------------
# A parser gets a non-blank cell as calamine read it (str already stripped, float, bool, date or
# datetime) and returns the value, or raises CellError. Parsers run for every cell of an import,
# so they stay plain Python without allocation they do not need.

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_today_cache: list = [0.0, None]

# Whole-column fast paths. A parser may carry `column(values)`: given every non-blank cell of a
# column (str already stripped), it returns what `parse` would return for each of them, or None
# when any cell is not of the usual kind or would be refused — the engine then parses that column
# cell by cell, which also words the errors. It runs in C-level passes (map, join, one regex over
# the joined column) instead of one Python call per cell; tests hold it to `parse`.
_STR, _FLOAT = {str}, {float}
_DATE, _DATETIME = {datetime.date}, {datetime.datetime}
_ID_COLUMN = re.compile(r"(?:[0-9]{17}[0-9X])*")
_MOBILE_COLUMN = re.compile(r"(?:1[3-9][0-9]{9})*")


def _kinds(values: list) -> set:
    return set(map(type, values))


def _all_ascii_digits(values: list) -> bool:
    joined = "".join(values)
    return joined.isascii() and joined.isdigit()


def today() -> datetime.date:
    """Today in the site's time zone, looked up once a minute rather than once per cell."""
    now = time.monotonic()
    if now > _today_cache[0]:
        _today_cache[:] = [now + 60, timezone.localdate()]
    return _today_cache[1]


def cell_text(value) -> str:
    """The text a person typed, whatever Excel made of it: 101.0 back to "101"."""
    if value.__class__ is str:
        return value
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def text(max_length: int = 100) -> Callable[[Any], str]:
    def parse(value) -> str:
        value = cell_text(value)
        if len(value) > max_length:
            raise CellError(_("不能超过%(n)d个字符，实际为%(m)d个") % {"n": max_length, "m": len(value)})
        if not value.isprintable() and _CONTROL.search(value):  # isprintable: a fast pass for the usual cell
            raise CellError(_("含有不可见的控制字符"))
        return value

    def column(values: list) -> list | None:
        if _kinds(values) == _STR and max(map(len, values)) <= max_length and all(map(str.isprintable, values)):
            return values
        return None

    parse.column = column
    return parse


def digits(length: int) -> Callable[[Any], str]:
    """A code of exactly `length` ASCII digits (grid codes, division codes)."""

    def parse(value) -> str:
        if isinstance(value, float) and length > 15:
            raise CellError(_("被 Excel 存成了数字，末几位已丢失：请把该列设为文本格式后重新填写"))
        value = cell_text(value)
        if len(value) != length or not is_ascii_digits(value):
            raise CellError(_("应为%(n)d位数字，实际为“%(v)s”") % {"n": length, "v": value[:40]})
        return value

    def column(values: list) -> list | None:
        if _kinds(values) == _STR and set(map(len, values)) == {length} and _all_ascii_digits(values):
            return values
        return None

    parse.column = column
    return parse


def integer(minimum: int, maximum: int) -> Callable[[Any], int]:
    def parse(value) -> int:
        if isinstance(value, float) and value.is_integer():
            number = int(value)
        else:
            text_value = cell_text(value)
            if not is_ascii_digits(text_value):
                raise CellError(_("应为整数，实际为“%(v)s”") % {"v": text_value[:40]})
            number = int(text_value)
        if not minimum <= number <= maximum:
            raise CellError(_("应在%(a)d到%(b)d之间") % {"a": minimum, "b": maximum})
        return number

    def column(values: list) -> list | None:
        if _kinds(values) != _FLOAT or not all(map(float.is_integer, values)):
            return None
        numbers = list(map(int, values))
        return numbers if minimum <= min(numbers) and max(numbers) <= maximum else None

    parse.column = column
    return parse


def choice(options: dict[str, Any]) -> Callable[[Any], Any]:
    """One of the labels offered in the template's drop-down list; the stored value is returned."""
    listed = "、".join(options)

    def parse(value):
        label = cell_text(value)
        try:
            return options[label]
        except KeyError:
            raise CellError(_("应为以下之一：%(o)s；实际为“%(v)s”") % {"o": listed, "v": label[:40]}) from None

    def column(values: list) -> list | None:
        if _kinds(values) != _STR:
            return None
        try:
            return list(map(options.__getitem__, values))
        except KeyError:
            return None

    parse.column = column
    return parse


_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def date(*, not_after_today: bool = True) -> Callable[[Any], datetime.date]:
    """A date cell, or text like 2020-01-02, 2020/1/2, 2020.1.2, 2020年1月2日 or 20200102."""

    def parse(value) -> datetime.date:
        if isinstance(value, datetime.datetime):
            parsed = value.date()
        elif isinstance(value, datetime.date):
            parsed = value
        else:
            text_value = cell_text(value)
            match = _DATE_TEXT.match(text_value)
            try:
                if match:
                    parsed = datetime.date(*(int(part) for part in match.groups()))
                elif len(text_value) == 8 and is_ascii_digits(text_value):
                    parsed = datetime.date(int(text_value[:4]), int(text_value[4:6]), int(text_value[6:]))
                else:
                    raise ValueError
            except ValueError:
                raise CellError(_("不是有效的日期：“%(v)s”（请写成 2020-01-31）") % {"v": text_value[:40]}) from None
        if parsed.year < 1900:
            raise CellError(_("日期%(d)s早于1900年") % {"d": parsed.isoformat()})
        if not_after_today and parsed > today():
            raise CellError(_("日期%(d)s晚于今天") % {"d": parsed.isoformat()})
        return parsed

    def column(values: list) -> list | None:
        kinds = _kinds(values)
        if kinds == _DATETIME:
            values = [value.date() for value in values]
        elif kinds != _DATE:
            return None
        if min(values).year < 1900 or (not_after_today and max(values) > today()):
            return None
        return values

    parse.column = column
    return parse


def id_number() -> Callable[[Any], str]:
    """GB 11643 resident ID number: length, digits, birth date and check digit."""

    def parse(value) -> str:
        if isinstance(value, float):
            raise CellError(_("身份证号被 Excel 存成了数字，末几位已丢失：请把该列设为文本格式后重新填写"))
        number = cell_text(value).upper()
        if "*" in number:
            raise CellError(_("身份证号已打码，无法识别是谁：请填写完整号码（或使用完整导出的表格）"))
        reason = check_id_number(number, today=today())
        if reason:
            raise CellError(reason)
        return number

    def column(values: list) -> list | None:
        if _kinds(values) != _STR:
            return None
        numbers = [value.upper() for value in values]
        if set(map(len, numbers)) != {18} or not _ID_COLUMN.fullmatch("".join(numbers)):
            return None
        latest, date_of = today(), datetime.date
        try:
            for number in numbers:
                birth = date_of(int(number[6:10]), int(number[10:12]), int(number[12:14]))
                if birth > latest or birth.year < 1900 or number[17] != id_check_char(number[:17]):
                    return None
        except ValueError:  # no such day
            return None
        return numbers

    parse.column = column
    return parse


def mobile(*, allow_masked: bool = False) -> Callable[[Any], str]:
    """A mainland mobile number. With allow_masked, 138****5678 from a masked export passes as is
    and the ledger decides whether it stands for the number already stored."""

    def parse(value) -> str:
        number = cell_text(value).replace(" ", "").replace("-", "")
        if allow_masked and "*" in number:
            return number
        reason = check_mobile(number)
        if reason:
            raise CellError(reason)
        return number

    def column(values: list) -> list | None:
        if _kinds(values) == _STR and set(map(len, values)) == {11} and _MOBILE_COLUMN.fullmatch("".join(values)):
            return values
        return None

    parse.column = column
    return parse


def credit_code() -> Callable[[Any], str]:
    def parse(value) -> str:
        code = cell_text(value).upper()
        reason = check_credit_code(code)
        if reason:
            raise CellError(reason)
        return code

    return parse


# ---- the spec ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    header: str  # the Chinese header in row 1, exactly as the template writes it
    field: str  # key of the parsed value in Row.values
    parse: Callable[[Any], Any] = field(default_factory=text)
    required: bool = False
    hint: str = ""  # how to fill it in: shown as the header's comment, input message and in the notes sheet
    example: str = ""
    choices: tuple[str, ...] = ()  # drop-down list in the template
    width: int = 14
    as_text: bool = False  # the template formats the column as text (codes, ID numbers, phones)
    is_date: bool = False
    aliases: tuple[str, ...] = ()  # other headers accepted on upload (公民身份号码 for 身份证号)


class Row:
    """One data row of an upload: where it is, what it says, what is wrong with it."""

    __slots__ = ("number", "cells", "values", "errors")

    def __init__(self, number: int, cells: list, values: dict):
        self.number = number  # the row number Excel shows (the header is row 1)
        self.cells = cells  # the raw cells in the file's own column order, for the error report
        self.values = values  # field -> parsed value; None when blank or the column is absent
        self.errors: list[tuple[str, str]] | None = None  # (column header, reason)

    def fail(self, header: str, message) -> None:
        if self.errors is None:
            self.errors = []
        self.errors.append((header, str(message)))


@dataclass
class Plan:
    """What a checked row will do. `write` applies the plans; the engine writes one audit event
    per new or updated row whose `after` is set, from `target_id`, `label`, `before` and `after`
    (None: the ledger's own service audited it, or the written row records its import job)."""

    row: Row
    outcome: str  # NEW, UPDATED or UNCHANGED
    target_id: Any = None  # existing pk; `write` sets it for new rows
    label: str = ""
    scope_key: str = ""
    before: dict | None = None
    after: dict | None = None
    data: Any = None  # whatever `write` needs


@dataclass
class Context:
    """Who imports or exports, and within which scope. `committing` is False during a dry run."""

    actor: Any
    scope_key: str
    committing: bool = False
    reveal: bool = False
    region_key: str = ""  # export: a sub-region of the scope, or the scope itself
    note: str = ""  # written into each audit event (file name and job number)
    job: Any = None  # the ImportJob being committed (None in a dry run and outside the job machinery)
    today: datetime.date = field(default_factory=timezone.localdate)


@dataclass(frozen=True)
class LedgerSpec:
    name: str  # URL name: /sheets/<name>/, /api/v1/imports/<name>
    title: str  # 实有人口: the sheet's name and the page title
    columns: tuple[Column, ...]
    # The field (or fields, together) that identify a record inside the file: a second row with
    # the same key is refused. Errors name the first of them.
    key_field: str | tuple[str, ...]
    model: type  # the model written; its label is the audit target type
    prepare: Callable[[Context, list[Row]], Any]
    check: Callable[[Context, Row, Any], Plan | None]
    write: Callable[[Context, list[Plan]], None]
    export: Callable[[Context], Iterable[Sequence]]
    export_count: Callable[[Context], int]
    audit_verb: str  # one event per new/updated row with a plan's `after`, e.g. resident.import
    view_capability: str | None = None  # needed on top of IMPORT_LEDGERS / EXPORT_LEDGERS
    write_capability: str | None = None  # needed on top of IMPORT_LEDGERS (the ledger's own right to write)
    # True when `check` applies each row through the ledger's own services (see rowwise.py): the
    # dry run then rolls each row back as soon as it is checked, so it still writes nothing.
    checks_by_writing: bool = False
    # Optional, for ledgers whose new rows are costly to build (encryption, blind indexes): `stage`
    # turns the dry run's NEW plans into plain tuples (str, int, None: what `marshal` stores) that
    # are kept, sealed, for the commit, which hands them to `write_staged` instead of parsing and
    # checking those rows again in Python. `write_staged` re-checks in the database whatever can
    # have changed since the dry run — the scope, the rows they refer to, uniqueness through the
    # table's constraints — and raises `StaleRows` (or lets the IntegrityError out) when anything
    # has: the commit then writes nothing and goes through the file again. A ledger with `stage`
    # must not change its column values in `check`: the other rows are kept as checked.
    stage: Callable[[Context, list[Plan]], list[tuple]] | None = None
    write_staged: Callable[[Context, list[tuple]], None] | None = None
    staged_order: Callable[[tuple], Any] | None = None  # the order `stage` sorts its tuples in, if any
    # False for a ledger that is only exported (door-knock visits are recorded on their form, with
    # the three ledgers they update): no template, no upload; prepare/check/write may be None.
    importable: bool = True
    description: str = ""  # first lines of the template's notes sheet
    notes: tuple[str, ...] = ()  # further rules, one line each

    def column(self, field_name: str) -> Column:
        return next(column for column in self.columns if column.field == field_name)

    def header_of(self, field_name: str) -> str:
        return self.column(field_name).header

    @property
    def key_fields(self) -> tuple[str, ...]:
        return (self.key_field,) if isinstance(self.key_field, str) else tuple(self.key_field)


_REGISTRY: dict[str, LedgerSpec] = {}
RESERVED_NAMES = {"jobs"}


def register(spec: LedgerSpec) -> LedgerSpec:
    if spec.name in RESERVED_NAMES or not re.fullmatch(r"[a-z][a-z0-9_-]{1,30}", spec.name):
        raise ValueError(f"ledger name {spec.name!r} is reserved or not a URL name")
    if not set(spec.key_fields) <= {column.field for column in spec.columns}:
        raise ValueError(f"ledger {spec.name!r}: key_field {spec.key_field!r} is not a column")
    if spec.importable and not all(callable(f) for f in (spec.prepare, spec.check, spec.write)):
        raise ValueError(f"ledger {spec.name!r}: an importable ledger needs prepare, check and write")
    if (spec.stage is None) != (spec.write_staged is None) or (spec.stage and spec.checks_by_writing):
        raise ValueError(f"ledger {spec.name!r}: stage and write_staged go together, and not with checks_by_writing")
    headers = [h for column in spec.columns for h in (column.header, *column.aliases)]
    if len(headers) != len(set(headers)):
        raise ValueError(f"ledger {spec.name!r}: two columns share a header")
    _REGISTRY[spec.name] = spec
    return spec


def ledgers() -> list[LedgerSpec]:
    return list(_REGISTRY.values())


def find(name: str) -> LedgerSpec | None:
    return _REGISTRY.get(name)
