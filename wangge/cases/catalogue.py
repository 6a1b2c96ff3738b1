"""Writes to the catalogue (事项清单/权责清单) and the community work access catalogue (准入目录).
Administrators only, inside their own region; every write is audited."""

import csv
import io
import math
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from wangge.accounts.roles import MANAGE_CATALOGUE, require
from wangge.core import audit
from wangge.core.errors import Conflict, DomainError, NotFound, validation_error_to_domain
from wangge.core.scope import in_scope, scope_key_of
from wangge.regions.models import Department

from .models import AccessCatalogueItem, AccessKind, Case, Category, CategoryKind, TimeUnit

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CATEGORY_FIELDS = [
    "region_key",
    "code",
    "name",
    "parent",
    "kind",
    "department",
    "time_limit",
    "time_unit",
    "closing_condition",
    "is_active",
    "sort_order",
    "auto_apply",
    "auto_apply_threshold",
]
ACCESS_FIELDS = ["region_key", "code", "name", "kind", "basis", "category", "is_active"]


def _region_key(actor, region_key: str | None) -> str:
    key = (region_key or scope_key_of(actor)) if actor is not None else region_key
    if not key:
        raise DomainError(_("请指定清单所属区域"), field="region_key")
    if actor is not None and not in_scope(actor, key):
        raise NotFound(_("区域不在您的管辖范围内"), field="region_key")
    return key


def _clean_text(value: str, field: str, label: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(_("%(label)s不能为空") % {"label": label}, field=field)
    if len(value) > max_length or _CONTROL.search(value):
        raise DomainError(
            _("%(label)s不能超过%(n)d个字符，也不能含控制字符") % {"label": label, "n": max_length}, field=field
        )
    return value


def _check_parent(category: Category, parent: Category | None) -> None:
    if parent is None:
        return
    if not category.region_key.startswith(parent.region_key):
        raise DomainError(_("上级类别须属于同一清单或上级区域的清单"), field="parent")
    node = parent
    while node is not None:
        if category.pk is not None and node.pk == category.pk:
            raise DomainError(_("上级类别不能是自己或自己的下级"), field="parent")
        node = node.parent


def _check_department(region_key: str, department: Department | None) -> None:
    if department is None:
        return
    if not (region_key.startswith(department.region_key) or department.region_key.startswith(region_key)):
        raise DomainError(_("责任部门须在清单所属区域内"), field="department")


def _save(instance) -> None:
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise validation_error_to_domain(exc) from None
    instance.save()


def _check_code_free(instance, label: str) -> None:
    """The (normalised) code is not used by another entry of the same region's list."""
    taken = type(instance).objects.filter(region_key=instance.region_key, code=instance.code)
    if taken.exclude(pk=instance.pk).exists():
        raise DomainError(
            _("%(label)s %(code)s 已被使用") % {"label": label, "code": instance.code}, code="duplicate", field="code"
        )


def _check_may_change(actor, instance, missing: str) -> None:
    require(actor, MANAGE_CATALOGUE)
    if actor is not None and not in_scope(actor, instance.region_key):
        raise NotFound(missing)


def _create(*, actor, instance, apply, values: dict, verb: str, code_label: str):
    apply(instance, values)
    _check_code_free(instance, code_label)
    _save(instance)
    audit.record(actor=actor, verb=verb, target=instance, scope_key=instance.region_key, after=audit.snapshot(instance))
    return instance


def _update(*, actor, instance, apply, changes: dict, fields: list[str], verb: str, code_label: str, missing: str):
    _check_may_change(actor, instance, missing)
    unknown = set(changes) - (set(fields) - {"region_key"})
    if unknown:
        raise TypeError(f"{verb} takes no {', '.join(sorted(unknown))}")
    instance = type(instance).objects.select_for_update().get(pk=instance.pk)
    before = audit.snapshot(instance)
    apply(instance, changes)
    if "code" in changes:
        _check_code_free(instance, code_label)
    _save(instance)
    audit.record(
        actor=actor,
        verb=verb,
        target=instance,
        scope_key=instance.region_key,
        before=before,
        after=audit.snapshot(instance),
    )
    return instance


def _delete(*, actor, instance, verb: str) -> None:
    audit.record(
        actor=actor, verb=verb, target=instance, scope_key=instance.region_key, before=audit.snapshot(instance)
    )
    instance.delete()


def _threshold(value) -> float:
    """The confidence a suggestion needs to be applied without a dispatcher: above 0, at most 1."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        value = math.nan
    if not 0 < value <= 1:  # NaN fails too
        raise DomainError(_("自动采用的最低置信度应大于0且不超过1（如 0.9）"), field="auto_apply_threshold")
    return value


def _apply_category(category: Category, values: dict) -> None:
    for name, value in values.items():
        if name == "code":
            value = _clean_text(value, "code", _("编码"), 32)
        elif name == "name":
            value = _clean_text(value, "name", _("名称"), 100)
        elif name == "kind" and value not in CategoryKind.values:
            raise DomainError(_("类型应为部件、事件或热线类型（咨询、求助、投诉、举报、建议、表扬）"), field="kind")
        elif name == "time_unit" and value not in TimeUnit.values:
            raise DomainError(_("时限单位应为 hours（工作小时）或 days（工作日）"), field="time_unit")
        elif name == "time_limit" and (not isinstance(value, int) or not 1 <= value <= 10000):
            raise DomainError(_("处置时限应为1至10000的整数"), field="time_limit")
        elif name == "closing_condition":
            value = (value or "").strip()
        elif name == "auto_apply_threshold":
            value = _threshold(value)
        elif name == "auto_apply":
            value = bool(value)
        setattr(category, name, value)
    _check_parent(category, category.parent)
    _check_department(category.region_key, category.department)


@transaction.atomic
def category_create(
    *,
    actor,
    code: str,
    name: str,
    time_limit: int,
    time_unit: str = TimeUnit.DAYS,
    kind: str = CategoryKind.EVENT,
    parent: Category | None = None,
    department: Department | None = None,
    closing_condition: str = "",
    sort_order: int = 0,
    is_active: bool = True,
    auto_apply: bool = False,
    auto_apply_threshold: float = 0.9,
    region_key: str | None = None,
) -> Category:
    """Add a line to the catalogue of the administrator's region (or `region_key` inside it)."""
    require(actor, MANAGE_CATALOGUE)
    values = {
        "auto_apply": auto_apply,
        "auto_apply_threshold": auto_apply_threshold,
        "code": code,
        "name": name,
        "kind": kind,
        "parent": parent,
        "department": department,
        "time_limit": time_limit,
        "time_unit": time_unit,
        "closing_condition": closing_condition,
        "sort_order": sort_order,
        "is_active": is_active,
    }
    category = Category(region_key=_region_key(actor, region_key))
    return _create(
        actor=actor,
        instance=category,
        apply=_apply_category,
        values=values,
        verb="category.create",
        code_label=_("编码"),
    )


@transaction.atomic
def category_update(*, actor, category: Category, **changes) -> Category:
    """Change a category's name, tree place, department, time limit, closing condition, status or
    auto-apply rule. A new time limit applies to cases dispatched from now on; a new rule to
    cases reported from now on."""
    return _update(
        actor=actor,
        instance=category,
        apply=_apply_category,
        changes=changes,
        fields=CATEGORY_FIELDS,
        verb="category.update",
        code_label=_("编码"),
        missing=_("事项类别不存在，或不在您的管辖范围内"),
    )


@transaction.atomic
def category_delete(*, actor, category: Category) -> None:
    """Remove a category nothing uses yet; one in use is retired with `is_active=False` instead."""
    _check_may_change(actor, category, _("事项类别不存在，或不在您的管辖范围内"))
    if Case.objects.filter(category=category).exists() or category.children.exists():
        raise Conflict(_("该类别已有案件或下级类别，不能删除；请改为停用"), code="in_use")
    if category.access_items.exists():
        raise Conflict(_("该类别在社区工作准入目录中，不能删除；请改为停用"), code="in_use")
    _delete(actor=actor, instance=category, verb="category.delete")


def _apply_access(item: AccessCatalogueItem, values: dict) -> None:
    for name, value in values.items():
        if name == "code":
            value = _clean_text(value, "code", _("编号"), 32)
        elif name == "name":
            value = _clean_text(value, "name", _("事项名称"), 200)
        elif name == "kind" and value not in AccessKind.values:
            raise DomainError(
                _("事项类型应为 statutory（依法履职）、assist（协助）或 certificate（出具证明）"), field="kind"
            )
        elif name == "basis":
            value = (value or "").strip()
        elif name == "category" and value is not None and not item.region_key.startswith(value.region_key):
            raise DomainError(_("对应的事项类别不适用于该目录所属区域"), field="category")
        setattr(item, name, value)


@transaction.atomic
def access_item_create(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    basis: str = "",
    category: Category | None = None,
    is_active: bool = True,
    region_key=None,
) -> AccessCatalogueItem:
    """Add an item to the community work access catalogue of the administrator's region."""
    require(actor, MANAGE_CATALOGUE)
    values = {"code": code, "name": name, "kind": kind, "basis": basis, "category": category, "is_active": is_active}
    item = AccessCatalogueItem(region_key=_region_key(actor, region_key))
    return _create(
        actor=actor, instance=item, apply=_apply_access, values=values, verb="access_item.create", code_label=_("编号")
    )


@transaction.atomic
def access_item_update(*, actor, item: AccessCatalogueItem, **changes) -> AccessCatalogueItem:
    """Change an access catalogue item, or retire it with `is_active=False`."""
    return _update(
        actor=actor,
        instance=item,
        apply=_apply_access,
        changes=changes,
        fields=ACCESS_FIELDS,
        verb="access_item.update",
        code_label=_("编号"),
        missing=_("准入事项不存在，或不在您的管辖范围内"),
    )


@transaction.atomic
def access_item_delete(*, actor, item: AccessCatalogueItem) -> None:
    """Remove an item from the access catalogue. Administrators of its region."""
    _check_may_change(actor, item, _("准入事项不存在，或不在您的管辖范围内"))
    _delete(actor=actor, instance=item, verb="access_item.delete")


# ---- import from a spreadsheet -----------------------------------------------------------------

COLUMNS = {
    "编码": "code",
    "名称": "name",
    "上级编码": "parent_code",
    "类型": "kind",
    "责任部门": "department",
    "时限": "time_limit",
    "时限单位": "time_unit",
    "结案条件": "closing_condition",
}
KIND_BY_LABEL = {str(label): value for value, label in CategoryKind.choices}
UNIT_BY_LABEL = {str(label): value for value, label in TimeUnit.choices} | {"小时": "hours", "天": "days"}


@dataclass
class CatalogueRow:
    line: int
    values: dict


def read_rows(data: bytes, filename: str) -> list[CatalogueRow]:
    """Rows of a .csv (UTF-8 or GB18030) or .xlsx file whose header names the columns in Chinese
    (编码, 名称, 上级编码, 类型, 责任部门, 时限, 时限单位, 结案条件) or in English (code, name, …)."""
    if filename.lower().endswith(".xlsx"):
        from python_calamine import CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
        except Exception:  # calamine raises its own error types for every kind of broken file
            raise DomainError(_("无法读取该 Excel 文件，请确认是 .xlsx 格式"), code="bad_file", field="file") from None
        table = [["" if cell is None else str(cell).strip() for cell in row] for row in sheet]
        # Excel stores whole numbers as floats: 15 comes back as "15.0".
        table = [[c[:-2] if re.fullmatch(r"\d+\.0", c) else c for c in row] for row in table]
    elif filename.lower().endswith(".csv"):
        from wangge.regions.divisions import decode_upload

        table = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(decode_upload(data)))]
    else:
        raise DomainError(_("请上传 .csv 或 .xlsx 文件"), code="bad_file", field="file")
    table = [row for row in table if any(row)]
    if not table:
        raise DomainError(_("文件是空的"), code="bad_file", field="file")
    english = set(COLUMNS.values())
    header = [COLUMNS.get(cell, cell if cell in english else "") for cell in table[0]]
    missing = [
        label for label, name in COLUMNS.items() if name in ("code", "name", "time_limit") and name not in header
    ]
    if missing:
        raise DomainError(
            _("缺少必需的列：%(columns)s") % {"columns": "、".join(missing)}, code="bad_file", field="file"
        )
    rows = []
    for number, raw in enumerate(table[1:], start=2):
        values = {name: (raw[i] if i < len(raw) else "") for i, name in enumerate(header) if name}
        rows.append(CatalogueRow(number, values))
    return rows


@transaction.atomic
def import_catalogue(*, actor, rows: list[CatalogueRow], region_key: str | None = None) -> dict:
    """Create or update categories by code, parents before children. Every row is checked first;
    if any is wrong nothing is written and every bad row is named with its reasons."""
    require(actor, MANAGE_CATALOGUE)
    key = _region_key(actor, region_key)
    existing = {c.code: c for c in Category.objects.filter(region_key=key).select_related("parent")}
    codes_in_file = {row.values.get("code", "") for row in rows}
    departments = {d.code: d for d in Department.objects.all()}
    errors, parsed = [], []
    seen = set()
    for row in rows:
        v, reasons = row.values, []
        code = v.get("code", "")
        if not code or len(code) > 32 or _CONTROL.search(code):
            reasons.append(_("编码：不能为空，不超过32个字符"))
        elif code in seen:
            reasons.append(_("编码：文件中重复"))
        seen.add(code)
        if not v.get("name") or len(v["name"]) > 100:
            reasons.append(_("名称：不能为空，不超过100个字符"))
        kind = KIND_BY_LABEL.get(v.get("kind") or "事件", v.get("kind"))
        if kind not in CategoryKind.values:
            reasons.append(_("类型：应为部件、事件、咨询、求助、投诉、举报、建议或表扬"))
        unit = UNIT_BY_LABEL.get(v.get("time_unit") or "工作日", v.get("time_unit"))
        if unit not in TimeUnit.values:
            reasons.append(_("时限单位：应为工作小时或工作日"))
        limit = v.get("time_limit", "")
        if not (limit.isascii() and limit.isdigit() and 1 <= int(limit) <= 10000):
            reasons.append(_("时限：应为1至10000的整数"))
        parent_code = v.get("parent_code", "")
        if parent_code and parent_code not in codes_in_file and parent_code not in existing:
            reasons.append(_("上级编码：%(code)s 既不在文件中，也不在现有清单中") % {"code": parent_code})
        if parent_code and parent_code == code:
            reasons.append(_("上级编码：不能是自己"))
        department = None
        if v.get("department"):
            department = departments.get(v["department"])
            if department is None:
                reasons.append(_("责任部门：部门代码 %(code)s 不存在") % {"code": v["department"]})
            elif not (key.startswith(department.region_key) or department.region_key.startswith(key)):
                reasons.append(_("责任部门：%(name)s 不在清单所属区域内") % {"name": department.name})
        if reasons:
            errors.append({"line": row.line, "code": code, "reasons": reasons})
            continue
        parsed.append(
            {
                "code": code,
                "name": v["name"],
                "parent_code": parent_code,
                "kind": kind,
                "department": department,
                "time_limit": int(limit),
                "time_unit": unit,
                "closing_condition": v.get("closing_condition", ""),
            }
        )
    if not errors:
        errors = _cycles(parsed, existing)
    if errors:
        raise DomainError(
            _("文件有%(n)d行错误，未导入任何数据") % {"n": len(errors)}, code="rows_invalid", details=errors
        )
    created = updated = 0
    by_code = dict(existing)
    pending = list(parsed)
    events = []
    while pending:
        ready = [p for p in pending if not p["parent_code"] or p["parent_code"] in by_code]
        for values in ready:
            parent = by_code.get(values["parent_code"]) if values["parent_code"] else None
            fields = {k: v for k, v in values.items() if k != "parent_code"} | {"parent": parent}
            category = by_code.get(values["code"])
            if category is None:
                category, before, verb = Category(region_key=key), None, "category.create"
                created += 1
            else:
                before, verb = audit.snapshot(category), "category.update"
                updated += 1
            for name, value in fields.items():
                setattr(category, name, value)
            _save(category)
            by_code[category.code] = category
            # Each category keeps its own history, whichever way it was changed.
            events.append(
                audit.build(
                    actor=actor,
                    verb=verb,
                    target=category,
                    scope_key=key,
                    before=before,
                    after=audit.snapshot(category),
                    note="导入",
                )
            )
        pending = [p for p in pending if p not in ready]
    audit.record_many(events)
    audit.record(
        actor=actor,
        verb="category.import",
        target=None,
        target_type="cases.category",
        target_id=key,
        target_label=f"事项清单 {key}",
        scope_key=key,
        after={"created": created, "updated": updated},
    )
    return {"created": created, "updated": updated}


def _cycles(parsed: list[dict], existing: dict) -> list[dict]:
    parent_of = {code: (c.parent.code if c.parent_id else "") for code, c in existing.items()}
    parent_of.update({p["code"]: p["parent_code"] for p in parsed})
    errors = []
    for values in parsed:
        node, steps = values["code"], 0
        while node and steps <= len(parent_of):
            node, steps = parent_of.get(node, ""), steps + 1
        if node:
            errors.append({"line": 0, "code": values["code"], "reasons": [_("上级编码：形成了循环")]})
    return errors
