"""Coordinate systems and small geometry helpers.

Wangge stores WGS-84 longitude/latitude (CGCS2000 agrees with WGS-84 to within centimetres,
far below a grid's resolution, so the two are treated as one). Most phone map SDKs in China
report GCJ-02, the obfuscated datum required for published maps; those points are converted
before they are placed in a grid.
"""

import math

WGS84 = "wgs84"
CGCS2000 = "cgcs2000"
GCJ02 = "gcj02"
COORDINATE_SYSTEMS = (WGS84, CGCS2000, GCJ02)

# Krasovsky 1940 ellipsoid parameters used by the GCJ-02 transform.
_A = 6378245.0
_EE = 0.00669342162296594323


def _outside_china(lng: float, lat: float) -> bool:
    # GCJ-02 leaves points outside mainland China's bounding box untouched.
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _delta(lng: float, lat: float) -> tuple[float, float]:
    x, y = lng - 105.0, lat - 35.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d_lat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    d_lat += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    d_lng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d_lng += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lng += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    d_lng += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return d_lng, d_lat


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    if _outside_china(lng, lat):
        return lng, lat
    d_lng, d_lat = _delta(lng, lat)
    return lng + d_lng, lat + d_lat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """Invert the forward transform by fixed-point iteration: converges to well under a
    centimetre in a few steps (a single subtraction leaves errors of one to two metres)."""
    if _outside_china(lng, lat):
        return lng, lat
    wgs_lng, wgs_lat = lng, lat
    for _ in range(10):
        fwd_lng, fwd_lat = wgs84_to_gcj02(wgs_lng, wgs_lat)
        err_lng, err_lat = fwd_lng - lng, fwd_lat - lat
        wgs_lng, wgs_lat = wgs_lng - err_lng, wgs_lat - err_lat
        if abs(err_lng) < 1e-10 and abs(err_lat) < 1e-10:
            break
    return wgs_lng, wgs_lat


def to_wgs84(lng: float, lat: float, crs: str) -> tuple[float, float]:
    crs = (crs or WGS84).lower()
    if crs in (WGS84, CGCS2000):
        return lng, lat
    if crs == GCJ02:
        return gcj02_to_wgs84(lng, lat)
    raise ValueError(f"unknown coordinate system {crs!r}")


METRES_PER_DEGREE = 111_320.0


def square_metres(area_deg2: float, lat: float) -> float:
    """Area of a small lon/lat shape in square metres (equirectangular approximation at `lat`):
    accurate to a fraction of a percent at grid and community scale."""
    return area_deg2 * METRES_PER_DEGREE**2 * math.cos(math.radians(lat))


# Small-distance helpers for "near each other" questions (duplicates, hot spots): street scale,
# where the earth is a sphere and a degree box is a cheap index filter before the exact distance.
EARTH_RADIUS_M = 6_371_008.8


def distance_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine; exact enough at street scale)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def degree_box(lng: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees of a box holding every point within `radius_m` of
    the point: for a range filter on indexed lng/lat columns, followed by `distance_m`."""
    d_lat = radius_m / METRES_PER_DEGREE
    # Near the poles a degree of longitude shrinks to nothing; cap the widening instead of dividing by 0.
    d_lng = radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    return lng - d_lng, lat - d_lat, lng + d_lng, lat + d_lat


def local_metres(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """(x, y) in metres of (lat, lng) points on a plane tangent at their mean latitude: distances
    between them are right to a fraction of a percent across a city."""
    if not points:
        return []
    scale_x = METRES_PER_DEGREE * math.cos(math.radians(sum(p[0] for p in points) / len(points)))
    return [(lng * scale_x, lat * METRES_PER_DEGREE) for lat, lng in points]
