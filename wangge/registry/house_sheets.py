"""The house ledger (房屋台账) in Excel: one row per household, named by its address — grid code,
compound, building, unit, room — under a compound inside the uploader's scope.

Rows go through the ledger's services one by one (`wangge.sheets.rowwise`): a building the
compound does not have yet is registered (`building_create`, with as many units as the file
uses for it), a room the building does not have yet is registered with its details
(`household_create`), and a known room gets its details updated (`household_update`). Compounds
are not created here: they belong to the region tree. Blank optional cells keep stored values; a
masked landlord phone from an export means "keep the stored number".
"""

from collections import defaultdict

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.accounts.roles import KEEP_LEDGERS, VIEW_PEOPLE
from wangge.core import audit, pii
from wangge.core.scope import restrict
from wangge.regions.models import Building, Compound, Household, Level, Region
from wangge.sheets.rowwise import NEW, checker, outcome_of, write_nothing, written
from wangge.sheets.spec import (
    Column,
    Context,
    LedgerSpec,
    Row,
    choice,
    date,
    digits,
    integer,
    mobile,
    register,
    text,
)

from .common import KEEP
from .services import building_create, household_create, household_update
from .services.residents import HOUSE_FIELDS

USES = {"自住": "self", "出租": "rented", "空置": "vacant", "经营": "business"}
USE_LABELS = {value: label for label, value in USES.items()}

H_GRID, H_COMPOUND, H_BUILDING, H_UNIT, H_ROOM = "网格编码", "小区", "楼栋", "单元", "房号"
H_USE, H_AREA, H_OWNER, H_PHONE, H_CHECKED = (
    "房屋用途",
    "建筑面积（平方米）",
    "产权人/房东",
    "产权人/房东电话",
    "最近核实日期",
)

COLUMNS = (
    Column(
        H_GRID,
        "grid_code",
        digits(15),
        required=True,
        width=17,
        as_text=True,
        example="510502001001001",
        hint=gettext_lazy("小区所在网格的15位编码，须在您的管辖范围内"),
    ),
    Column(
        H_COMPOUND,
        "compound",
        text(100),
        required=True,
        width=14,
        example="锦绣花园",
        hint=gettext_lazy("小区名称，与系统中一致（小区在区域管理中登记）"),
    ),
    Column(
        H_BUILDING,
        "building",
        text(50),
        required=True,
        width=8,
        example="1栋",
        hint=gettext_lazy("楼栋名称，如“1栋”；小区中还没有的楼栋会随导入登记"),
    ),
    Column(H_UNIT, "unit", integer(1, 99), required=True, width=6, example="1", hint=gettext_lazy("单元号，1到99")),
    Column(
        H_ROOM,
        "room",
        text(10),
        required=True,
        width=8,
        as_text=True,
        example="101",
        hint=gettext_lazy("房号，如“101”；同一楼栋同一单元的房号只登记一次"),
    ),
    Column(
        H_USE,
        "use",
        choice(USES),
        width=8,
        example="自住",
        choices=tuple(USES),
        hint=gettext_lazy("自住、出租、空置或经营，可不填"),
    ),
    Column(H_AREA, "area_m2", text(12), width=10, example="89.5", hint=gettext_lazy("平方米，大于0，保留一位小数")),
    Column(
        H_OWNER, "owner_name", text(50), width=10, example="李四", hint=gettext_lazy("产权人或出租房的房东，可不填")
    ),
    Column(
        H_PHONE,
        "owner_phone",
        mobile(allow_masked=True),
        width=13,
        as_text=True,
        example="13912345678",
        hint=gettext_lazy("11位手机号。脱敏导出的“139****5678”表示沿用系统中已有的号码"),
    ),
    Column(
        H_CHECKED,
        "checked_on",
        date(),
        width=12,
        is_date=True,
        example="2025-03-01",
        hint=gettext_lazy("最近一次入户核实的日期，不能晚于今天"),
    ),
)
FIELD_COLUMNS = {
    "compound": H_COMPOUND,
    "name": H_BUILDING,
    "building": H_BUILDING,
    "unit": H_UNIT,
    "room": H_ROOM,
    "use": H_USE,
    "area_m2": H_AREA,
    "owner_name": H_OWNER,
    "owner_phone": H_PHONE,
    "checked_on": H_CHECKED,
}
DETAILS = ("use", "area_m2", "owner_name", "checked_on")


class Lookups:
    def __init__(self):
        self.units_used: dict = defaultdict(int)  # (grid, compound, building) -> highest unit in the file


def prepare(ctx: Context, rows: list[Row]) -> Lookups:
    lookups = Lookups()
    for row in rows:
        v = row.values
        key = (v["grid_code"], v["compound"], v["building"])
        lookups.units_used[key] = max(lookups.units_used[key], v["unit"])
    return lookups


def _compound(ctx: Context, row: Row) -> Compound | None:
    v = row.values
    grid = restrict(Region.objects.filter(level=Level.GRID), ctx.actor, "key").filter(code=v["grid_code"]).first()
    if grid is None:
        row.fail(H_GRID, _("网格编码%(g)s不存在，或不在您的管辖范围内") % {"g": v["grid_code"]})
        return None
    compounds = restrict(Compound.objects.filter(grid=grid), ctx.actor)
    compound = compounds.filter(name=v["compound"]).first()
    if compound is None:
        known = "、".join(compounds.order_by("name").values_list("name", flat=True)[:8]) or _("无")
        row.fail(
            H_COMPOUND,
            _("网格%(g)s中没有小区“%(c)s”（已有：%(k)s）") % {"g": v["grid_code"], "c": v["compound"], "k": known},
        )
    return compound


def _apply(ctx: Context, row: Row, lookups: Lookups):
    v = row.values
    compound = _compound(ctx, row)
    if compound is None:
        return None
    building = Building.objects.filter(compound=compound, name=v["building"]).first()
    if building is None:
        building = building_create(
            actor=ctx.actor,
            compound=compound,
            name=v["building"],
            units=lookups.units_used[(v["grid_code"], v["compound"], v["building"])],
        )
    household = Household.objects.filter(building=building, unit=v["unit"], room=v["room"]).first()
    phone = v["owner_phone"]
    if phone is not None and "*" in phone:
        if household is None or household.owner_phone_masked != phone:
            row.fail(H_PHONE, _("手机号已打码，且与系统中这一户的号码不符：请填写完整的手机号"))
            return None
        phone = None
    label = f"{compound.name}{building.name}{v['unit']}单元{v['room']}"
    if household is None:
        household = household_create(
            actor=ctx.actor,
            building=building,
            unit=v["unit"],
            room=v["room"],
            use=v["use"] or "",
            area_m2=v["area_m2"],
            owner_name=v["owner_name"] or "",
            owner_phone=phone or "",
            checked_on=v["checked_on"],
        )
        return written(row, NEW, household, label)
    changes = {name: v[name] for name in DETAILS if v[name] is not None}
    if phone is not None:
        changes["owner_phone"] = phone
    before = audit.snapshot(household, HOUSE_FIELDS)
    household = household_update(actor=ctx.actor, household=household, **{**dict.fromkeys(DETAILS, KEEP), **changes})
    return written(row, outcome_of(before, audit.snapshot(household, HOUSE_FIELDS)), household, label)


def _houses(ctx: Context):
    return restrict(Household.objects.all(), ctx.actor).filter(region_key__startswith=ctx.region_key)


def export_count(ctx: Context) -> int:
    return _houses(ctx).count()


def export(ctx: Context):
    """The template's columns; landlords' phones masked unless revealed."""
    phone_field = "owner_phone_cipher" if ctx.reveal else "owner_phone_masked"
    rows = (
        _houses(ctx)
        .order_by("region_key", "building_id", "unit", "room", "id")
        .values_list(
            "building__compound__grid__code",
            "building__compound__name",
            "building__name",
            "unit",
            "room",
            "use",
            "area_m2",
            "owner_name",
            phone_field,
            "checked_on",
        )
    )
    for *address, use, area, owner, phone, checked in rows.iterator(chunk_size=2000):
        if ctx.reveal:
            phone = pii.decrypt(phone) if phone else ""
        yield (*address, USE_LABELS.get(use, ""), "" if area is None else str(area), owner, phone, checked)


HOUSES = register(
    LedgerSpec(
        name="houses",
        title="房屋",
        columns=COLUMNS,
        key_field=("grid_code", "compound", "building", "unit", "room"),
        model=Household,
        prepare=prepare,
        check=checker(_apply, columns=FIELD_COLUMNS, fallback=H_ROOM),
        write=write_nothing,
        export=export,
        export_count=export_count,
        audit_verb="household.import",
        view_capability=VIEW_PEOPLE,
        write_capability=KEEP_LEDGERS,
        checks_by_writing=True,
        description=gettext_lazy("房屋台账：每户一行，按“网格编码 + 小区 + 楼栋 + 单元 + 房号”识别。"),
        notes=(
            gettext_lazy("小区须已在系统中、且在您的管辖范围内；小区中还没有的楼栋和房号会随导入登记。"),
            gettext_lazy("已登记的户再次导入即更新房屋用途、面积、产权人和核实日期；不填的项保持不变。"),
        ),
    )
)

__all__ = ["HOUSES", "COLUMNS"]
