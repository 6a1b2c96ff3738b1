"""Query helpers that keep the ledgers fast at a million residents: scope filters an index can
use, and keyset pages (no OFFSET) with an opaque cursor."""

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from wangge.core.errors import DomainError
from wangge.core.scope import restrict, scope_key_of

MAX_LIMIT = 200


def _next_digit_string(prefix: str) -> str | None:
    """The smallest digit string greater than every string starting with `prefix`
    ("510502" → "510503", "5109" → "511"); None when there is none ("999")."""
    digits = prefix.rstrip("9")
    if not digits:
        return None
    return digits[:-1] + str(int(digits[-1]) + 1)


def key_prefix(field: str, prefix: str) -> Q:
    """`field` starts with the digit string `prefix`, written so an ordinary index serves it.

    `startswith` becomes LIKE, which SQLite only runs on an index with NOCASE collation and
    PostgreSQL only with pattern operators; a range on digit strings works everywhere. The
    LIKE stays as the rule; the range is how the database finds the rows."""
    condition = Q(**{f"{field}__startswith": prefix})
    if prefix.isascii() and prefix.isdigit():
        condition &= Q(**{f"{field}__gte": prefix})
        upper = _next_digit_string(prefix)
        if upper is not None:
            condition &= Q(**{f"{field}__lt": upper})
    return condition


def text_prefix(field: str, prefix: str) -> Q:
    """`field` starts with `prefix` (names). On SQLite the same range trick lets the name index
    answer (strings compare by their UTF-8 bytes there); other databases compare text by their
    collation, so there only the LIKE is used."""
    condition = Q(**{f"{field}__startswith": prefix})
    if connection.vendor == "sqlite":
        condition &= Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})
    return condition


def scoped(queryset: QuerySet, user, field: str = "region_key", *, ranged: bool = True) -> QuerySet:
    """`core.scope.restrict` (the rule) plus the same prefix as an index range (the speed).
    Keyset lists pass `ranged=False` and give the range to `keyset_page`, which can start it
    at the cursor: a database uses one lower bound per column, and two would waste one."""
    key = scope_key_of(user)
    queryset = restrict(queryset, user, field)
    if key and ranged:
        queryset = queryset.filter(key_prefix(field, key))
    return queryset


@dataclass
class KeysetPage:
    items: list
    next_cursor: str | None
    ordering: tuple[str, ...]


def _encode(values: list) -> str:
    raw = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, length: int) -> list:
    bad = DomainError(_("翻页参数无效，请从第一页重新开始"), field="cursor")
    if len(cursor) > 400:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw.decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad from None
    if not isinstance(values, list) or len(values) != length:
        raise bad
    if not all(isinstance(v, str) for v in values[:-1]) or type(values[-1]) is not int:
        raise bad
    if any("\x00" in v for v in values[:-1]):
        raise bad
    return values


def _after(ordering: tuple[str, ...], values: list[Any], *, floor: bool = True) -> Q:
    """Rows after `values` in `ordering` (all ascending). The leading `>=` on the first column
    lets the index start there (unless the caller already put that bound in the range); the OR
    then only sorts out rows sharing that first value."""
    first = ordering[0]
    condition = Q()
    for i, name in enumerate(ordering):
        term = Q(**{f"{name}__gt": values[i]})
        for previous, value in zip(ordering[:i], values[:i]):
            term &= Q(**{previous: value})
        condition |= term
    return (Q(**{f"{first}__gte": values[0]}) & condition) if floor else condition


def keyset_page(
    queryset: QuerySet,
    *,
    ordering: tuple[str, ...],
    cursor: str = "",
    limit: int = 50,
    prefix: tuple[str, str] | None = None,
) -> KeysetPage:
    """One page in `ordering` (the last column unique, an integer), starting after `cursor`.

    `prefix` = (field, digits) adds the one index range for a region-key prefix (the rule itself
    is the caller's `restrict`); when the ordering starts with that field, the range starts at
    the cursor, so a deep page costs the same as the first."""
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError(_("每页条数应在1至%(n)d之间") % {"n": MAX_LIMIT}, field="limit")
    values = _decode(cursor, len(ordering)) if cursor else None
    floor_in_range = False
    if prefix is not None:
        field, key = prefix
        lower = key
        if values is not None and ordering[0] == field:
            lower, floor_in_range = max(key, values[0]), True
        condition = Q(**{f"{field}__gte": lower})
        upper = _next_digit_string(key) if key.isascii() and key.isdigit() else None
        if upper is not None:
            condition &= Q(**{f"{field}__lt": upper})
        queryset = queryset.filter(condition)
    if values is not None:
        queryset = queryset.filter(_after(ordering, values, floor=not floor_in_range))
    rows = list(queryset.order_by(*ordering)[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode([_value(last, name) for name in ordering])
    return KeysetPage(items=rows, next_cursor=next_cursor, ordering=ordering)


def _value(row, name: str):
    value = row
    for part in name.split("__"):
        value = getattr(value, part)
    return value
