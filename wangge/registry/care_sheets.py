"""The care-group ledger (特殊人群台账) in Excel: one row per resident and care group, with the
care level, the visit frequency and the responsible visitor named by username.

The resident is found by ID number (the blind index) among the people of the uploader's scope;
the name in the row must be the registered one, so a mistyped number cannot put the wrong
person on the list. Rows go through `care_create` / `care_update` one by one
(`wangge.sheets.rowwise`), so the visitor rules (an active grid worker, building head or
community worker whose scope covers the resident's home) and the one-open-record-per-group rule
are the care page's own. An open record of the same resident and group is updated.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.accounts.roles import MANAGE_CARE, VIEW_PEOPLE
from wangge.core import audit, pii
from wangge.core.scope import restrict
from wangge.sheets.rowwise import NEW, checker, outcome_of, write_nothing, written
from wangge.sheets.spec import Column, Context, LedgerSpec, Row, choice, id_number, integer, register, text

from .common import KEEP
from .models import CareRecord, Resident
from .services import care_create, care_update
from .services.care import CARE_FIELDS

GROUPS = {
    "空巢老人": "empty_nest",
    "独居老人": "solitary",
    "困境儿童": "child",
    "基础病患者": "chronic",
    "残疾人": "disability",
    "低收入家庭": "low_income",
}
GROUP_LABELS = {value: label for label, value in GROUPS.items()}
LEVELS = {"重点关注": 1, "一般关注": 2, "日常关注": 3}
LEVEL_LABELS = {value: label for label, value in LEVELS.items()}

H_NAME, H_ID, H_GROUP, H_LEVEL = "姓名", "身份证号", "关爱类别", "关爱等级"
H_EVERY, H_WORKER, H_PLAN = "走访周期（天）", "责任网格员（用户名）", "帮扶计划"

COLUMNS = (
    Column(
        H_NAME, "name", text(50), required=True, width=10, example="王秀英", hint=gettext_lazy("与居民台账中的姓名一致")
    ),
    Column(
        H_ID,
        "id_number",
        id_number(),
        required=True,
        width=21,
        as_text=True,
        example="510502194501019016",
        aliases=("公民身份号码", "身份证号码"),
        hint=gettext_lazy("18位公民身份号码；此人须已在居民台账登记、且住在您的管辖范围内"),
    ),
    Column(
        H_GROUP,
        "group",
        choice(GROUPS),
        required=True,
        width=12,
        example="独居老人",
        choices=tuple(GROUPS),
        hint=gettext_lazy("从下拉列表中选择；同一人可属于多个类别，每个类别一行"),
    ),
    Column(
        H_LEVEL,
        "level",
        choice(LEVELS),
        width=10,
        example="重点关注",
        choices=tuple(LEVELS),
        hint=gettext_lazy("重点关注、一般关注或日常关注；新列入时不填为一般关注"),
    ),
    Column(
        H_EVERY,
        "visit_every_days",
        integer(1, 365),
        width=10,
        example="7",
        hint=gettext_lazy("每隔多少天走访一次，1到365；新列入时不填为30"),
    ),
    Column(
        H_WORKER,
        "responsible",
        text(150),
        required=True,
        width=16,
        example="wanggeyuan01",
        hint=gettext_lazy("责任网格员的登录用户名；须为在岗的网格员、楼栋长或社区工作者，其管辖范围包括此人的住址"),
    ),
    Column(H_PLAN, "plan", text(2000), width=30, hint=gettext_lazy("帮扶计划，可不填")),
)
FIELD_COLUMNS = {
    "resident": H_ID,
    "group": H_GROUP,
    "level": H_LEVEL,
    "visit_every_days": H_EVERY,
    "responsible": H_WORKER,
    "plan": H_PLAN,
}
NOT_FOUND = gettext_lazy("此身份证号的居民未登记，或不住在您的管辖范围内：请先在居民台账登记")


def prepare(ctx: Context, rows: list[Row]) -> None:
    for row in rows:
        row.values["_index"] = pii.blind_index(row.values["id_number"])


def _apply(ctx: Context, row: Row, lookups):
    v = row.values
    resident = restrict(Resident.objects.all(), ctx.actor).filter(id_index=v["_index"]).first()
    if resident is None:
        row.fail(H_ID, NOT_FOUND)
        return None
    if resident.name != v["name"]:
        row.fail(H_NAME, _("与系统中此身份证号的居民姓名“%(n)s”不一致") % {"n": resident.name})
        return None
    worker = get_user_model().objects.filter(username=v["responsible"]).first()
    if worker is None:
        row.fail(H_WORKER, _("责任人不存在或不在您的管辖范围内"))
        return None
    existing = CareRecord.objects.filter(resident=resident, group=v["group"], ended_on__isnull=True).first()
    label = f"{resident.name} {GROUP_LABELS[v['group']]}"
    if existing is None:
        record = care_create(
            actor=ctx.actor,
            resident=resident,
            group=v["group"],
            responsible=worker,
            level=v["level"] or 2,
            visit_every_days=v["visit_every_days"] or 30,
            plan=v["plan"] or "",
        )
        return written(row, NEW, record, label)
    before = audit.snapshot(existing, CARE_FIELDS)
    record = care_update(
        actor=ctx.actor,
        record=existing,
        level=KEEP if v["level"] is None else v["level"],
        visit_every_days=KEEP if v["visit_every_days"] is None else v["visit_every_days"],
        responsible=KEEP if worker.pk == existing.responsible_id else worker,
        plan=KEEP if v["plan"] is None else v["plan"],
    )
    return written(row, outcome_of(before, audit.snapshot(record, CARE_FIELDS)), record, label)


def _records(ctx: Context):
    """Open care records of people living in the region."""
    records = restrict(CareRecord.objects.all(), ctx.actor).filter(region_key__startswith=ctx.region_key)
    return records.filter(ended_on__isnull=True)


def export_count(ctx: Context) -> int:
    return _records(ctx).count()


def export(ctx: Context):
    """The template's columns; ID numbers masked unless revealed. A record waiting for a new
    visitor (待指派) has an empty visitor cell."""
    id_field = "resident__id_cipher" if ctx.reveal else "resident__id_masked"
    rows = (
        _records(ctx)
        .order_by("region_key", "resident_id", "group", "id")
        .values_list("resident__name", id_field, "group", "level", "visit_every_days", "responsible__username", "plan")
    )
    for name, number, group, level, every, worker, plan in rows.iterator(chunk_size=2000):
        if ctx.reveal:
            number = pii.decrypt(number)
        yield (name, number, GROUP_LABELS.get(group, ""), LEVEL_LABELS.get(level, ""), every, worker or "", plan)


CARE = register(
    LedgerSpec(
        name="care",
        title="特殊人群",
        columns=COLUMNS,
        key_field=("id_number", "group"),
        model=CareRecord,
        prepare=prepare,
        check=checker(_apply, columns=FIELD_COLUMNS, fallback=H_ID),
        write=write_nothing,
        export=export,
        export_count=export_count,
        audit_verb="care.import",
        view_capability=VIEW_PEOPLE,
        write_capability=MANAGE_CARE,
        checks_by_writing=True,
        description=gettext_lazy(
            "特殊人群（关爱对象）台账：每人每个关爱类别一行，写明关爱等级、走访周期和责任网格员。"
        ),
        notes=(
            gettext_lazy("此人须已在居民台账登记、住在您的管辖范围内，且姓名与登记的一致。"),
            gettext_lazy("此人在该类别已有未结束的关爱记录时，该行更新这条记录；不填的选填项保持不变。"),
            gettext_lazy("结束关爱记录须在关爱记录页面上办理并写明原因。"),
        ),
    )
)

__all__ = ["CARE", "COLUMNS"]
