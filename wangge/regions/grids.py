"""Importing grid polygons from GeoJSON.

A community's grids must tile it: each grid inside the community, no two grids overlapping,
and no gap left between them beyond a tolerance (settings WANGGE_GRID_*_TOLERANCE_M2). The whole
file is checked before anything is written; a refusal names the offending grid codes.
"""

import json
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from wangge.accounts.roles import IMPORT_GEOGRAPHY, require
from wangge.core import audit
from wangge.core.errors import DomainError
from wangge.core.geo import COORDINATE_SYSTEMS, GCJ02, to_wgs84
from wangge.core.scope import in_scope
from wangge.core.validators import is_ascii_digits

from .divisions import decode_upload
from .geometry import POLYGONAL, area_m2, geometry_fields, to_shape
from .models import GridIndexVersion, Level, Region


@dataclass
class GridFeature:
    number: int
    code: str
    community_code: str
    name: str
    geometry: object  # shapely geometry, WGS-84


@dataclass
class GridImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _problem(codes, reason: str) -> dict:
    return {"grids": sorted(codes), "reason": reason}


def load_geojson(data: bytes | str) -> dict:
    if isinstance(data, bytes):
        data = decode_upload(data)  # UTF-8 with or without BOM, or GB18030
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise DomainError(_("不是有效的 GeoJSON 文件：%(e)s") % {"e": exc}, code="bad_geojson") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise DomainError(_("GeoJSON 顶层应为 FeatureCollection"), code="bad_geojson")
    if not isinstance(document.get("features"), list) or not document["features"]:
        raise DomainError(_("FeatureCollection 中没有要素"), code="empty_file")
    return document


def _convert(geometry, crs: str):
    if crs == GCJ02:
        return shapely.transform(geometry, lambda xy: _convert_xy(xy), include_z=False)
    return geometry


def _convert_xy(xy):
    return np.array([to_wgs84(x, y, GCJ02) for x, y in xy])


def parse_features(document: dict, crs: str) -> tuple[list[GridFeature], list[dict]]:
    if crs not in COORDINATE_SYSTEMS:
        raise DomainError(
            _("未知坐标系 %(c)s，可用：%(all)s") % {"c": crs, "all": ", ".join(COORDINATE_SYSTEMS)},
            code="bad_crs",
            field="crs",
        )
    features, problems, seen = [], [], {}
    for number, feature in enumerate(document["features"], start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            problems.append(_problem([_("第%(n)d个要素") % {"n": number}], _("要素应为带 properties 对象的 Feature")))
            continue
        code = str(props.get("code") or props.get("grid_code") or "").strip()
        community = str(props.get("community") or props.get("community_code") or "").strip()
        label = code or _("第%(n)d个要素") % {"n": number}
        if len(code) != 15 or not is_ascii_digits(code):
            problems.append(_problem([label], _("网格代码应为15位数字（社区代码+3位序号）")))
            continue
        if len(community) != 12 or not is_ascii_digits(community):
            problems.append(_problem([code], _("社区代码应为12位数字")))
            continue
        if not code.startswith(community):
            problems.append(_problem([code], _("网格代码应以所属社区代码 %(c)s 开头") % {"c": community}))
            continue
        if code in seen:
            problems.append(
                _problem([code], _("文件中第%(a)d和第%(b)d个要素代码相同") % {"a": seen[code], "b": number})
            )
            continue
        seen[code] = number
        try:
            geometry = to_shape(feature.get("geometry") or {})
        except Exception:  # shapely raises several types for malformed GeoJSON
            problems.append(_problem([code], _("几何数据无法读取")))
            continue
        if geometry.geom_type not in POLYGONAL or geometry.is_empty:
            problems.append(_problem([code], _("几何类型应为 Polygon 或 MultiPolygon")))
            continue
        if not _inside_china(geometry):
            problems.append(
                _problem([code], _("坐标超出中国范围（经度73至136，纬度3至54）：经纬度是否写反，或不是经纬度？"))
            )
            continue
        if not geometry.is_valid:
            problems.append(_problem([code], _("几何图形无效：%(why)s") % {"why": shapely.is_valid_reason(geometry)}))
            continue
        name = str(props.get("name") or "").strip() or _("第%(n)s网格") % {"n": code[-3:]}
        if len(name) > 100 or _CONTROL.search(name):
            problems.append(_problem([code], _("名称不能超过100个字符，也不能含控制字符")))
            continue
        features.append(GridFeature(number, code, community, name, _convert(geometry, crs)))
    return features, problems


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)


def _inside_china(geometry) -> bool:
    coordinates = shapely.get_coordinates(geometry)
    if not np.isfinite(coordinates).all():
        return False
    west, south, east, north = CHINA_BOUNDS
    lng, lat = coordinates[:, 0], coordinates[:, 1]
    return bool(((lng >= west) & (lng <= east) & (lat >= south) & (lat <= north)).all())


def _check_community(community: Region, grids: dict[str, object], new_codes: set[str]) -> list[dict]:
    """Problems of one community's resulting set of grids (those already stored and the new ones)."""
    problems = []
    gap_tolerance = settings.WANGGE_GRID_GAP_TOLERANCE_M2
    overlap_tolerance = settings.WANGGE_GRID_OVERLAP_TOLERANCE_M2
    codes = sorted(grids)
    geometries = [grids[c] for c in codes]
    outline = to_shape(community.geometry) if community.geometry else None

    if outline is not None:
        for code, geometry in zip(codes, geometries):
            outside = area_m2(geometry.difference(outline))
            if code in new_codes and outside > overlap_tolerance:
                problems.append(
                    _problem(
                        [code], _("有 %(a).0f 平方米位于所属社区 %(c)s 之外") % {"a": outside, "c": community.name}
                    )
                )

    tree = shapely.STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    for i, j in zip(left, right):
        if i >= j or (codes[i] not in new_codes and codes[j] not in new_codes):
            continue
        shared = area_m2(geometries[i].intersection(geometries[j]))
        if shared > overlap_tolerance:
            problems.append(_problem([codes[i], codes[j]], _("两个网格重叠 %(a).0f 平方米") % {"a": shared}))

    union = shapely.union_all(geometries)
    if outline is None:
        # No official outline (none was imported): the grids define the community, and holes
        # inside their union are the gaps.
        holes = shapely.Polygon()
        for part in getattr(union, "geoms", [union]):
            for ring in part.interiors:
                holes = holes.union(shapely.Polygon(ring))
        gap = holes
    else:
        gap = outline.difference(union)
    gap_area = area_m2(gap)
    if gap_area > gap_tolerance:
        bordering = [c for c, g in zip(codes, geometries) if g.distance(gap) < 1e-9]
        problems.append(
            _problem(
                bordering or codes,
                _("社区 %(c)s 内有 %(a).0f 平方米未被网格覆盖（容差 %(t).0f）")
                % {"c": community.name, "a": gap_area, "t": gap_tolerance},
            )
        )
    return problems


def _check_across_communities(features: list[GridFeature]) -> list[dict]:
    """Grids of neighbouring communities must not overlap either: check each new grid against
    the file's grids of other communities and against stored grids of communities the file
    does not touch (found through the point-in-grid index's tree)."""
    from .locator import get_index

    problems = []
    tolerance = settings.WANGGE_GRID_OVERLAP_TOLERANCE_M2
    if not features:
        return problems
    touched = {f.community_code for f in features}
    geometries = [f.geometry for f in features]
    left, right = shapely.STRtree(geometries).query(geometries, predicate="intersects")
    for i, j in zip(left, right):
        a, b = features[i], features[j]
        if i < j and a.community_code != b.community_code:
            shared = area_m2(a.geometry.intersection(b.geometry))
            if shared > tolerance:
                problems.append(_problem([a.code, b.code], _("两个网格重叠 %(a).0f 平方米") % {"a": shared}))
    index = get_index()
    if len(index):
        new_idx, stored_idx = index.tree.query(geometries, predicate="intersects")
        for i, j in zip(new_idx, stored_idx):
            stored_code = index.codes[j]
            if stored_code[:12] in touched:
                continue
            shared = area_m2(features[i].geometry.intersection(index.geometries[j]))
            if shared > tolerance:
                problems.append(
                    _problem([features[i].code, stored_code], _("两个网格重叠 %(a).0f 平方米") % {"a": shared})
                )
    return problems


@transaction.atomic
def import_grids(*, document: dict, actor=None, crs: str = "wgs84", source: str = "") -> GridImportReport:
    """Create or update grids from a GeoJSON FeatureCollection; all or nothing. Administrators only,
    inside their scope (actor=None is the system: management commands)."""
    require(actor, IMPORT_GEOGRAPHY)
    features, problems = parse_features(document, crs)
    # Locking the communities serialises two imports into the same community, so both cannot
    # pass their checks against the grids as they were before the other.
    communities = {
        r.code: r for r in Region.objects.select_for_update().filter(code__in={f.community_code for f in features})
    }
    by_community: dict[str, list[GridFeature]] = defaultdict(list)
    for feature in features:
        community = communities.get(feature.community_code)
        if (
            community is None
            or community.level != Level.COMMUNITY
            or (actor is not None and not in_scope(actor, community.key))
        ):
            problems.append(_problem([feature.code], _("社区 %(c)s 不存在") % {"c": feature.community_code}))
            continue
        by_community[feature.community_code].append(feature)

    for community_code, items in by_community.items():
        community = communities[community_code]
        grids = {
            code: to_shape(geom)
            for code, geom in Region.objects.filter(parent=community, level=Level.GRID).values_list("code", "geometry")
        }
        for feature in items:
            grids[feature.code] = feature.geometry
        problems.extend(_check_community(community, grids, {f.code for f in items}))
    problems.extend(_check_across_communities([f for items in by_community.values() for f in items]))
    if problems:
        raise DomainError(
            _("网格数据有%(n)d处问题，未导入任何网格") % {"n": len(problems)}, code="grids_invalid", details=problems
        )

    report = GridImportReport()
    existing = {r.code: r for r in Region.objects.filter(code__in=[f.code for f in features])}
    events = []
    for feature in features:
        values = {"name": feature.name, **geometry_fields(feature.geometry)}
        region = existing.get(feature.code)
        if region is None:
            region = Region.objects.create(
                code=feature.code,
                key=feature.code,
                level=Level.GRID,
                parent=communities[feature.community_code],
                **values,
            )
            report.created.append(feature.code)
            events.append(_import_event(region, actor=actor, before=None, note=source))
        elif region.name != values["name"] or region.geometry != values["geometry"]:
            before = _grid_state(region)
            for attr, value in values.items():
                setattr(region, attr, value)
            region.save()
            report.updated.append(feature.code)
            events.append(_import_event(region, actor=actor, before=before, note=source))
        else:
            report.unchanged.append(feature.code)
    if report.created or report.updated:
        bump_grid_version()
    audit.record_many(events)
    return report


def _grid_state(region: Region) -> dict:
    return {"name": region.name, "area_m2": region.area_m2, "geometry": region.geometry}


def _import_event(region: Region, *, actor, before: dict | None, note: str):
    return audit.build(
        actor=actor,
        verb="grid.import",
        target=region,
        scope_key=region.key,
        before=before,
        after=_grid_state(region),
        note=note,
    )


def bump_grid_version() -> None:
    GridIndexVersion.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})
