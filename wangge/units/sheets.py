"""The units-in-area ledger (驻区单位) and the shared-resource list (区域资源清单) in Excel.

Both import row by row through the ledger's own services (`wangge.sheets.rowwise`), so a row is
refused for exactly the reasons the unit and resource forms give, each written row has the same
audit record as a change made on the page, and the scope rules are the services' own.

A unit is identified by its unified social credit code: a code already registered inside the
uploader's scope updates that unit; one registered in another area is refused without saying
what the other area holds. A resource is identified by its owner and its name: the same owner
and name update the stored resource. Blank optional cells never erase stored values.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.accounts.roles import MANAGE_UNITS, VIEW_UNITS
from wangge.core import audit, pii
from wangge.core.scope import in_scope, restrict
from wangge.sheets.rowwise import NEW, checker, outcome_of, prepare_nothing, write_nothing, written, yes_no
from wangge.sheets.spec import (
    Column,
    Context,
    LedgerSpec,
    Row,
    choice,
    credit_code,
    digits,
    integer,
    register,
    text,
)

from . import services
from .hours import format_week_text
from .models import Resource, Unit

UNIT_KINDS = {
    "党政机关": "agency",
    "事业单位": "institution",
    "企业": "enterprise",
    "学校": "school",
    "医院": "hospital",
    "社会组织": "social_organisation",
    "两新组织": "two_new",
    "其他": "other",
}
UNIT_KIND_LABELS = {value: label for label, value in UNIT_KINDS.items()}
YES_NO = yes_no()

H_NAME, H_CODE, H_KIND, H_GRID, H_COMPOUND = "单位名称", "统一社会信用代码", "单位类型", "网格编码", "所在小区"
H_ADDRESS, H_CONTACT, H_PHONE, H_PARTY, H_PARTY_NAME = "地址", "联系人", "联系电话", "已建党组织", "党组织名称"

UNIT_COLUMNS = (
    Column(H_NAME, "name", text(120), required=True, width=24, example="泸州市第一小学", hint=gettext_lazy("单位全称")),
    Column(
        H_CODE,
        "credit_code",
        credit_code(),
        required=True,
        width=22,
        as_text=True,
        example="91510502MA6CB1234E",
        aliases=("信用代码",),
        hint=gettext_lazy(
            "18位统一社会信用代码（不含字母I、O、S、V、Z），系统核对校验位。已在您辖区登记的代码再次导入即更新该单位"
        ),
    ),
    Column(
        H_KIND,
        "kind",
        choice(UNIT_KINDS),
        required=True,
        width=10,
        example="学校",
        choices=tuple(UNIT_KINDS),
        hint=gettext_lazy("从下拉列表中选择"),
    ),
    Column(
        H_GRID,
        "grid_code",
        digits(15),
        required=True,
        width=17,
        as_text=True,
        example="510502001001001",
        hint=gettext_lazy("单位所在网格的15位编码，须在您的管辖范围内"),
    ),
    Column(
        H_COMPOUND,
        "compound_name",
        text(100),
        width=14,
        example="锦绣花园",
        hint=gettext_lazy("单位所在的小区（该网格内的小区名称），可不填"),
    ),
    Column(H_ADDRESS, "address", text(200), width=24, example="江阳区大山坪路1号", hint=gettext_lazy("可不填")),
    Column(H_CONTACT, "contact_name", text(50), width=10, example="王老师", hint=gettext_lazy("可不填")),
    Column(
        H_PHONE,
        "contact_phone",
        text(20),
        width=15,
        as_text=True,
        example="13800001234",
        hint=gettext_lazy("手机号或带区号的固定电话（0830-1234567）。脱敏导出的“138****1234”表示沿用已有号码"),
    ),
    Column(
        H_PARTY,
        "has_party_organisation",
        choice(YES_NO),
        width=10,
        example="是",
        choices=tuple(YES_NO),
        hint=gettext_lazy("是或否，不填视为否（更新时不填则不变）"),
    ),
    Column(
        H_PARTY_NAME,
        "party_organisation_name",
        text(120),
        width=20,
        example="第一小学党支部",
        hint=gettext_lazy("已建党组织时填写"),
    ),
)

# Service field -> column, so a refusal names the column a person fixes.
UNIT_FIELD_COLUMNS = {
    "name": H_NAME,
    "credit_code": H_CODE,
    "kind": H_KIND,
    "grid_code": H_GRID,
    "grid": H_GRID,
    "compound_name": H_COMPOUND,
    "compound": H_COMPOUND,
    "address": H_ADDRESS,
    "contact_name": H_CONTACT,
    "contact_phone": H_PHONE,
    "has_party_organisation": H_PARTY,
    "party_organisation_name": H_PARTY_NAME,
}
UNIT_TEXT_FIELDS = ("name", "kind", "grid_code", "compound_name", "address", "contact_name", "party_organisation_name")


def _unit_snapshot(unit: Unit) -> dict:
    return {**audit.snapshot(unit), "phone": unit.contact_phone_index}


def _apply_unit(ctx: Context, row: Row, lookups):
    v = row.values
    existing = Unit.objects.select_related("grid").filter(credit_code=v["credit_code"]).first()
    if existing is not None and not in_scope(ctx.actor, existing.region_key):
        row.fail(H_CODE, _("统一社会信用代码 %(code)s 已由其他辖区登记，请与上级核对") % {"code": v["credit_code"]})
        return None
    phone = v["contact_phone"]
    if phone is not None and "*" in phone:
        if existing is None or existing.contact_phone_masked != phone:
            row.fail(H_PHONE, _("联系电话已打码，且与系统中该单位的号码不符：请填写完整号码"))
            return None
        phone = None  # the masked form of the stored number: keep it
    if existing is None:
        unit = services.unit_create(
            actor=ctx.actor,
            credit_code=v["credit_code"],
            contact_phone=phone or "",
            has_party_organisation=bool(v["has_party_organisation"]),
            **{name: v[name] or "" for name in UNIT_TEXT_FIELDS},
        )
        return written(row, NEW, unit)
    given = {name: v[name] for name in UNIT_TEXT_FIELDS}
    if v["has_party_organisation"] is False and given["party_organisation_name"] is None:
        given["party_organisation_name"] = ""  # 否 with the name left blank: the organisation is gone
    before = _unit_snapshot(existing)
    unit = services.unit_update(
        actor=ctx.actor,
        unit=existing,
        contact_phone=phone,
        has_party_organisation=v["has_party_organisation"],
        **given,
    )
    return written(row, outcome_of(before, _unit_snapshot(unit)), unit)


def _units(ctx: Context):
    return restrict(Unit.objects.all(), ctx.actor).filter(region_key__startswith=ctx.region_key)


def unit_export_count(ctx: Context) -> int:
    return _units(ctx).count()


def unit_export(ctx: Context):
    """The template's columns; contact phones masked unless revealed."""
    phone_field = "contact_phone_cipher" if ctx.reveal else "contact_phone_masked"
    rows = (
        _units(ctx)
        .order_by("region_key", "name", "id")
        .values_list(
            "name",
            "credit_code",
            "kind",
            "grid__code",
            "compound__name",
            "address",
            "contact_name",
            phone_field,
            "has_party_organisation",
            "party_organisation_name",
        )
    )
    for name, code, kind, grid, compound, address, contact, phone, party, party_name in rows.iterator(chunk_size=2000):
        if ctx.reveal:
            phone = pii.decrypt(phone) if phone else ""
        yield (
            name,
            code,
            UNIT_KIND_LABELS.get(kind, ""),
            grid,
            compound or "",
            address,
            contact,
            phone,
            "是" if party else "否",
            party_name,
        )


UNITS = register(
    LedgerSpec(
        name="units",
        title="驻区单位",
        columns=UNIT_COLUMNS,
        key_field="credit_code",
        model=Unit,
        prepare=prepare_nothing,
        check=checker(_apply_unit, columns=UNIT_FIELD_COLUMNS, fallback=H_CODE),
        write=write_nothing,
        export=unit_export,
        export_count=unit_export_count,
        audit_verb="unit.import",
        view_capability=VIEW_UNITS,
        write_capability=MANAGE_UNITS,
        checks_by_writing=True,
        description=gettext_lazy("驻区单位台账：机关、企事业单位、学校、医院、社会组织等，每个单位一行。"),
        notes=(
            gettext_lazy(
                "按统一社会信用代码识别单位：代码已在您的辖区登记时，该行更新这个单位；不填的选填项保持不变。"
            ),
            gettext_lazy("网格和小区须在您的管辖范围内；其他辖区已登记的代码不能再导入。"),
        ),
    )
)

# ---- shared resources ----------------------------------------------------------------------------

RESOURCE_KINDS = {
    "活动场地": "venue",
    "会议室": "meeting_room",
    "运动场地": "sports",
    "停车位": "parking",
    "宣传墙面": "wall",
    "教室/培训室": "classroom",
    "食堂/餐厅": "canteen",
    "其他": "other",
}
RESOURCE_KIND_LABELS = {value: label for label, value in RESOURCE_KINDS.items()}
PRICE_RULES = {"免费开放": "free", "居民低偿": "resident_low_cost", "共建单位低偿": "unit_low_cost"}
PRICE_RULE_LABELS = {value: label for label, value in PRICE_RULES.items()}

R_NAME, R_KIND, R_UNIT, R_GRID, R_COMPOUND = "资源名称", "资源类型", "所属单位信用代码", "所属小区网格编码", "所属小区"
R_LOCATION, R_CAPACITY, R_HOURS, R_RULE = "位置", "容量", "开放时间", "收费规则"
R_LOW, R_STANDARD, R_ACTIVE, R_DESCRIPTION = "低偿价（元/小时）", "标准价（元/小时）", "开放预约", "说明"

RESOURCE_COLUMNS = (
    Column(R_NAME, "name", text(120), required=True, width=18, example="第一小学操场", hint=gettext_lazy("资源名称")),
    Column(
        R_KIND,
        "kind",
        choice(RESOURCE_KINDS),
        required=True,
        width=12,
        example="运动场地",
        choices=tuple(RESOURCE_KINDS),
        hint=gettext_lazy("从下拉列表中选择"),
    ),
    Column(
        R_UNIT,
        "owner_unit_code",
        credit_code(),
        width=22,
        as_text=True,
        example="91510502MA6CB1234E",
        hint=gettext_lazy("属于驻区单位时填写该单位的统一社会信用代码（单位须已登记在您的辖区）；与所属小区二选一"),
    ),
    Column(
        R_GRID,
        "owner_grid_code",
        digits(15),
        width=17,
        as_text=True,
        example="510502001001001",
        hint=gettext_lazy("属于小区时填写小区所在网格的15位编码，并填写所属小区"),
    ),
    Column(
        R_COMPOUND,
        "owner_compound_name",
        text(100),
        width=14,
        example="锦绣花园",
        hint=gettext_lazy("属于小区时填写小区名称，与系统中一致"),
    ),
    Column(R_LOCATION, "location", text(200), width=18, example="教学楼东侧", hint=gettext_lazy("可不填")),
    Column(
        R_CAPACITY,
        "capacity",
        integer(1, 1_000_000),
        width=8,
        example="200",
        hint=gettext_lazy("可容纳的人数或车位数，正整数，可不填"),
    ),
    Column(
        R_HOURS,
        "opening_hours",
        text(500),
        width=30,
        example="周一至周五 08:00-12:00,14:00-18:00；周六 09:00-17:00",
        hint=gettext_lazy("按星期填写，时间为整点或半点，多段用逗号分隔，不同日子用分号分隔；不填为不开放"),
    ),
    Column(
        R_RULE,
        "price_rule",
        choice(PRICE_RULES),
        required=True,
        width=12,
        example="居民低偿",
        choices=tuple(PRICE_RULES),
        hint=gettext_lazy("免费开放、居民低偿或共建单位低偿；低偿须填写两个价格"),
    ),
    Column(R_LOW, "low_price", text(12), width=10, example="10", hint=gettext_lazy("元/小时，最多两位小数")),
    Column(
        R_STANDARD,
        "standard_price",
        text(12),
        width=10,
        example="40",
        hint=gettext_lazy("元/小时，不低于低偿价"),
    ),
    Column(
        R_ACTIVE,
        "is_active",
        choice(YES_NO),
        width=8,
        example="是",
        choices=tuple(YES_NO),
        hint=gettext_lazy("是否接受预约；新登记时不填为是"),
    ),
    Column(R_DESCRIPTION, "description", text(2000), width=24, hint=gettext_lazy("可不填")),
)
RESOURCE_FIELD_COLUMNS = {
    "name": R_NAME,
    "kind": R_KIND,
    "owner_unit_code": R_UNIT,
    "grid_code": R_GRID,
    "owner_grid_code": R_GRID,
    "owner_compound_name": R_COMPOUND,
    "location": R_LOCATION,
    "capacity": R_CAPACITY,
    "opening_hours": R_HOURS,
    "price_rule": R_RULE,
    "low_price": R_LOW,
    "standard_price": R_STANDARD,
    "description": R_DESCRIPTION,
    "is_active": R_ACTIVE,
}
RESOURCE_FIELDS = (
    "name",
    "kind",
    "location",
    "capacity",
    "opening_hours",
    "price_rule",
    "low_price",
    "standard_price",
    "description",
    "is_active",
)


def _same_resource(ctx: Context, v: dict) -> list[Resource]:
    """Stored resources of the row's owner with the row's name, inside the scope."""
    resources = restrict(Resource.objects.all(), ctx.actor).filter(name=v["name"])
    if v["owner_unit_code"]:
        resources = resources.filter(owner_unit__credit_code=v["owner_unit_code"])
    elif v["owner_grid_code"] and v["owner_compound_name"]:
        resources = resources.filter(
            owner_compound__grid__code=v["owner_grid_code"], owner_compound__name=v["owner_compound_name"]
        )
    else:
        return []
    return list(resources[:2])


def _apply_resource(ctx: Context, row: Row, lookups):
    v = row.values
    if v["price_rule"] == "free" and (v["low_price"] or v["standard_price"]):
        row.fail(R_RULE, _("免费开放的资源不填价格"))
        return None
    same = _same_resource(ctx, v)
    if len(same) > 1:
        row.fail(R_NAME, _("该所属方有多项名为“%(n)s”的资源，无法确定更新哪一项：请在页面上修改") % {"n": v["name"]})
        return None
    owner = {key: v[key] or "" for key in ("owner_unit_code", "owner_grid_code", "owner_compound_name")}
    given = {name: v[name] for name in RESOURCE_FIELDS if v[name] is not None}
    if not same:
        given.setdefault("is_active", True)
        resource = services.resource_create(actor=ctx.actor, **owner, **given)
        return written(row, NEW, resource)
    before = audit.snapshot(same[0])
    resource = services.resource_update(actor=ctx.actor, resource=same[0], **given)
    return written(row, outcome_of(before, audit.snapshot(resource)), resource)


def _resources(ctx: Context):
    return restrict(Resource.objects.all(), ctx.actor).filter(region_key__startswith=ctx.region_key)


def resource_export_count(ctx: Context) -> int:
    return _resources(ctx).count()


def resource_export(ctx: Context):
    rows = (
        _resources(ctx)
        .order_by("region_key", "name", "id")
        .values_list(
            "name",
            "kind",
            "owner_unit__credit_code",
            "owner_compound__grid__code",
            "owner_compound__name",
            "location",
            "capacity",
            "opening_hours",
            "price_rule",
            "low_price",
            "standard_price",
            "is_active",
            "description",
        )
    )
    for name, kind, unit, grid, compound, location, capacity, hours, rule, low, standard, active, about in rows:
        yield (
            name,
            RESOURCE_KIND_LABELS.get(kind, ""),
            unit or "",
            grid or "",
            compound or "",
            location,
            capacity,
            format_week_text(hours or {}),
            PRICE_RULE_LABELS.get(rule, ""),
            "" if low is None else str(low),
            "" if standard is None else str(standard),
            "是" if active else "否",
            about,
        )


RESOURCES = register(
    LedgerSpec(
        name="resources",
        title="共享资源",
        columns=RESOURCE_COLUMNS,
        key_field=("name", "owner_unit_code", "owner_grid_code", "owner_compound_name"),
        model=Resource,
        prepare=prepare_nothing,
        check=checker(_apply_resource, columns=RESOURCE_FIELD_COLUMNS, fallback=R_RULE),
        write=write_nothing,
        export=resource_export,
        export_count=resource_export_count,
        audit_verb="resource.import",
        view_capability=VIEW_UNITS,
        write_capability=MANAGE_UNITS,
        checks_by_writing=True,
        description=gettext_lazy("区域资源清单：单位和小区可共享的场地、车位、墙面等，每项资源一行。"),
        notes=(
            gettext_lazy("每项资源属于一个驻区单位（填信用代码）或一个小区（填网格编码和小区名称），二者只能选其一。"),
            gettext_lazy("同一所属方下同名的资源视为同一项：再次导入即更新；不填的选填项保持不变。"),
            gettext_lazy(
                "收费规则：免费开放不填价格；居民低偿、共建单位低偿须填写低偿价和标准价，标准价不低于低偿价。"
            ),
        ),
    )
)

__all__ = ["UNITS", "UNIT_COLUMNS", "RESOURCES", "RESOURCE_COLUMNS"]
