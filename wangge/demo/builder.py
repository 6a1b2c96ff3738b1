"""The demo city: a deterministic 泸州 built from a seed.

Districts and streets carry their real names and codes; communities of the small city are real
too, the rest are synthetic. Each street is a lattice of cells whose interior corners are
jittered, so grids look irregular yet tile their communities exactly (neighbours share corners).
People are synthetic: generated names, ID numbers of valid format whose order code starts with
9 and phone numbers starting 170 — see docs/demo.md.
"""

import datetime
import random
from dataclasses import dataclass

import shapely
from django.db import transaction

from wangge.accounts import services as account_services
from wangge.accounts.roles import Role
from wangge.cases.demo import build as build_demo_cases
from wangge.core import audit, pii
from wangge.core.validators import id_check_char
from wangge.deliberation.demo import build as build_deliberation_demo
from wangge.open311.demo import build_demo_open311_key
from wangge.party.demo import build as build_party_demo
from wangge.points.demo import build as build_points_demo
from wangge.regions.geometry import bbox, geometry_fields
from wangge.regions.grids import bump_grid_version
from wangge.regions.models import Building, CommitteeKind, Compound, Department, Household, Level, Region
from wangge.registry.demo import build_registry_demo
from wangge.registry.models import ResidenceKind, Resident
from wangge.units.demo import build_demo_units

from . import names

DEMO_PASSWORD = "wangge-demo-2026"
CELL_LNG, CELL_LAT = 0.004, 0.0035  # about 390 m × 390 m at 泸州's latitude
ORIGIN_LNG, ORIGIN_LAT = 105.30, 28.98


@dataclass(frozen=True)
class Scale:
    streets: list[str] | None  # street keys to build; None = every street in names.DISTRICTS
    communities_per_street: int
    community_cols: int  # communities across a street (the rest go in rows)
    grid_cols: int
    grid_rows: int
    compounds_per_grid: tuple[int, int]
    buildings_per_compound: tuple[int, int]
    floors: tuple[int, int]
    units: tuple[int, int]
    rooms_per_floor: int
    residents_per_household: tuple[int, int]
    microgrids_per_grid: int


SCALES = {
    "small": Scale(["510502001", "510502002", "510504001"], 3, 3, 2, 2, (1, 2), (2, 4), (4, 7), (1, 2), 2, (1, 4), 2),
    "city": Scale(None, 14, 2, 5, 2, (1, 3), (2, 4), (5, 8), (1, 2), 2, (1, 4), 3),
}


def demo_accounts() -> list[dict]:
    """One account of every role, scoped where that role works in the demo."""
    grid = "510502001001001"
    return [
        {"username": "admin", "role": Role.ADMINISTRATOR, "display_name": "管理员", "region_code": "510500000000"},
        {"username": "leader", "role": Role.LEADER, "display_name": "市领导", "region_code": "510500000000"},
        {
            "username": "hotline",
            "role": Role.HOTLINE_OPERATOR,
            "display_name": "12345受理员",
            "region_code": "510500000000",
        },
        {
            "username": "dispatcher",
            "role": Role.STREET_DISPATCHER,
            "display_name": "南城街道派单员",
            "region_code": "510502001000",
        },
        {
            "username": "dispatcher2",
            "role": Role.STREET_DISPATCHER,
            "display_name": "北城街道派单员",
            "region_code": "510502002000",
        },
        {
            "username": "party",
            "role": Role.PARTY_SECRETARY,
            "display_name": "南城街道党工委书记",
            "region_code": "510502001000",
        },
        {
            "username": "community",
            "role": Role.COMMUNITY_STAFF,
            "display_name": "上平社区工作者",
            "region_code": "510502001001",
        },
        {"username": "gridworker", "role": Role.GRID_WORKER, "display_name": "专职网格员", "region_code": grid},
        {
            "username": "parttime",
            "role": Role.PART_TIME_GRID_WORKER,
            "display_name": "兼职网格员（骑手）",
            "region_code": grid,
        },
        {"username": "buildinghead", "role": Role.BUILDING_HEAD, "display_name": "楼栋长", "region_code": grid + "01"},
        {
            "username": "handler",
            "role": Role.DEPARTMENT_HANDLER,
            "display_name": "江阳区城管局承办人",
            "department_code": "510502-CG",
        },
        {"username": "resident", "role": Role.RESIDENT, "display_name": "居民", "region_code": grid},
    ]


class CityBuilder:
    def __init__(self, *, seed: int, scale: str, progress=None):
        self.rng = random.Random(seed)
        self.seed = seed
        self.scale_name = scale
        self.scale = SCALES[scale]
        self.progress = progress or (lambda message: None)
        self.counts = {
            "districts": 0,
            "streets": 0,
            "communities": 0,
            "grids": 0,
            "microgrids": 0,
            "compounds": 0,
            "buildings": 0,
            "households": 0,
            "residents": 0,
            "departments": 0,
            "users": 0,
        }
        self.used_ids: set[str] = set()

    # ---- regions -------------------------------------------------------------------------
    def _region(self, code: str, key: str, name: str, level: int, parent, geometry=None) -> Region:
        fields = geometry_fields(geometry) if geometry is not None else {}
        return Region(code=code, key=key, name=name, level=level, parent=parent, **fields)

    def _lattice(self, cols: int, rows: int, origin: tuple[float, float]) -> list[list[tuple[float, float]]]:
        lng0, lat0 = origin
        points = []
        for i in range(rows + 1):
            row = []
            for j in range(cols + 1):
                dx = dy = 0.0
                if 0 < i < rows and 0 < j < cols:
                    dx = self.rng.uniform(-0.25, 0.25) * CELL_LNG
                    dy = self.rng.uniform(-0.25, 0.25) * CELL_LAT
                row.append((round(lng0 + j * CELL_LNG + dx, 7), round(lat0 - i * CELL_LAT + dy, 7)))
            points.append(row)
        return points

    def _streets(self):
        wanted = self.scale.streets
        for district_code, district_name, streets in names.DISTRICTS:
            chosen = [(s, n) for s, n in streets if wanted is None or district_code + s in wanted]
            if chosen:
                yield district_code, district_name, chosen

    def _community_names(self, street_key: str) -> list[tuple[str, str]]:
        real = list(names.COMMUNITIES.get(street_key, []))
        used = {n for _, n in real}
        number = max([int(s) for s, _ in real], default=0)
        while len(real) < self.scale.communities_per_street:
            name = self.rng.choice(names.PLACE_WORDS) + self.rng.choice(["", "路", "街", "湾", "坝", "桥"]) + "社区"
            if name in used:
                continue
            used.add(name)
            number += 1
            real.append((f"{number:03d}", name))
        return real[: self.scale.communities_per_street]

    def build_regions(self) -> list[Region]:
        scale = self.scale
        province = self._region(names.PROVINCE[0], "51", names.PROVINCE[1], Level.PROVINCE, None)
        province.save()
        city = self._region(names.CITY[0], "5105", names.CITY[1], Level.CITY, province)
        city.save()
        grids: list[Region] = []
        street_index = 0
        community_rows = -(-scale.communities_per_street // scale.community_cols)
        street_w = scale.community_cols * scale.grid_cols
        street_h = community_rows * scale.grid_rows
        for district_code, district_name, streets in self._streets():
            district = self._region(district_code + "000000", district_code, district_name, Level.DISTRICT, city)
            district_parts = []
            district.save()
            self.counts["districts"] += 1
            for street_suffix, street_name in streets:
                street_key = district_code + street_suffix
                origin = (
                    ORIGIN_LNG + (street_index % 6) * (street_w + 1) * CELL_LNG,
                    ORIGIN_LAT - (street_index // 6) * (street_h + 1) * CELL_LAT,
                )
                street_index += 1
                lattice = self._lattice(street_w, street_h, origin)
                street = self._region(street_key + "000", street_key, street_name, Level.STREET, district)
                street.save()
                self.counts["streets"] += 1
                street_parts = []
                for index, (suffix, community_name) in enumerate(self._community_names(street_key)):
                    community_key = street_key + suffix
                    ci, cj = divmod(index, scale.community_cols)
                    cells = []
                    for gi in range(scale.grid_rows):
                        for gj in range(scale.grid_cols):
                            i, j = ci * scale.grid_rows + gi, cj * scale.grid_cols + gj
                            ring = [
                                lattice[i][j],
                                lattice[i][j + 1],
                                lattice[i + 1][j + 1],
                                lattice[i + 1][j],
                                lattice[i][j],
                            ]
                            cells.append(shapely.Polygon(ring))
                    outline = shapely.union_all(cells)
                    community = self._region(
                        community_key, community_key, community_name, Level.COMMUNITY, street, outline
                    )
                    community.save()
                    self.counts["communities"] += 1
                    street_parts.append(outline)
                    for number, cell in enumerate(cells, start=1):
                        code = f"{community_key}{number:03d}"
                        grids.append(
                            self._region(
                                code,
                                code,
                                f"{community_name.removesuffix('社区')}第{number}网格",
                                Level.GRID,
                                community,
                                cell,
                            )
                        )
                street_outline = shapely.union_all(street_parts)
                # The street's outline is known only once its communities are built.
                Region.objects.filter(pk=street.pk).update(**geometry_fields(street_outline))
                district_parts.append(street_outline)
            Region.objects.filter(pk=district.pk).update(bbox=bbox(shapely.union_all(district_parts)))
        Region.objects.bulk_create(grids, batch_size=500)
        grids = list(Region.objects.filter(level=Level.GRID).order_by("code"))
        self.counts["grids"] = len(grids)
        micro = []
        for grid in grids:
            for n in range(1, self.scale.microgrids_per_grid + 1):
                micro.append(
                    Region(
                        code=f"{grid.code}{n:02d}",
                        key=f"{grid.code}{n:02d}",
                        name=f"{grid.name}{n}号微网格",
                        level=Level.MICROGRID,
                        parent=grid,
                    )
                )
        Region.objects.bulk_create(micro, batch_size=1000)
        self.counts["microgrids"] = len(micro)
        bump_grid_version()
        self.progress(
            f"区域：{self.counts['districts']} 区县，{self.counts['streets']} 街道，"
            f"{self.counts['communities']} 社区，{len(grids)} 网格"
        )
        return grids

    def build_departments(self) -> None:
        departments = []
        for region in Region.objects.filter(level__in=[Level.CITY, Level.DISTRICT]):
            prefix = "泸州市" if region.level == Level.CITY else region.name
            for suffix, name in names.DEPARTMENTS:
                departments.append(
                    Department(code=f"{region.key}-{suffix}", name=prefix + name, region=region, region_key=region.key)
                )
        Department.objects.bulk_create(departments)
        self.counts["departments"] = len(departments)

    # ---- places and people -------------------------------------------------------------
    def _person_name(self) -> str:
        given = "".join(self.rng.choice(names.GIVEN_CHARS) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(names.SURNAMES) + given

    def _id_number(self, district_code: str) -> tuple[str, datetime.date, str]:
        while True:
            birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=self.rng.randrange(0, 30000))
            gender = self.rng.choice("MF")
            last = self.rng.randrange(1, 10, 2) if gender == "M" else self.rng.randrange(0, 10, 2)
            first17 = f"{district_code}{birth:%Y%m%d}9{self.rng.randrange(10)}{last}"
            number = first17 + id_check_char(first17)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number, birth, gender

    def build_places_and_people(self, grids: list[Region]) -> None:
        scale, rng = self.scale, self.rng
        compounds: list[Compound] = []
        for grid in grids:
            point = shapely.geometry.shape(grid.geometry).representative_point()
            used = set()
            for _ in range(rng.randint(*scale.compounds_per_grid)):
                name = rng.choice(names.PLACE_WORDS) + rng.choice(names.COMPOUND_SUFFIXES)
                if name in used:
                    continue
                used.add(name)
                kind = rng.choice(
                    [CommitteeKind.OWNERS, CommitteeKind.OWNERS, CommitteeKind.SELF_MANAGEMENT, CommitteeKind.NONE]
                )
                has_property = rng.random() < 0.8
                compounds.append(
                    Compound(
                        name=name,
                        grid=grid,
                        region_key=grid.key,
                        address=f"{grid.parent.name.removesuffix('社区')}路{rng.randint(1, 300)}号",
                        property_company=(rng.choice(names.PROPERTY_WORDS) + "物业服务有限公司")
                        if has_property
                        else "",
                        committee_kind=kind,
                        committee_name="" if kind == CommitteeKind.NONE else name + kind.label,
                        has_party_organisation=rng.random() < 0.7,
                        lng=round(point.x + rng.uniform(-0.0005, 0.0005), 6),
                        lat=round(point.y + rng.uniform(-0.0005, 0.0005), 6),
                    )
                )
        Compound.objects.bulk_create(compounds, batch_size=1000)
        self.counts["compounds"] = len(compounds)
        microgrids: dict[int, list[Region]] = {}
        for micro in Region.objects.filter(level=Level.MICROGRID).order_by("code"):
            microgrids.setdefault(micro.parent_id, []).append(micro)
        buildings = []
        for compound in compounds:
            cells = microgrids.get(compound.grid_id, [])
            for n in range(1, rng.randint(*scale.buildings_per_compound) + 1):
                micro = cells[(n - 1) % len(cells)] if cells else None
                buildings.append(
                    Building(
                        compound=compound,
                        microgrid=micro,
                        region_key=micro.key if micro else compound.region_key,
                        name=f"{n}栋",
                        floors=rng.randint(*scale.floors),
                        units=rng.randint(*scale.units),
                    )
                )
        Building.objects.bulk_create(buildings, batch_size=2000)
        self.counts["buildings"] = len(buildings)
        self.progress(f"小区 {len(compounds)}，楼栋 {len(buildings)}")
        self._households_and_residents(buildings)

    def _households_and_residents(self, buildings: list[Building]) -> None:
        rng, scale = self.rng, self.scale
        batch_households: list[Household] = []
        today = datetime.date(2026, 1, 1)

        def flush():
            Household.objects.bulk_create(batch_households, batch_size=2000)
            residents = []
            for household in batch_households:
                district = household.region_key[:6]
                for _ in range(rng.randint(*scale.residents_per_household)):
                    number, birth, gender = self._id_number(district)
                    phone = f"170{rng.randrange(10**8):08d}" if rng.random() < 0.85 else ""
                    residents.append(
                        Resident(
                            name=self._person_name(),
                            **pii.protect_id_number(number).as_fields("id"),
                            gender=gender,
                            birth_date=birth,
                            **pii.protect_phone(phone).as_fields("phone"),
                            household=household,
                            region_key=household.region_key,
                            kind=ResidenceKind.REGISTERED if rng.random() < 0.8 else ResidenceKind.FLOATING,
                            moved_in=today - datetime.timedelta(days=rng.randrange(0, 7000)),
                        )
                    )
            Resident.objects.bulk_create(residents, batch_size=5000)
            self.counts["households"] += len(batch_households)
            self.counts["residents"] += len(residents)
            batch_households.clear()

        reported_tenths = 0
        for index, building in enumerate(buildings, start=1):
            for unit in range(1, building.units + 1):
                for floor in range(1, building.floors + 1):
                    for room in range(1, scale.rooms_per_floor + 1):
                        batch_households.append(
                            Household(
                                building=building, region_key=building.region_key, unit=unit, room=f"{floor}{room:02d}"
                            )
                        )
            if len(batch_households) >= 5000:
                flush()
                percent = index * 100 // len(buildings)
                if percent // 10 > reported_tenths:  # one progress line per tenth of the work
                    reported_tenths = percent // 10
                    self.progress(
                        f"{percent}%：住户 {self.counts['households']}，居民 {self.counts['residents']}"
                        f"（楼栋 {index}/{len(buildings)}）"
                    )
        if batch_households:
            flush()
        self.progress(f"住户 {self.counts['households']}，居民 {self.counts['residents']}")

    def build_accounts(self) -> list[dict]:
        accounts = demo_accounts()
        for account in accounts:
            account_services.user_create(actor=None, password=DEMO_PASSWORD, **account)
        self.counts["users"] = len(accounts)
        return accounts

    @transaction.atomic
    def build(self) -> dict:
        grids = self.build_regions()
        self.build_departments()
        self.build_places_and_people(grids)
        self.build_accounts()
        self.counts.update(build_demo_units(seed=self.seed, progress=self.progress))
        build_demo_cases(self)
        build_registry_demo(self)
        build_demo_open311_key(self.seed)
        build_party_demo(self)
        build_points_demo(self)  # after the party: credits its confirmed services
        build_deliberation_demo(self)
        city = Region.objects.get(code=names.CITY[0])
        audit.record(
            actor=None,
            verb="demo_city.build",
            target=city,
            scope_key=city.key,
            after={"seed": self.seed, "scale": self.scale_name, **self.counts},
        )
        return self.counts
