"""Every cell parser's messages: what an operator reads next to a row and column."""

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wangge.core.validators import credit_check_char
from wangge.sheets import spec
from wangge.sheets.spec import CellError

from .conftest import make_id


def refused(parse, value) -> str:
    with pytest.raises(CellError) as caught:
        parse(value)
    return caught.value.message


def test_id_numbers():
    parse = spec.id_number()
    good = make_id()
    assert parse(good) == good
    ends_in_x = make_id(order="908")
    assert ends_in_x.endswith("X") and parse(ends_in_x.lower()) == ends_in_x
    assert refused(parse, good[:17]) == "身份证号应为18位，实际为17位"
    assert refused(parse, "51050219900101901A") == "身份证号前17位应为数字，最后一位为数字或X"
    assert refused(parse, "510502199002309011") == "身份证号中的出生日期19900230不存在"
    assert refused(parse, "510502189901019011") == "身份证号中的出生日期18990101不合理"
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    assert refused(parse, wrong_check) == f"身份证号校验位应为{good[17]}"
    assert "存成了数字" in refused(parse, 5.10502199001019e17)
    assert "已打码" in refused(parse, "510502********9012")


def test_mobiles():
    parse = spec.mobile()
    assert parse("170 1234 5678") == "17012345678" and parse(17012345678.0) == "17012345678"
    assert refused(parse, "12012345678") == "手机号应为以1开头、第二位为3至9的11位数字"
    assert refused(parse, "1701234567") == "手机号应为以1开头、第二位为3至9的11位数字"
    assert refused(parse, "170****5678") == "手机号应为以1开头、第二位为3至9的11位数字"
    assert spec.mobile(allow_masked=True)("170****5678") == "170****5678"


def test_credit_codes():
    parse = spec.credit_code()
    code = "91510502MA62A1B2C"
    code += credit_check_char(code)
    assert parse(code.lower()) == code
    assert refused(parse, code[:17]) == "统一社会信用代码应为18位，实际为17位"
    assert refused(parse, "I" + code[1:]) == "统一社会信用代码含有不允许的字符：I"
    bad = code[:17] + ("0" if code[17] != "0" else "1")
    assert refused(parse, bad) == f"统一社会信用代码校验位应为{code[17]}"


def test_dates():
    parse = spec.date()
    expected = datetime.date(2020, 1, 2)
    for value in (expected, datetime.datetime(2020, 1, 2, 8, 30), "2020-01-02", "2020/1/2", "2020.1.2", "2020年1月2日"):
        assert parse(value) == expected, value
    assert parse("20200102") == expected and parse(20200102.0) == expected
    assert refused(parse, "2020-02-30") == "不是有效的日期：“2020-02-30”（请写成 2020-01-31）"
    assert refused(parse, "明天") == "不是有效的日期：“明天”（请写成 2020-01-31）"
    assert refused(parse, 43831.0) == "不是有效的日期：“43831”（请写成 2020-01-31）"
    assert refused(parse, "1899-12-31") == "日期1899-12-31早于1900年"
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)
    assert refused(parse, tomorrow.isoformat()) == f"日期{tomorrow.isoformat()}晚于今天"


def test_integers_choices_texts_and_codes():
    unit = spec.integer(1, 99)
    assert unit(2.0) == 2 and unit("3") == 3
    assert refused(unit, "一") == "应为整数，实际为“一”"
    assert refused(unit, 2.5) == "应为整数，实际为“2.5”"
    assert refused(unit, 0.0) == "应在1到99之间"
    kind = spec.choice({"户籍人口": "registered", "流动人口": "floating"})
    assert kind("流动人口") == "floating"
    assert refused(kind, "外来人口") == "应为以下之一：户籍人口、流动人口；实际为“外来人口”"
    name = spec.text(4)
    assert name("张三") == "张三" and name(101.0) == "101"
    assert refused(name, "欧阳某某某") == "不能超过4个字符，实际为5个"
    assert refused(name, "张\x07三") == "含有不可见的控制字符"
    grid = spec.digits(15)
    assert grid(510502001001001.0) == "510502001001001"
    assert refused(grid, "51050200100100") == "应为15位数字，实际为“51050200100100”"
    assert refused(grid, "５１０５０２００１００１００１").startswith("应为15位数字")
    assert "存成了数字" in refused(spec.digits(18), 5.1e17)


# ---- whole-column fast paths: the same answers as cell by cell, or none at all --------------

DAY = st.dates(min_value=datetime.date(1890, 1, 1), max_value=datetime.date(2100, 1, 1))
ID_BODY = st.builds(
    lambda area, birth, order: f"{area}{birth:%Y%m%d}{order}",
    st.sampled_from(["510502", "110105"]),
    DAY,
    st.text(alphabet="0123456789", min_size=3, max_size=3),
)
VALID_IDS = ID_BODY.map(lambda first17: first17 + spec.id_check_char(first17))
NO_SUCH_DAY = st.text(alphabet="0123456789", min_size=3, max_size=3).map(lambda order: f"51050219900230{order}")
ANY_IDS = st.one_of(
    VALID_IDS,
    VALID_IDS.map(lambda number: number.lower()),
    ID_BODY,  # 17 characters
    ID_BODY.map(lambda first17: first17 + "Y"),
    ID_BODY.map(lambda first17: first17 + "0"),  # mostly the wrong check character
    NO_SUCH_DAY.map(lambda first17: first17 + spec.id_check_char(first17)),
)
MOBILES = st.one_of(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.from_regex(r"1[0-9 \-]{10,12}", fullmatch=True)
)
CELLS = {
    "text": (spec.text(6), st.one_of(st.text(max_size=8), st.floats(allow_nan=False), st.booleans())),
    "digits": (spec.digits(4), st.one_of(st.from_regex(r"[0-9٣]{3,5}", fullmatch=True), st.floats(0, 99999))),
    "integer": (spec.integer(1, 99), st.one_of(st.floats(-5, 120), st.integers(0, 120), st.just("7"))),
    "choice": (spec.choice({"男": "M", "女": "F"}), st.sampled_from(["男", "女", "未知", 1.0])),
    "date": (spec.date(), st.one_of(DAY, st.datetimes(min_value=datetime.datetime(1890, 1, 1)), st.just("2020-01-02"))),
    "id_number": (spec.id_number(), ANY_IDS),
    "mobile": (spec.mobile(allow_masked=True), st.one_of(MOBILES, st.just("170****5678"))),
}


def cell_by_cell(parse, values):
    try:
        return [parse(value) for value in values]
    except CellError:
        return None


@pytest.mark.parametrize("kind", sorted(CELLS))
def test_a_column_fast_path_agrees_with_the_cell_parser(kind):
    parse, cells = CELLS[kind]

    @settings(max_examples=150, deadline=None)
    @given(st.lists(cells, min_size=1, max_size=12))
    def agrees(values):
        fast = parse.column(list(values))
        if fast is not None:  # when it answers, it answers like the parser, cell for cell
            assert fast == cell_by_cell(parse, values)

    agrees()


@pytest.mark.parametrize(
    ("parse", "values"),
    [
        (spec.text(6), ["张三", "李四五"]),
        (spec.digits(15), ["510502001001001", "510502002001001"]),
        (spec.integer(1, 99), [1.0, 2.0, 99.0]),
        (spec.choice({"户籍人口": "registered"}), ["户籍人口"]),
        (spec.date(), [datetime.date(2015, 6, 1), datetime.date(1900, 1, 1)]),
        (spec.date(), [datetime.datetime(2015, 6, 1, 8, 0)]),
        (spec.id_number(), [make_id(), make_id(order="908").lower()]),
        (spec.mobile(allow_masked=True), ["17012345678", "13912345678"]),
    ],
)
def test_a_column_of_usual_valid_cells_takes_the_fast_path(parse, values):
    assert parse.column(list(values)) == [parse(value) for value in values]
