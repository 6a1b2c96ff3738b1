"""Reads of the region tree, always starting from the user's scope."""

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from wangge.core.errors import DomainError
from wangge.core.geo import to_wgs84
from wangge.core.scope import get_or_404, restrict, scope_key_of

from .locator import get_index
from .models import Building, Compound, Household, Level, Region


def visible_regions(*, user) -> QuerySet:
    return restrict(Region.objects.all(), user, "key")


def region_get(*, user, code: str) -> Region:
    return get_or_404(visible_regions(user=user).select_related("parent"), code=code)


def region_root(*, user) -> Region | None:
    """The top node a user sees: their scope region, or their department's region."""
    key = scope_key_of(user)
    if key is None:
        return None
    return Region.objects.filter(key=key).first()


def region_ancestors(*, user, region: Region) -> list[tuple[Region, bool]]:
    """Ancestors from the top, each with whether the user may open it (for breadcrumbs)."""
    keys = [region.key[:n] for n in (2, 4, 6, 9, 12, 15) if n < len(region.key)]
    # Unscoped on purpose: the names of the nodes above one's scope are shown (unlinked) so a
    # person knows where they are; nothing else about those nodes is.
    nodes = {r.key: r for r in Region.objects.filter(key__in=keys).only("key", "code", "name", "level")}
    scope = scope_key_of(user) or "\0"
    return [(nodes[k], k.startswith(scope)) for k in keys if k in nodes]


def region_children(*, user, region: Region) -> QuerySet:
    return visible_regions(user=user).filter(parent=region).annotate(child_count=Count("children")).order_by("key")


def grids_under(*, user, region: Region) -> QuerySet:
    grids = visible_regions(user=user).filter(level=Level.GRID)
    if region.level == Level.MICROGRID:
        return grids.filter(key=region.key[:15])
    return grids.filter(key__startswith=region.key)


def grid_feature_collection(*, user, region: Region) -> dict:
    """The grids under a region as GeoJSON, for its map."""
    features = []
    for code, name, geometry, area in grids_under(user=user, region=region).values_list(
        "code", "name", "geometry", "area_m2"
    ):
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {"code": code, "name": name, "area_m2": area, "current": code == region.code},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def compound_list(*, user, grid: Region | None = None, region: Region | None = None) -> QuerySet:
    compounds = restrict(Compound.objects.all(), user).select_related("grid")
    if grid is not None:
        compounds = compounds.filter(grid=grid)
    elif region is not None:
        compounds = compounds.filter(region_key__startswith=region.key)
    return compounds.annotate(building_count=Count("buildings", distinct=True))


def compound_get(*, user, pk: int) -> Compound:
    return get_or_404(restrict(Compound.objects.select_related("grid"), user), pk=pk)


def building_list(*, user, compound: Compound) -> QuerySet:
    return (
        restrict(Building.objects.all(), user)
        .filter(compound=compound)
        .annotate(household_count=Count("households", distinct=True))
    )


def buildings_of_microgrid(*, user, microgrid: Region) -> QuerySet:
    return (
        restrict(Building.objects.select_related("compound"), user)
        .filter(microgrid=microgrid)
        .annotate(household_count=Count("households", distinct=True))
    )


def building_get(*, user, pk: int) -> Building:
    return get_or_404(restrict(Building.objects.select_related("compound", "compound__grid", "microgrid"), user), pk=pk)


def household_list(*, user, building: Building) -> QuerySet:
    return restrict(Household.objects.all(), user).filter(building=building).annotate(resident_count=Count("residents"))


def locate(*, lng: float, lat: float, crs: str = "wgs84"):
    """The grid a point lies in (or None), converting the point to WGS-84 first."""
    if not (-180 <= lng <= 180) or not (-90 <= lat <= 90):
        raise DomainError(_("经纬度超出范围：经度应在 -180 至 180，纬度在 -90 至 90"), field="lng")
    try:
        wgs_lng, wgs_lat = to_wgs84(lng, lat, crs)
    except ValueError:
        raise DomainError(_("未知坐标系 %(crs)s，可用 wgs84、cgcs2000、gcj02") % {"crs": crs}, field="crs") from None
    return get_index().locate(wgs_lng, wgs_lat), (wgs_lng, wgs_lat)
