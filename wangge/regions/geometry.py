"""GeoJSON in, shapely out, and the numbers a grid page and the import checks need."""

import json

import shapely
from shapely.geometry import shape

from wangge.core.geo import square_metres

POLYGONAL = ("Polygon", "MultiPolygon")


def to_shape(geojson: dict):
    return shape(geojson)


def to_geojson(geometry) -> dict:
    """GeoJSON as it is stored in a JSONField and read back: lists, not shapely's tuples, so a
    stored geometry compares equal to a freshly converted one."""
    return json.loads(shapely.to_geojson(geometry))


def geometry_fields(geometry) -> dict:
    """The Region fields that follow from a geometry: the GeoJSON itself, its bbox, its area."""
    return {"geometry": to_geojson(geometry), "bbox": bbox(geometry), "area_m2": round(area_m2(geometry), 1)}


def area_m2(geometry) -> float:
    if geometry.is_empty:
        return 0.0
    return square_metres(geometry.area, geometry.centroid.y)


def bbox(geometry) -> list[float]:
    return [round(v, 7) for v in geometry.bounds]
