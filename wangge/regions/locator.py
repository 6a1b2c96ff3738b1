"""Point-in-grid: which grid is this point in?

An in-memory index over every grid polygon, rebuilt when the database says grid geometry
changed (GridIndexVersion). A point on the shared edge of two grids belongs to the grid with the
lower code, so every point of a community falls in exactly one grid.

Single lookups use a uniform bucket grid (cells about one grid's size, each listing the grids
whose bounding box touches it): finding the bucket is arithmetic, so a lookup costs one exact
test over one or two prepared polygons — about half the time of an STRtree query, whose fixed
per-call overhead dominates at this size (see docs/benchmarks.md). Batches use the STRtree.
"""

import math
import threading
from dataclasses import dataclass

import numpy as np
import shapely
from django.db import connection

from .models import GridIndexVersion, Level, Region


@dataclass(frozen=True)
class GridHit:
    id: int
    code: str
    name: str


class GridIndex:
    def __init__(self, ids: list[int], codes: list[str], names: list[str], geometries: list):
        order = np.argsort(np.array(codes, dtype=object), kind="stable") if codes else np.array([], dtype=int)
        self.ids = [ids[i] for i in order]
        self.codes = [codes[i] for i in order]
        self.names = [names[i] for i in order]
        self.geometries = np.array([geometries[i] for i in order], dtype=object)
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)
        self._build_buckets()

    MAX_BUCKETS = 1 << 20

    def _build_buckets(self) -> None:
        """Bucket grid in CSR form: the candidates of bucket k are
        bucket_items[bucket_starts[k]:bucket_starts[k + 1]], in code order."""
        self.nx = self.ny = 0
        if len(self) == 0:
            return
        bounds = shapely.bounds(self.geometries)
        self.x0, self.y0 = float(bounds[:, 0].min()), float(bounds[:, 1].min())
        width = float(bounds[:, 2].max()) - self.x0
        height = float(bounds[:, 3].max()) - self.y0
        cell = float(max(np.median(bounds[:, 2] - bounds[:, 0]), np.median(bounds[:, 3] - bounds[:, 1]), 1e-9))
        # Cap the bucket count for cities whose grids are tiny beside their extent.
        cell = max(cell, math.sqrt(width * height / self.MAX_BUCKETS), width / 4096, height / 4096)
        self.nx = max(1, math.ceil(width / cell))
        self.ny = max(1, math.ceil(height / cell))
        self.cell = cell
        ix, iy = np.meshgrid(np.arange(self.nx), np.arange(self.ny))
        ix, iy = ix.ravel(), iy.ravel()
        # Pad each bucket a little so a point on a bucket edge never misses a candidate to rounding.
        pad = cell * 1e-6
        boxes = shapely.box(
            self.x0 + ix * cell - pad,
            self.y0 + iy * cell - pad,
            self.x0 + (ix + 1) * cell + pad,
            self.y0 + (iy + 1) * cell + pad,
        )
        bucket, grid = self.tree.query(boxes)
        flat = iy[bucket] * self.nx + ix[bucket]
        order = np.lexsort((grid, flat))
        self.bucket_items = grid[order].astype(np.int64)
        counts = np.bincount(flat, minlength=self.nx * self.ny)
        self.bucket_starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)

    def __len__(self) -> int:
        return len(self.codes)

    def locate_index(self, lng: float, lat: float) -> int | None:
        """Position of the grid holding the point, or None."""
        if self.nx == 0 or not (math.isfinite(lng) and math.isfinite(lat)):
            return None
        i = min(int((lng - self.x0) / self.cell), self.nx - 1) if lng >= self.x0 else -1
        j = min(int((lat - self.y0) / self.cell), self.ny - 1) if lat >= self.y0 else -1
        if i < 0 or j < 0:
            return None
        k = j * self.nx + i
        candidates = self.bucket_items[self.bucket_starts[k] : self.bucket_starts[k + 1]]
        if len(candidates) == 0:
            return None
        hits = candidates[shapely.intersects_xy(self.geometries[candidates], lng, lat)]
        return int(hits[0]) if len(hits) else None

    def locate(self, lng: float, lat: float) -> GridHit | None:
        position = self.locate_index(lng, lat)
        if position is None:
            return None
        return GridHit(self.ids[position], self.codes[position], self.names[position])

    def locate_many(self, lngs, lats) -> np.ndarray:
        """Grid position for each point (-1 where none), vectorised: one bounding-box query for
        all points, one exact test over all candidate pairs, lowest code kept per point."""
        lngs = np.asarray(lngs, dtype=float)
        lats = np.asarray(lats, dtype=float)
        result = np.full(len(lngs), -1, dtype=np.int64)
        if len(lngs) == 0 or len(self) == 0:
            return result
        point_idx, grid_idx = self.tree.query(shapely.points(lngs, lats))
        hit = shapely.intersects_xy(self.geometries[grid_idx], lngs[point_idx], lats[point_idx])
        point_idx, grid_idx = point_idx[hit], grid_idx[hit]
        # Several hits for one point only on shared edges: keep the lowest position (= lowest code).
        order = np.lexsort((grid_idx, point_idx))
        point_idx, grid_idx = point_idx[order], grid_idx[order]
        first = np.ones(len(point_idx), dtype=bool)
        first[1:] = point_idx[1:] != point_idx[:-1]
        result[point_idx[first]] = grid_idx[first]
        return result


def build_index(queryset=None) -> GridIndex:
    from .geometry import to_shape

    queryset = queryset if queryset is not None else Region.objects.filter(level=Level.GRID)
    ids, codes, names, geometries = [], [], [], []
    for pk, code, name, geometry in queryset.values_list("id", "code", "name", "geometry").iterator(chunk_size=2000):
        ids.append(pk)
        codes.append(code)
        names.append(name)
        geometries.append(to_shape(geometry))
    return GridIndex(ids, codes, names, geometries)


_lock = threading.Lock()
_cached: tuple[str, GridIndex] | None = None


def current_version() -> str:
    # Asked on every located report: plain SQL spares building the same ORM query each time.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {GridIndexVersion._meta.db_table} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else ""


def get_index() -> GridIndex:
    """The index for the grids as they are in the database now (one small query to check)."""
    global _cached
    version = current_version()
    cached = _cached
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        if _cached is None or _cached[0] != version:
            _cached = (version, build_index())
        return _cached[1]
