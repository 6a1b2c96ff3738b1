from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStamped


class Level(models.IntegerChoices):
    PROVINCE = 1, _("省")
    CITY = 2, _("市")
    DISTRICT = 3, _("区县")
    STREET = 4, _("街道乡镇")
    COMMUNITY = 5, _("社区村")
    GRID = 6, _("网格")
    MICROGRID = 7, _("微网格")


# Length of the significant code prefix (the "key") at each level. Official codes cover
# levels 1–5 (12 digits, zero-padded); a grid appends 3 digits to its community's code and a
# micro-grid 2 more to its grid's.
KEY_LENGTH = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12, 6: 15, 7: 17}
AREA_LEVELS_WITH_GRID_MAPS = (Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID)


class Region(TimeStamped):
    """A node of the region tree, from province down to micro-grid.

    `key` is the code's significant prefix; everything below a node has a key starting with it,
    so "the subtree of X" is one indexed prefix match (`key__startswith`). Scoped rows elsewhere
    carry a copy of their region's key for the same reason.
    """

    code = models.CharField(_("代码"), max_length=17, unique=True)
    key = models.CharField(max_length=17, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices, db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # GeoJSON geometry (Polygon or MultiPolygon) in WGS-84 lon/lat; required for grids.
    geometry = models.JSONField(_("边界"), null=True, blank=True)
    # Bounding box [min_lng, min_lat, max_lng, max_lat], kept with the geometry for map framing.
    bbox = models.JSONField(null=True, blank=True)
    area_m2 = models.FloatField(_("面积（平方米）"), null=True, blank=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("区域")
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=7), name="region_level_range"),
            models.CheckConstraint(
                condition=Q(parent__isnull=False) | Q(level__lte=2), name="region_parent_required_below_city"
            ),
            models.CheckConstraint(
                condition=~Q(level=Level.GRID) | Q(geometry__isnull=False), name="region_grid_has_geometry"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def has_grid_map(self) -> bool:
        return self.level in AREA_LEVELS_WITH_GRID_MAPS


class Department(TimeStamped):
    """A functional department (职能部门) that answers the street's whistle, e.g. 区城管局.

    It belongs to the region whose government it serves; its staff see that region's map."""

    code = models.CharField(_("部门代码"), max_length=32, unique=True)
    name = models.CharField(_("部门名称"), max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departments")
    region_key = models.CharField(max_length=17, db_index=True)

    class Meta:
        ordering = ["region_key", "code"]
        verbose_name = _("职能部门")

    def __str__(self):
        return self.name


class CommitteeKind(models.TextChoices):
    OWNERS = "owners", _("业主委员会")
    SELF_MANAGEMENT = "self", _("自管委")
    NONE = "none", _("未成立")


class Compound(TimeStamped):
    """A residential compound (小区) inside a grid, with the "three-party linkage" it runs on:
    its party organisation, its owners' committee and its property company."""

    name = models.CharField(_("小区名称"), max_length=100)
    grid = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="compounds")
    region_key = models.CharField(max_length=17, db_index=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    property_company = models.CharField(_("物业企业"), max_length=120, blank=True)
    committee_kind = models.CharField(
        _("业委会/自管委"), max_length=10, choices=CommitteeKind.choices, default=CommitteeKind.NONE
    )
    committee_name = models.CharField(_("委员会名称"), max_length=120, blank=True)
    has_party_organisation = models.BooleanField(_("已建党组织"), default=False)
    lng = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["region_key", "name"]
        verbose_name = _("小区")
        constraints = [models.UniqueConstraint(fields=["grid", "name"], name="compound_unique_name_in_grid")]

    def __str__(self):
        return self.name


class Building(TimeStamped):
    """A building in a compound. When it belongs to a micro-grid (led by a 楼栋长/邻里长), its
    region_key is the micro-grid's, so the micro-grid's staff see it and its households."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="buildings")
    microgrid = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("微网格")
    )
    region_key = models.CharField(max_length=17, db_index=True)
    name = models.CharField(_("楼栋"), max_length=50)
    floors = models.PositiveSmallIntegerField(_("层数"), default=1)
    units = models.PositiveSmallIntegerField(_("单元数"), default=1)

    class Meta:
        ordering = ["compound_id", "id"]
        verbose_name = _("楼栋")
        constraints = [
            models.UniqueConstraint(fields=["compound", "name"], name="building_unique_name_in_compound"),
            models.CheckConstraint(condition=Q(floors__gte=1), name="building_floors_positive"),
            models.CheckConstraint(condition=Q(units__gte=1), name="building_units_positive"),
        ]

    def __str__(self):
        return f"{self.compound.name}{self.name}" if "compound" in self._state.fields_cache else self.name


class HouseUse(models.TextChoices):
    UNKNOWN = "", _("未登记")
    SELF = "self", _("自住")
    RENTED = "rented", _("出租")
    VACANT = "vacant", _("空置")
    BUSINESS = "business", _("经营")


class Household(TimeStamped):
    """A dwelling (户) in a building: unit (单元) and room number, with the house ledger's
    attributes (房屋台账): use, floor area, and the owner or landlord of a rented house.

    The owner's phone is personal data like a resident's: encrypted, with a masked copy."""

    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="households")
    region_key = models.CharField(max_length=17, db_index=True)
    unit = models.PositiveSmallIntegerField(_("单元"), default=1)
    room = models.CharField(_("房号"), max_length=10)
    use = models.CharField(_("房屋用途"), max_length=10, choices=HouseUse.choices, blank=True, default="")
    area_m2 = models.DecimalField(_("建筑面积（平方米）"), max_digits=7, decimal_places=1, null=True, blank=True)
    owner_name = models.CharField(_("产权人/房东"), max_length=50, blank=True)
    owner_phone_cipher = models.TextField(blank=True)
    owner_phone_masked = models.CharField(_("产权人/房东电话"), max_length=11, blank=True)
    checked_on = models.DateField(_("最近核实日期"), null=True, blank=True)

    class Meta:
        ordering = ["building_id", "unit", "room"]
        verbose_name = _("户")
        constraints = [
            models.UniqueConstraint(fields=["building", "unit", "room"], name="household_unique_room"),
            models.CheckConstraint(
                condition=Q(area_m2__isnull=True) | Q(area_m2__gt=0, area_m2__lt=100000),
                name="household_area_positive",
            ),
        ]
        # Keyset pages of the house ledger walk (region_key, id); SQLite's index already ends
        # in the rowid, PostgreSQL needs it spelled out.
        indexes = [models.Index(fields=["region_key", "id"], name="household_key_id_idx")]

    def __str__(self):
        return f"{self.unit}单元{self.room}"


class GridIndexVersion(models.Model):
    """A token replaced whenever grid geometry changes, so every process knows when to rebuild
    its in-memory point-in-grid index (caches are rebuilt from the database, never trusted).
    A random token rather than a counter: a restored or rebuilt database cannot repeat one."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    token = models.CharField(max_length=32, default="")
