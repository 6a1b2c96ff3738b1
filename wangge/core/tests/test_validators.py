import datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from wangge.core.validators import (
    CREDIT_CHARSET,
    ID_CHECK_CHARS,
    ID_WEIGHTS,
    check_credit_code,
    check_id_number,
    check_mobile,
    check_region_code,
    credit_check_char,
    id_check_char,
    region_code_level,
    region_key,
)

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
birth_dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2025, 12, 31))


@st.composite
def id_numbers(draw):
    area = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    birth = draw(birth_dates)
    order = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    first17 = f"{area}{birth:%Y%m%d}{order}"
    return first17 + id_check_char(first17)


@st.composite
def credit_codes(draw):
    head = draw(st.text(alphabet=CREDIT_CHARSET, min_size=2, max_size=2))
    area = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    body = draw(st.text(alphabet=CREDIT_CHARSET, min_size=9, max_size=9))
    first17 = head + area + body
    return first17 + credit_check_char(first17)


def test_known_id_number_from_the_standard_is_valid():
    # The worked example printed in GB 11643-1999 (a fictitious person).
    assert check_id_number("11010519491231002X") is None
    assert "X" in check_id_number("110105194912310021")


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_the_check_character_is_the_standard_s_weighted_sum(first17):
    # id_check_char computes it in one step (a base-13 reading); the standard's own definition:
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS))
    assert id_check_char(first17) == ID_CHECK_CHARS[total % 11]


@pytest.mark.parametrize("first17", ["1234567890123456a", "123", "+1234567890123456", "12345678901234567 ", ""])
def test_the_check_character_needs_exactly_17_ascii_digits(first17):
    with pytest.raises(ValueError):
        id_check_char(first17)


@given(id_numbers())
def test_every_id_with_the_right_check_character_passes(number):
    assert check_id_number(number) is None
    assert check_id_number(number.lower()) is None


@given(id_numbers(), st.integers(min_value=0, max_value=16), digits)
def test_changing_one_digit_is_caught(number, position, digit):
    assume(number[position] != digit)
    changed = number[:position] + digit + number[position + 1 :]
    # MOD 11-2 detects every single-digit substitution, whether or not the birth date stays valid.
    assert check_id_number(changed) is not None


@given(id_numbers())
def test_wrong_check_character_names_the_right_one(number):
    wrong = "0" if number[-1] != "0" else "1"
    reason = check_id_number(number[:-1] + wrong)
    assert reason is not None and number[-1] in reason


def test_impossible_birth_dates_are_refused():
    first17 = "51050220230229123"  # 2023-02-29 does not exist
    assert "出生日期" in check_id_number(first17 + id_check_char(first17))
    future = "51050230000101123"
    assert "不合理" in check_id_number(future + id_check_char(future))


def test_id_length_and_characters_are_explained():
    assert "18位" in check_id_number("1234")
    assert "数字" in check_id_number("51050219900101A23X")


@given(credit_codes())
def test_every_credit_code_with_the_right_check_passes(code):
    assert check_credit_code(code) is None


@given(credit_codes(), st.integers(min_value=0, max_value=17), st.sampled_from(CREDIT_CHARSET))
def test_changing_one_credit_character_is_caught(code, position, char):
    assume(code[position] != char)
    assume(not (2 <= position < 8) or char.isdigit())
    changed = code[:position] + char + code[position + 1 :]
    assert check_credit_code(changed) is not None


def test_credit_code_letters_outside_the_charset_are_named():
    reason = check_credit_code("91510500MA62Q3XXXI")
    assert reason is not None and "I" in reason


@given(st.from_regex(r"^1[3-9][0-9]{9}$", fullmatch=True))
def test_valid_mobiles_pass(number):
    assert check_mobile(number) is None


@given(st.text(max_size=15))
def test_anything_else_is_not_a_mobile(text):
    import re

    assume(not re.fullmatch(r"1[3-9][0-9]{9}", text.strip()))
    assert check_mobile(text) is not None


def test_region_codes_levels_and_keys():
    assert region_code_level("510000000000") == 1
    assert region_code_level("510500000000") == 2
    assert region_code_level("510502000000") == 3
    assert region_code_level("510502001000") == 4
    assert region_code_level("510502001001") == 5
    assert region_key("510502001000") == "510502001"
    # Cities without counties (e.g. 东莞) have towns directly under the city.
    assert region_code_level("441900003000") == 4


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_region_key_is_a_prefix_of_the_code(code):
    assume(check_region_code(code) is None)
    assert code.startswith(region_key(code))
    assert code[len(region_key(code)) :].strip("0") == ""


def test_codes_whose_segments_do_not_nest_are_refused():
    assert "结构" in check_region_code("510000000001")  # a village straight under a province
    assert "结构" in check_region_code("510502000001")  # a village without its town


@given(st.sampled_from(["０", "²", "٣", "８"]), st.integers(min_value=0, max_value=10))
def test_only_ascii_digits_count_as_digits(odd, position):
    mobile = "13812345678"
    assert check_mobile(mobile[: position + 1] + odd + mobile[position + 2 :]) is not None
    code = "510502001001"
    assert check_region_code(code[:position] + odd + code[position + 1 :]) is not None
    first17 = "11010519491231002"
    assert check_id_number(first17[:position] + odd + first17[position + 1 :] + "X") is not None


def test_region_code_errors_are_explained():
    assert "12位" in check_region_code("5105")
    assert "数字" in check_region_code("51050200100A")
    assert "00" in check_region_code("000000000000")
