"""Point-in-grid: which grid is this point in?

An in-memory STRtree over every grid polygon, rebuilt when the database says grid geometry
changed (GridIndexVersion). A point on the shared edge of two grids belongs to the grid with the
lower code, so every point of a community falls in exactly one grid.
"""

import threading
from dataclasses import dataclass

import numpy as np
import shapely

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

    def __len__(self) -> int:
        return len(self.codes)

    def locate_index(self, lng: float, lat: float) -> int | None:
        """Position of the grid holding the point, or None. Candidates come from the tree's
        bounding boxes; the exact test runs on prepared polygons."""
        candidates = self.tree.query(shapely.Point(lng, lat))
        if len(candidates) == 0:
            return None
        candidates.sort()
        for position in candidates:
            if shapely.intersects_xy(self.geometries[position], lng, lat):
                return int(position)
        return None

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
_cached: tuple[int, GridIndex] | None = None


def current_version() -> int:
    row = GridIndexVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    return row or 0


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
