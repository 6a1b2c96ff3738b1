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
from wangge.sheets.rowwise import checker, outcome_of, write_nothing, written, yes_no
from wangge.sheets.spec import Column, Context, LedgerSpec, Row, choice, credit_code, digits, register, text

from . import services
from .models import Unit

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
        return written(row, outcome_of(None, {}), unit)
    before = _unit_snapshot(existing)
    unit = services.unit_update(
        actor=ctx.actor,
        unit=existing,
        contact_phone=phone,
        has_party_organisation=v["has_party_organisation"],
        **{name: v[name] for name in UNIT_TEXT_FIELDS},
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
        prepare=lambda ctx, rows: None,
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

__all__ = ["UNITS", "UNIT_COLUMNS"]
