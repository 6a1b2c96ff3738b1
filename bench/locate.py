"""Benchmark: point-in-grid lookup with wangge.regions.locator.GridIndex.

Standalone: no database, no migrations. GridIndex is built straight from synthetic shapely
polygons; Django is only set up (on an in-memory SQLite URL) because importing the locator
module imports the regions models.

The grids: a 100 x 100 lattice of cells over lon 105.3-105.7, lat 28.6-29.0 (10,000 grids).
Interior lattice corners are jittered by up to +/-30 % of a cell with a seeded RNG, and every
interior edge gets 4 intermediate vertices, each pushed sideways by up to +/-5 % of a cell, so
each grid is an irregular polygon with 20 vertices (21 coordinates with the closing one).
Each edge's coordinates are computed once and shared by the two grids on either side, so the
grids tile the area exactly: no gaps, no overlaps; their union is the whole rectangle.

    .venv/bin/python bench/locate.py            # full run (about 30 s)
    .venv/bin/python bench/locate.py --quick    # fewer points, a few seconds

Prints a table (metric, value, target) and, as the last line, one JSON object with the
numbers. Targets are shown for reading only: nothing here asserts on timings.
"""

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

# The locator module imports the regions models, so Django has to be set up. Point it at an
# in-memory database so the benchmark never opens (or needs) a real one.
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ["DATABASE_URL"] = "sqlite:///:memory:"

import django

django.setup()

import numpy as np
import shapely

from wangge.regions.locator import GridIndex

LNG_MIN, LNG_MAX = 105.3, 105.7
LAT_MIN, LAT_MAX = 28.6, 29.0
CELLS = 100  # per side -> 10,000 grids
CORNER_JITTER = 0.30  # fraction of a cell
EDGE_SEGMENTS = 5  # 4 intermediate vertices per edge -> 20 vertices per grid
EDGE_WIGGLE = 0.05  # fraction of a cell, sideways, intermediate vertices of interior edges

TARGET_SINGLE_US = 20.0
TARGET_BATCH_PPS = 200_000


def make_grids(seed: int):
    """10,000 polygons tiling the rectangle exactly. Returns (codes, polygons) in row-major order."""
    rng = np.random.default_rng(seed)
    n = CELLS
    dx = (LNG_MAX - LNG_MIN) / n
    dy = (LAT_MAX - LAT_MIN) / n
    # Lattice corners (n+1) x (n+1), indexed [row j (lat), column i (lng)].
    xs = LNG_MIN + dx * np.arange(n + 1)[None, :].repeat(n + 1, axis=0)
    ys = LAT_MIN + dy * np.arange(n + 1)[:, None].repeat(n + 1, axis=1)
    xs[:, -1], ys[-1, :] = LNG_MAX, LAT_MAX  # exact outer edges
    jx = rng.uniform(-CORNER_JITTER, CORNER_JITTER, (n - 1, n - 1)) * dx
    jy = rng.uniform(-CORNER_JITTER, CORNER_JITTER, (n - 1, n - 1)) * dy
    xs[1:-1, 1:-1] += jx
    ys[1:-1, 1:-1] += jy

    t = np.arange(1, EDGE_SEGMENTS) / EDGE_SEGMENTS  # interior parameters of an edge

    def edge(x0, y0, x1, y1, interior: bool):
        """Intermediate vertices from (x0, y0) to (x1, y1), excluding both ends."""
        px = x0 + (x1 - x0) * t
        py = y0 + (y1 - y0) * t
        if interior:
            # Sideways offset, measured in cells so lng and lat wiggle alike on the lattice.
            ux, uy = (x1 - x0) / dx, (y1 - y0) / dy
            length = (ux * ux + uy * uy) ** 0.5
            off = rng.uniform(-EDGE_WIGGLE, EDGE_WIGGLE, len(t))
            px = px + (-uy / length) * off * dx
            py = py + (ux / length) * off * dy
        return np.column_stack([px, py])

    # Horizontal edges h[j][i]: corner (j, i) -> (j, i+1). Vertical edges v[j][i]: (j, i) -> (j+1, i).
    h = [[edge(xs[j, i], ys[j, i], xs[j, i + 1], ys[j, i + 1], 0 < j < n) for i in range(n)] for j in range(n + 1)]
    v = [[edge(xs[j, i], ys[j, i], xs[j + 1, i], ys[j + 1, i], 0 < i < n) for i in range(n + 1)] for j in range(n)]

    codes, polygons = [], []
    for j in range(n):
        for i in range(n):
            ring = np.concatenate(
                [
                    [[xs[j, i], ys[j, i]]],
                    h[j][i],  # bottom, west -> east
                    [[xs[j, i + 1], ys[j, i + 1]]],
                    v[j][i + 1],  # east side, south -> north
                    [[xs[j + 1, i + 1], ys[j + 1, i + 1]]],
                    h[j + 1][i][::-1],  # top, east -> west
                    [[xs[j + 1, i], ys[j + 1, i]]],
                    v[j][i][::-1],  # west side, north -> south
                ]
            )
            polygons.append(shapely.Polygon(ring))
            codes.append(f"510502001{j:03d}{i:03d}")
    return codes, polygons


def check_tiling(polygons) -> dict:
    arr = np.array(polygons, dtype=object)
    valid = bool(shapely.is_valid(arr).all())
    area = float(shapely.area(arr).sum())
    box = (LNG_MAX - LNG_MIN) * (LAT_MAX - LAT_MIN)
    vertices = shapely.get_num_coordinates(arr) - 1  # closing coordinate counted once
    return {
        "valid": valid,
        "area_error": abs(area - box) / box,
        "vertices_min": int(vertices.min()),
        "vertices_max": int(vertices.max()),
    }


def random_points(rng, count: int):
    return rng.uniform(LNG_MIN, LNG_MAX, count), rng.uniform(LAT_MIN, LAT_MAX, count)


def bench_single(index: GridIndex, lngs, lats, passes: int):
    """Time index.locate one point per call. One untimed pass over all the points first (it also
    lets GEOS build, on first touch, the point-in-area index of each prepared polygon), then
    `passes` timed passes. Returns (per-call ns, shape passes x points; hit codes)."""
    locate = index.locate
    xs, ys = lngs.tolist(), lats.tolist()  # plain floats, as a caller from a view would pass
    codes = [None] * len(xs)
    for k in range(len(xs)):
        hit = locate(xs[k], ys[k])
        codes[k] = hit.code if hit is not None else None
    clock = time.perf_counter_ns
    times = np.empty((passes, len(xs)), dtype=np.int64)
    for p in range(passes):
        gc.collect()
        row = times[p]
        for k in range(len(xs)):
            x, y = xs[k], ys[k]
            t0 = clock()
            locate(x, y)
            row[k] = clock() - t0
    return times, codes


def timer_overhead_ns() -> float:
    clock = time.perf_counter_ns
    samples = []
    for _ in range(20_000):
        t0 = clock()
        samples.append(clock() - t0)
    return float(np.median(samples))


def bench_batch(index: GridIndex, lngs, lats, repeats: int):
    durations, result = [], None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        result = index.locate_many(lngs, lats)
        durations.append(time.perf_counter() - t0)
    return durations, result


def reference_brute_force(polygons_array, xs, ys, chunk: int = 250):
    """shapely.contains_xy of every point against every polygon (no index). Returns
    (seconds, hits per point, index of the containing polygon or -1)."""
    hits = np.zeros(len(xs), dtype=np.int64)
    found = np.full(len(xs), -1, dtype=np.int64)
    t0 = time.perf_counter()
    for start in range(0, len(xs), chunk):
        cx, cy = xs[start : start + chunk], ys[start : start + chunk]
        inside = shapely.contains_xy(polygons_array[:, None], cx[None, :], cy[None, :])
        hits[start : start + chunk] = inside.sum(axis=0)
        found[start : start + chunk] = np.where(inside.any(axis=0), inside.argmax(axis=0), -1)
    return time.perf_counter() - t0, hits, found


def reference_strtree(polygons_array, xs, ys, repeats: int):
    """shapely's own indexed vectorised query: STRtree.query(points, predicate="intersects")."""
    tree = shapely.STRtree(polygons_array)
    durations = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        tree.query(shapely.points(xs, ys), predicate="intersects")  # points built inside, as locate_many does
        durations.append(time.perf_counter() - t0)
    return durations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer points (smoke run, noisier numbers)")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()

    n_single = 2_000 if args.quick else 20_000
    n_batch = 100_000 if args.quick else 1_000_000
    n_reference = 500 if args.quick else 2_000
    repeats = 3 if args.quick else 5

    t0 = time.perf_counter()
    codes, polygons = make_grids(args.seed)
    tiling = check_tiling(polygons)
    generate_s = time.perf_counter() - t0
    if not tiling["valid"] or tiling["area_error"] > 1e-9:
        raise SystemExit(f"generated grids do not tile the area: {tiling}")

    ids = list(range(1, len(codes) + 1))
    names = [f"网格{c[-6:]}" for c in codes]
    t0 = time.perf_counter()
    index = GridIndex(ids, codes, names, polygons)
    build_s = time.perf_counter() - t0
    # GridIndex prepares the polygons in place; the reference uses the same (prepared) objects.
    polygons_array = np.array(polygons, dtype=object)
    code_of_original = np.array(codes, dtype=object)
    code_of_position = np.array(index.codes, dtype=object)

    rng = np.random.default_rng(args.seed + 1)
    single_x, single_y = random_points(rng, n_single)
    batch_x, batch_y = random_points(rng, n_batch)

    # Single lookups.
    overhead = timer_overhead_ns()
    single_ns, single_codes = bench_single(index, single_x, single_y, repeats)
    single_us = single_ns / 1000.0
    pass_medians = np.median(single_us, axis=1)
    single_median = float(np.median(single_us))
    single_p95 = float(np.percentile(single_us, 95))
    single_p99 = float(np.percentile(single_us, 99))

    # Batch lookups.
    batch_s, batch_result = bench_batch(index, batch_x, batch_y, repeats)
    batch_best = n_batch / min(batch_s)
    batch_median = n_batch / statistics.median(batch_s)

    # Reference: brute-force contains_xy over all polygons, on the first n_reference batch points.
    ref_x, ref_y = batch_x[:n_reference], batch_y[:n_reference]
    ref_s, ref_hits, ref_found = reference_brute_force(polygons_array, ref_x, ref_y)
    reference_pps = n_reference / ref_s
    tree_s = reference_strtree(polygons_array, batch_x, batch_y, repeats)
    tree_pps = n_batch / min(tree_s)

    # Correctness.
    # 1. locate_many vs brute force, on every reference point strictly inside exactly one grid
    #    (contains_xy is False on a boundary, so a boundary point has no hit there).
    interior = ref_hits == 1
    many_codes = code_of_position[batch_result[:n_reference]]
    ref_codes = code_of_original[ref_found]
    ref_mismatch = int((many_codes[interior] != ref_codes[interior]).sum())
    ref_multi = int((ref_hits > 1).sum())  # would mean overlapping grids
    # 2. locate (one at a time) vs locate_many, on every single-lookup point.
    single_many = index.locate_many(single_x, single_y)
    single_many_codes = [code_of_position[p] if p >= 0 else None for p in single_many]
    single_mismatch = sum(a != b for a, b in zip(single_codes, single_many_codes))
    # 3. Points on boundaries (polygon vertices: on the edge of 1 to 4 grids) go to the grid with
    #    the lowest code among the grids they touch (brute-force shapely.intersects_xy).
    vertices = shapely.get_coordinates(polygons_array)
    pick = np.random.default_rng(args.seed + 2).choice(len(vertices), n_reference // 4, replace=False)
    bx, by = vertices[pick, 0], vertices[pick, 1]
    touching = shapely.intersects_xy(polygons_array[:, None], bx[None, :], by[None, :])
    expected = [min(code_of_original[touching[:, k]]) for k in range(len(bx))]
    boundary_many = code_of_position[index.locate_many(bx, by)]
    boundary_single = [index.locate(x, y).code for x, y in zip(bx.tolist(), by.tolist())]
    boundary_mismatch = int(sum(e != m or e != o for e, m, o in zip(expected, boundary_many, boundary_single)))
    shared = int((touching.sum(axis=0) > 1).sum())
    # 4. Every point lies in the tiled rectangle, so every point must be found.
    batch_misses = int((batch_result < 0).sum())
    single_misses = sum(c is None for c in single_codes)
    correct = (
        ref_mismatch == 0
        and ref_multi == 0
        and single_mismatch == 0
        and boundary_mismatch == 0
        and batch_misses == 0
        and single_misses == 0
    )

    rows = [
        ("grids (polygons)", f"{len(index):,}", ""),
        ("vertices per grid", f"{tiling['vertices_min']}-{tiling['vertices_max']}", ""),
        ("generate grids", f"{generate_s:.2f} s", ""),
        ("build GridIndex", f"{build_s * 1000:.0f} ms", ""),
        (
            f"single locate, median ({n_single:,} pts x {repeats} passes)",
            f"{single_median:.1f} µs",
            f"≤ {TARGET_SINGLE_US:.0f} µs",
        ),
        ("single locate, p95", f"{single_p95:.1f} µs", ""),
        ("single locate, p99", f"{single_p99:.1f} µs", ""),
        ("  (median of each pass: min-max)", f"{pass_medians.min():.1f}-{pass_medians.max():.1f} µs", ""),
        ("  (timer overhead per call, included)", f"{overhead / 1000:.2f} µs", ""),
        (
            f"batch locate_many, best of {repeats} ({n_batch:,} pts)",
            f"{batch_best:,.0f} pts/s",
            f"≥ {TARGET_BATCH_PPS:,} pts/s",
        ),
        ("batch locate_many, median", f"{batch_median:,.0f} pts/s", ""),
        (f"reference contains_xy brute force ({n_reference:,} pts)", f"{reference_pps:,.0f} pts/s", ""),
        (f"reference STRtree.query intersects, best of {repeats}", f"{tree_pps:,.0f} pts/s", ""),
    ]
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    print(f"{'metric':<{width}}  {'value':>{vwidth}}  target")
    print(f"{'-' * width}  {'-' * vwidth}  {'-' * 18}")
    for metric, value, target in rows:
        print(f"{metric:<{width}}  {value:>{vwidth}}  {target}")
    print()
    print(
        f"correctness: {'OK' if correct else 'FAILED'} — locate_many vs contains_xy: "
        f"{ref_mismatch} mismatches on {int(interior.sum())} interior points "
        f"({n_reference - int(interior.sum())} on a boundary skipped, {ref_multi} in >1 grid); "
        f"locate vs locate_many: {single_mismatch} mismatches on {n_single} points; "
        f"lowest-code rule: {boundary_mismatch} mismatches on {len(bx)} vertices ({shared} shared by 2+ grids); "
        f"not found: {single_misses} single, {batch_misses} batch"
    )
    print(
        json.dumps(
            {
                "benchmark": "locate",
                "quick": args.quick,
                "grids": len(index),
                "vertices_per_grid": tiling["vertices_max"],
                "single_points": n_single,
                "single_us_median": round(single_median, 3),
                "single_us_p95": round(single_p95, 3),
                "single_us_p99": round(single_p99, 3),
                "single_passes": repeats,
                "single_us_pass_medians": [round(float(m), 3) for m in pass_medians],
                "timer_overhead_us": round(overhead / 1000, 3),
                "batch_points": n_batch,
                "batch_repeats": repeats,
                "batch_points_per_s": round(batch_best),
                "batch_points_per_s_median": round(batch_median),
                "reference_points": n_reference,
                "reference_points_per_s": round(reference_pps),
                "reference_strtree_points_per_s": round(tree_pps),
                "build_index_ms": round(build_s * 1000, 1),
                "correct": correct,
                "reference_mismatches": ref_mismatch,
                "single_vs_batch_mismatches": single_mismatch,
                "boundary_mismatches": boundary_mismatch,
                "target_single_us_median": TARGET_SINGLE_US,
                "target_batch_points_per_s": TARGET_BATCH_PPS,
                "python": platform.python_version(),
                "shapely": shapely.__version__,
                "geos": shapely.geos_version_string,
                "numpy": np.__version__,
                "seed": args.seed,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
