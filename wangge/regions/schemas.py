from ninja import Schema

from .models import Level


class RegionRef(Schema):
    code: str
    name: str
    level: int


class RegionOut(Schema):
    code: str
    name: str
    level: int
    level_label: str
    parent_code: str | None
    area_m2: float | None
    bbox: list[float] | None

    @staticmethod
    def resolve_level_label(obj) -> str:
        return str(Level(obj.level).label)

    @staticmethod
    def resolve_parent_code(obj) -> str | None:
        return obj.parent.code if obj.parent_id else None


class RegionDetailOut(RegionOut):
    """The view builds `children_list` and `staff_list` on the region before returning it."""

    children: list[RegionRef]
    staff: list["StaffOut"]

    @staticmethod
    def resolve_children(obj) -> list:
        return obj.children_list

    @staticmethod
    def resolve_staff(obj) -> list:
        return obj.staff_list


class StaffOut(Schema):
    username: str
    display_name: str
    role: str
    role_label: str

    @staticmethod
    def resolve_role_label(obj) -> str:
        return str(obj.get_role_display())


class LocateOut(Schema):
    found: bool
    grid_code: str | None = None
    grid_name: str | None = None
    community_code: str | None = None
    crs: str
    wgs84: tuple[float, float]


class CompoundOut(Schema):
    id: int
    name: str
    grid_code: str
    address: str
    property_company: str
    committee_kind: str
    committee_name: str
    has_party_organisation: bool
    building_count: int | None = None

    @staticmethod
    def resolve_grid_code(obj) -> str:
        return obj.grid.code


class BuildingOut(Schema):
    id: int
    name: str
    compound_id: int
    floors: int
    units: int
    household_count: int | None = None


RegionDetailOut.model_rebuild()
