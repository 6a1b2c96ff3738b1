import numpy as np
import pytest
import shapely

from wangge.core.errors import DomainError
from wangge.core.geo import wgs84_to_gcj02
from wangge.regions import selectors
from wangge.regions.grids import bump_grid_version
from wangge.regions.locator import GridIndex, get_index
from wangge.regions.models import Region


def test_points_fall_in_their_grid(tree):
    index = get_index()
    assert index.locate(105.405, 28.915).code == "510502001001001"  # north-west
    assert index.locate(105.415, 28.905).code == "510502001001004"  # south-east
    assert index.locate(105.505, 28.905).code == "510502002001003"
    assert index.locate(105.45, 28.905) is None  # between the two communities
    assert index.locate(0, 0) is None


def test_a_point_on_a_shared_edge_belongs_to_the_lower_code(tree):
    index = get_index()
    assert index.locate(105.41, 28.915).code == "510502001001001"
    assert index.locate(105.41, 28.91).code == "510502001001001"  # the corner of all four


def test_batch_lookup_agrees_with_single_lookups(tree):
    index = get_index()
    rng = np.random.default_rng(7)
    lngs = rng.uniform(105.39, 105.53, 2000)
    lats = rng.uniform(28.89, 28.93, 2000)
    lngs[:3], lats[:3] = [105.41, 105.41, 105.45], [28.915, 28.91, 28.905]  # edges and a miss
    positions = index.locate_many(lngs, lats)
    for lng, lat, position in zip(lngs, lats, positions):
        hit = index.locate(lng, lat)
        assert (hit.code if hit else None) == (index.codes[position] if position >= 0 else None)


def test_an_empty_index_finds_nothing():
    index = GridIndex([], [], [], [])
    assert index.locate(105.0, 29.0) is None
    assert list(index.locate_many([105.0], [29.0])) == [-1]


def test_the_index_is_rebuilt_when_grids_change(tree):
    assert get_index().locate(105.405, 28.915).code == "510502001001001"
    grid = Region.objects.get(code="510502001001001")
    grid.geometry = shapely.geometry.mapping(shapely.box(105.40, 28.915, 105.41, 28.92))
    grid.save()
    bump_grid_version()
    assert get_index().locate(105.405, 28.912) is None


def test_gcj02_points_are_converted_before_locating(tree):
    # Near grid 001's east edge: GCJ-02 moves the point ~350 m east, into grid 002.
    gcj = wgs84_to_gcj02(105.4095, 28.9195)
    assert get_index().locate(*gcj).code == "510502001001002"
    hit, wgs = selectors.locate(lng=gcj[0], lat=gcj[1], crs="gcj02")
    assert hit.code == "510502001001001"
    assert abs(wgs[0] - 105.4095) < 1e-7


def test_bad_coordinates_and_systems_are_refused(tree):
    with pytest.raises(DomainError, match="经纬度"):
        selectors.locate(lng=200, lat=28.9)
    with pytest.raises(DomainError, match="坐标系"):
        selectors.locate(lng=105.4, lat=28.9, crs="bd09")


def test_a_long_thin_extent_keeps_the_bucket_grid_small():
    cells = [shapely.box(100 + i * 0.3, 30, 100.001 + i * 0.3, 30.001) for i in range(100)]  # 30° wide, 0.001° tall
    index = GridIndex(list(range(100)), [f"{i:015d}" for i in range(100)], ["g"] * 100, cells)
    assert index.nx * index.ny <= GridIndex.MAX_BUCKETS
    assert index.locate(100.0005 + 0.3 * 57, 30.0005).code == f"{57:015d}"
