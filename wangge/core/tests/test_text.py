"""The one rule every form, API body and spreadsheet cell of free text goes through."""

import pytest

from wangge.core.errors import DomainError
from wangge.core.validators import parse_text


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
