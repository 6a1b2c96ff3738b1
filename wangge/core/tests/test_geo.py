import math

from hypothesis import given
from hypothesis import strategies as st

from wangge.core.geo import gcj02_to_wgs84, to_wgs84, wgs84_to_gcj02


def metres(a, b):
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    dy = (a[1] - b[1]) * 110_574
    return math.hypot(dx, dy)


def test_gcj02_shifts_points_in_china_by_hundreds_of_metres():
    wgs = (105.44, 28.87)  # 泸州
    shift = metres(wgs84_to_gcj02(*wgs), wgs)
    assert 100 < shift < 1000


@given(st.floats(min_value=97.5, max_value=134.0), st.floats(min_value=18.0, max_value=53.0))
def test_converting_there_and_back_is_within_a_centimetre(lng, lat):
    gcj = wgs84_to_gcj02(lng, lat)
    back = gcj02_to_wgs84(*gcj)
    assert metres(back, (lng, lat)) < 0.01


def test_points_outside_china_are_left_alone():
    assert gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)


def test_cgcs2000_is_taken_as_wgs84_and_unknown_systems_are_refused():
    assert to_wgs84(105.0, 29.0, "cgcs2000") == (105.0, 29.0)
    try:
        to_wgs84(105.0, 29.0, "bd09")
    except ValueError as exc:
        assert "bd09" in str(exc)
    else:
        raise AssertionError("bd09 must be refused")
