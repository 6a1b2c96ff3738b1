"""Validators for the identifiers Chinese ledgers are full of.

Each `check_*` returns None when the value is valid and otherwise a short reason a user can act
on (callers put the field name in front of it).
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

# GB 11643-1999: resident identity number, 17 digits + ISO 7064 MOD 11-2 check character.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")

# GB 32100-2015: unified social credit code, 17 characters + check character, modulus 31.
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# ASCII digits only: str.isdigit and \d also accept full-width and superscript digits.
MOBILE_PATTERN = re.compile(r"^1[3-9][0-9]{9}$")
_ASCII_DIGITS = re.compile(r"^[0-9]+$")


def is_ascii_digits(value: str) -> bool:
    return bool(_ASCII_DIGITS.match(value))


def id_check_char(first17: str) -> str:
    # The weights are 2**17 … 2**1 modulo 11, and 13 ≡ 2 (mod 11): reading the 17 digits as one
    # base-13 number and doubling it gives the same weighted sum modulo 11 in one C call, about a
    # tenth of the digit-by-digit sum (this runs for every row of a 100,000-row import).
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("an ID number's check character needs its first 17 digits")
    return ID_CHECK_CHARS[2 * int(first17, 13) % 11]


def check_id_number(value: str, *, today: datetime.date | None = None) -> str | None:
    value = (value or "").strip().upper()
    if len(value) != 18:
        return _("身份证号应为18位，实际为%(n)d位") % {"n": len(value)}
    if not _ID_SHAPE.match(value):
        return _("身份证号前17位应为数字，最后一位为数字或X")
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return _("身份证号中的出生日期%(d)s不存在") % {"d": value[6:14]}
    today = today or datetime.date.today()
    if birth > today or birth.year < 1900:
        return _("身份证号中的出生日期%(d)s不合理") % {"d": value[6:14]}
    expected = id_check_char(value[:17])
    if value[17] != expected:
        return _("身份证号校验位应为%(c)s") % {"c": expected}
    return None


def credit_check_char(first17: str) -> str:
    total = sum(CREDIT_CHARSET.index(ch) * weight for ch, weight in zip(first17, CREDIT_WEIGHTS))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def check_credit_code(value: str) -> str | None:
    value = (value or "").strip().upper()
    if len(value) != 18:
        return _("统一社会信用代码应为18位，实际为%(n)d位") % {"n": len(value)}
    bad = sorted({ch for ch in value if ch not in CREDIT_CHARSET})
    if bad:
        return _("统一社会信用代码含有不允许的字符：%(c)s") % {"c": "".join(bad)}
    if not is_ascii_digits(value[2:8]):
        return _("统一社会信用代码第3至8位应为行政区划代码（数字）")
    expected = credit_check_char(value[:17])
    if value[17] != expected:
        return _("统一社会信用代码校验位应为%(c)s") % {"c": expected}
    return None


def check_mobile(value: str) -> str | None:
    value = (value or "").strip()
    if not MOBILE_PATTERN.match(value):
        return _("手机号应为以1开头、第二位为3至9的11位数字")
    return None


# Official 12-digit division codes (统计用区划代码): 2 province, 2 city, 2 county, 3 town, 3 village.
REGION_LEVELS = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}


def region_code_level(code: str) -> int | None:
    """The level (1 province … 5 village-level) an official 12-digit code denotes, or None when
    the code's segments do not nest: below a province the city segment is never 00, and a
    village-level code needs its town. (The county segment may be 00: cities such as 东莞 and
    中山 have towns directly under the city.)"""
    if len(code) != 12 or not is_ascii_digits(code) or code[:2] == "00":
        return None
    level = next(
        lv
        for lv in (5, 4, 3, 2, 1)
        if code[REGION_LEVELS[lv] :].strip("0") == ""
        and code[REGION_LEVELS.get(lv - 1, 0) : REGION_LEVELS[lv]].strip("0")
    )
    if level >= 3 and code[2:4] == "00":
        return None
    if level == 5 and code[6:9] == "000":
        return None
    return level


def check_region_code(value: str) -> str | None:
    value = (value or "").strip()
    if len(value) != 12:
        return _("区划代码应为12位，实际为%(n)d位") % {"n": len(value)}
    if not is_ascii_digits(value):
        return _("区划代码只能包含数字")
    if value[:2] == "00":
        return _("区划代码的省级部分不能为00")
    level = region_code_level(value)
    if level is None:
        return _("区划代码的层级结构不正确：市级部分为00，或村级代码缺少乡镇部分")
    return None


def region_key(code: str) -> str:
    """The significant prefix of an official code: every code below it starts with it."""
    level = region_code_level(code)
    if level is None:
        raise ValueError(f"not a region code: {code!r}")
    return code[: REGION_LEVELS[level]]


# The largest id a 64-bit primary key holds; a longer number would overflow the database driver.
MAX_RECORD_ID = 2**63 - 1


def parse_record_id(value, *, field: str, label) -> int | None:
    """An object's id as a form, query or API value gives it: None when empty, else a positive
    integer. Anything else (letters, superscript or full-width digits, a number past the
    database's range) raises a DomainError naming the field, so a view never turns it into a 500."""
    from django.utils.translation import gettext

    from .errors import DomainError

    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if not is_ascii_digits(text) or len(text) > 19 or not 0 < int(text) <= MAX_RECORD_ID:
        raise DomainError(gettext("%(label)s编号无效") % {"label": label}, field=field)
    return int(text)


def parse_text(value, field: str, limit: int, *, label, required: bool = False, min_length: int = 1) -> str:
    """Typed text as a form, an API body or a spreadsheet cell gives it: trimmed, None as empty,
    and a whole number such as 13800001234.0 (Excel stores phones and codes as numbers) written
    without its fraction. Raises a DomainError naming the field when required text is missing or
    shorter than `min_length`, longer than `limit`, or holds a NUL (which PostgreSQL refuses)."""
    from django.utils.translation import gettext

    from .errors import DomainError

    if value is None:
        text = ""
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value).strip()
    if "\x00" in text:
        raise DomainError(gettext("%(label)s中含有空字符（NUL）") % {"label": label}, field=field)
    if required and len(text) < max(min_length, 1):
        if min_length > 1:
            message = gettext("请填写%(label)s（至少%(n)d个字）") % {"label": label, "n": min_length}
        else:
            message = gettext("请填写%(label)s") % {"label": label}
        raise DomainError(message, field=field)
    if len(text) > limit:
        raise DomainError(gettext("%(label)s不能超过%(n)d个字") % {"label": label, "n": limit}, field=field)
    return text


TENTH = Decimal("0.1")


def parse_hours(value, field: str, *, label, minimum: Decimal, maximum: Decimal) -> Decimal:
    """Hours as people write them (2, 1.5): a number with at most one decimal, from minimum to
    maximum, as a Decimal in tenths. Raises a DomainError naming the field otherwise; one rule for
    service hours (党员服务, volunteer service) and time-bank withdrawals alike."""
    from django.utils.translation import gettext

    from .errors import DomainError

    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(gettext("%(label)s应为数字，如 2 或 1.5") % {"label": label}, field=field) from None
    if not amount.is_finite() or not minimum <= amount <= maximum:
        raise DomainError(
            gettext("%(label)s应在%(low)s到%(high)s小时之间") % {"label": label, "low": minimum, "high": maximum},
            field=field,
        )
    if amount != amount.quantize(TENTH):
        raise DomainError(gettext("%(label)s最多保留一位小数") % {"label": label}, field=field)
    return amount.quantize(TENTH)
