from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from wangge.accounts.selectors import staff_of_region
from wangge.core.pagination import BoundedPagination
from wangge.core.scope import in_scope

from . import selectors
from .schemas import BuildingOut, CompoundOut, LocateOut, RegionDetailOut, RegionOut

router = Router(tags=["regions"])


@router.get("/regions", response=list[RegionOut], summary="区域列表（可按上级和层级筛选）")
@paginate(BoundedPagination, page_size=100)
def list_regions(request: HttpRequest, parent: str | None = None, level: int | None = None):
    regions = selectors.visible_regions(user=request.user).select_related("parent").defer("geometry")
    if parent:
        regions = regions.filter(parent=selectors.region_get(user=request.user, code=parent))
    if level:
        regions = regions.filter(level=level)
    return regions


@router.get("/regions/{code}", response=RegionDetailOut, summary="区域详情：下级与工作人员")
def get_region(request: HttpRequest, code: str):
    region = selectors.region_get(user=request.user, code=code)
    region.children_list = list(selectors.region_children(user=request.user, region=region).defer("geometry"))
    region.staff_list = list(staff_of_region(user=request.user, region=region))
    return region


@router.get("/regions/{code}/grids", summary="区域内网格边界（GeoJSON）")
def region_grids(request: HttpRequest, code: str):
    region = selectors.region_get(user=request.user, code=code)
    return selectors.grid_feature_collection(user=request.user, region=region)


@router.get("/locate", response=LocateOut, summary="查询坐标所在网格")
def locate(request: HttpRequest, lng: float, lat: float, crs: str = "wgs84"):
    """`crs` is wgs84 (default), cgcs2000 or gcj02; GCJ-02 points are converted to WGS-84 first.
    A grid outside the caller's scope is reported as not found."""
    hit, wgs = selectors.locate(lng=lng, lat=lat, crs=crs)
    if hit is None or not in_scope(request.user, hit.code):
        return {"found": False, "crs": crs, "wgs84": wgs}
    return {
        "found": True,
        "grid_code": hit.code,
        "grid_name": hit.name,
        "community_code": hit.code[:12],
        "crs": crs,
        "wgs84": wgs,
    }


@router.get("/compounds", response=list[CompoundOut], summary="小区列表")
@paginate(BoundedPagination, page_size=100)
def list_compounds(request: HttpRequest, region: str | None = None):
    scope_region = selectors.region_get(user=request.user, code=region) if region else None
    return selectors.compound_list(user=request.user, region=scope_region)


@router.get("/compounds/{compound_id}", response=CompoundOut, summary="小区详情")
def get_compound(request: HttpRequest, compound_id: int):
    return selectors.compound_get(user=request.user, pk=compound_id)


@router.get("/compounds/{compound_id}/buildings", response=list[BuildingOut], summary="小区楼栋")
def list_buildings(request: HttpRequest, compound_id: int):
    compound = selectors.compound_get(user=request.user, pk=compound_id)
    return selectors.building_list(user=request.user, compound=compound)


@router.get("/buildings/{building_id}", response=BuildingOut, summary="楼栋详情")
def get_building(request: HttpRequest, building_id: int):
    return selectors.building_get(user=request.user, pk=building_id)
