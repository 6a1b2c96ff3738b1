"""Opening hours: the text people write, the stored form, and whether a span fits."""

import datetime

import pytest

from wangge.units.hours import check_week, format_week_text, parse_week_text, slot_starts, within_opening


def test_text_becomes_the_stored_form_and_back():
    week = parse_week_text("周一至周五 08:00-12:00, 14:00-18:00；周六、周日 9:00-17:00\n周三 休息")
    assert week == {
        "mon": [["08:00", "12:00"], ["14:00", "18:00"]],
        "tue": [["08:00", "12:00"], ["14:00", "18:00"]],
        "thu": [["08:00", "12:00"], ["14:00", "18:00"]],
        "fri": [["08:00", "12:00"], ["14:00", "18:00"]],
        "sat": [["09:00", "17:00"]],
        "sun": [["09:00", "17:00"]],
    }
    text = format_week_text(week)
    assert text == "周一、周二、周四、周五 08:00-12:00, 14:00-18:00；周六、周日 09:00-17:00"
    assert parse_week_text(text) == week


@pytest.mark.parametrize(
    "text,expected",
    [
        ("每天 06:00-24:00", {d: [["06:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}),
        ("工作日 08:30-17:30", {d: [["08:30", "17:30"]] for d in ("mon", "tue", "wed", "thu", "fri")}),
        ("周末 09:00~11:00", {"sat": [["09:00", "11:00"]], "sun": [["09:00", "11:00"]]}),
        ("星期二到星期四 10:00至12:00", {d: [["10:00", "12:00"]] for d in ("tue", "wed", "thu")}),
        ("周日08:00-09:00", {"sun": [["08:00", "09:00"]]}),
        ("", {}),
    ],
)
def test_the_ways_people_write_days_and_times(text, expected):
    assert parse_week_text(text) == expected


@pytest.mark.parametrize(
    "text,reason",
    [
        ("周八 08:00-09:00", "无法识别“周八 08:00-09:00”中的星期"),
        ("周五至周一 08:00-09:00", "中的星期"),
        ("周一 8-9", "周一的时间 8-9 不正确"),
        ("周一 08:15-09:00", "整点或半点"),
        ("周一 09:00-08:00", "结束时间应晚于开始时间"),
        ("周一 08:00-12:00, 11:00-13:00", "互不重叠"),
        ("周一 08:00", "应写成 开始-结束"),
        ("周一", "后面缺少时间段"),
        ("周一 24:30-25:00", "不正确"),
    ],
)
def test_bad_text_is_refused_with_a_reason(text, reason):
    with pytest.raises(ValueError) as caught:
        parse_week_text(text)
    assert reason in str(caught.value)


def test_the_stored_form_is_checked_too():
    assert check_week({"mon": [["08:00", "09:00"]]}) is None
    assert "星期 monday 无法识别" in check_week({"monday": []})
    assert "[开始, 结束]" in check_week({"mon": [["08:00"]]})
    assert check_week([]) == "开放时间应为按星期排列的时间段"


def test_a_span_fits_when_inside_one_range_of_its_day():
    week = parse_week_text("周一 08:00-12:00, 14:00-24:00")
    monday = datetime.date(2026, 3, 2)

    def span(h1, m1, h2, m2, days=0):
        start = datetime.datetime.combine(monday, datetime.time(h1, m1))
        return start, datetime.datetime.combine(monday + datetime.timedelta(days=days), datetime.time(h2, m2))

    assert within_opening(week, *span(8, 0, 12, 0))
    assert within_opening(week, *span(23, 0, 0, 0, days=1))  # up to midnight
    assert not within_opening(week, *span(11, 0, 15, 0))  # across the lunch break
    assert not within_opening(week, *span(7, 30, 8, 30))
    tuesday = datetime.datetime.combine(monday + datetime.timedelta(days=1), datetime.time(9))
    assert not within_opening(week, tuesday, tuesday + datetime.timedelta(hours=1))


def test_slots_are_half_hours():
    start = datetime.datetime(2026, 3, 2, 9, 0)
    assert slot_starts(start, start + datetime.timedelta(hours=1, minutes=30)) == [
        start,
        start + datetime.timedelta(minutes=30),
        start + datetime.timedelta(minutes=60),
    ]
