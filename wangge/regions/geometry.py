"""GeoJSON in, shapely out, and the numbers a grid page and the import checks need."""

import shapely
from shapely.geometry import mapping, shape

from wangge.core.geo import square_metres

POLYGONAL = ("Polygon", "MultiPolygon")


def to_shape(geojson: dict):
    return shape(geojson)


def to_geojson(geometry, precision: int = 7) -> dict:
    """GeoJSON with coordinates rounded (7 decimals ≈ 1 cm): smaller pages, no false precision."""
    rounded = shapely.set_precision(geometry, 10**-precision) if precision else geometry
    return mapping(rounded if not rounded.is_empty else geometry)


def area_m2(geometry) -> float:
    if geometry.is_empty:
        return 0.0
    return square_metres(geometry.area, geometry.centroid.y)


def bbox(geometry) -> list[float]:
    return [round(v, 7) for v in geometry.bounds]
