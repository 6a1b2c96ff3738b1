"""The one rule every form, API body and spreadsheet cell of free text goes through."""

from decimal import Decimal

import pytest

from wangge.core.errors import DomainError
from wangge.core.validators import parse_hours, parse_text


def refusal(value, **options) -> tuple[str, str]:
    options = {"field": "title", "limit": 5, "label": "标题", **options}
    with pytest.raises(DomainError) as caught:
        parse_text(value, **options)
    return caught.value.field, str(caught.value)


def test_text_is_trimmed_and_empty_is_allowed_unless_required():
    assert parse_text("  楼道灯坏  ", "title", 5, label="标题") == "楼道灯坏"
    assert parse_text(None, "title", 5, label="标题") == ""
    assert refusal("   ", required=True) == ("title", "请填写标题")


def test_a_number_from_a_spreadsheet_cell_keeps_no_fraction():
    assert parse_text(13800001234.0, "phone", 11, label="电话") == "13800001234"
    assert parse_text(2.5, "note", 5, label="说明") == "2.5"


def test_too_short_and_too_long_name_the_field_and_the_bound():
    assert refusal("好", required=True, min_length=2) == ("title", "请填写标题（至少2个字）")
    assert refusal("六个字的标题") == ("title", "标题不能超过5个字")
    assert parse_text("五个字标题", "title", 5, label="标题", required=True, min_length=2) == "五个字标题"


def test_a_nul_character_is_refused_before_it_reaches_the_database():
    assert refusal("a\x00b") == ("title", "标题中含有空字符（NUL）")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("两小时", "服务时长应为数字，如 2 或 1.5"),
        ("-0.5", "服务时长应在0到24小时之间"),
        ("24.5", "服务时长应在0到24小时之间"),
        ("Infinity", "服务时长应在0到24小时之间"),
        ("1.25", "服务时长最多保留一位小数"),
    ],
)
def test_hours_are_tenths_within_bounds_and_refusals_name_the_field(value, reason):
    with pytest.raises(DomainError) as caught:
        parse_hours(value, "hours", label="服务时长", minimum=Decimal(0), maximum=Decimal(24))
    assert (caught.value.field, str(caught.value)) == ("hours", reason)


def test_hours_as_typed_become_tenths():
    bounds = {"label": "支取时长", "minimum": Decimal("0.1"), "maximum": Decimal(100)}
    assert parse_hours(" 1.5 ", "hours", **bounds) == Decimal("1.5")
    assert str(parse_hours(2, "hours", **bounds)) == "2.0"
    assert parse_hours("100", "hours", **bounds) == Decimal(100)
