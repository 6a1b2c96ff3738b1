"""Importing official division codes (统计用区划代码) from CSV: all rows are checked first and
the file is refused as a whole, every bad line listed, or applied in one transaction."""

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from wangge.core import audit
from wangge.core.errors import DomainError
from wangge.core.validators import check_region_code, region_code_level, region_key

from .models import Region
from .provinces import PROVINCES

REQUIRED_COLUMNS = ("code", "name", "level", "parent_code")


@dataclass
class DivisionRow:
    line: int
    code: str
    name: str
    level: int
    parent_code: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def decode_upload(data: bytes) -> str:
    """UTF-8 (with or without BOM) first; files saved by Excel on Chinese Windows are GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(_("文件编码无法识别：请保存为 UTF-8 或 GB18030 编码的 CSV"), code="bad_encoding")


def parse_division_csv(text: str) -> tuple[list[DivisionRow], list[dict]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise DomainError(
            _("CSV 缺少列：%(cols)s（需要 %(need)s）")
            % {"cols": ", ".join(missing), "need": ", ".join(REQUIRED_COLUMNS)},
            code="missing_columns",
        )
    reader.fieldnames = header
    rows, errors = [], []
    seen: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        code = (raw.get("code") or "").strip()
        name = (raw.get("name") or "").strip()
        level_text = (raw.get("level") or "").strip()
        parent_code = (raw.get("parent_code") or "").strip()
        reasons = []
        reason = check_region_code(code)
        if reason:
            reasons.append(f"code: {reason}")
        if not name:
            reasons.append(_("name: 名称不能为空"))
        if not level_text.isdigit() or not 1 <= int(level_text) <= 5:
            reasons.append(_("level: 层级应为1至5的整数"))
        elif not reason and region_code_level(code) != int(level_text):
            reasons.append(
                _("level: 代码 %(code)s 的结构是第%(real)s级，与填写的第%(given)s级不符")
                % {"code": code, "real": region_code_level(code), "given": level_text}
            )
        parent_reason = check_region_code(parent_code) if parent_code else None
        if parent_reason:
            reasons.append(f"parent_code: {parent_reason}")
        if not reason and code in seen:
            reasons.append(_("code: 与第%(line)d行代码重复") % {"line": seen[code]})
        if not reason and code not in seen:
            seen[code] = line
        if reasons:
            errors.append({"line": line, "code": code, "reasons": reasons})
            continue
        rows.append(DivisionRow(line, code, name, int(level_text), parent_code))
    if not rows and not errors:
        raise DomainError(_("文件中没有数据行"), code="empty_file")
    return rows, errors


def _check_parents(rows: list[DivisionRow], existing: dict[str, Region], errors: list[dict]) -> None:
    in_file = {row.code: row for row in rows}
    for row in rows:
        if row.level == 1:
            continue
        if not row.parent_code:
            errors.append({"line": row.line, "code": row.code, "reasons": [_("parent_code: 上级代码不能为空")]})
            continue
        parent_level = region_code_level(row.parent_code)
        parent = in_file.get(row.parent_code) or existing.get(row.parent_code)
        known_province = parent_level == 1 and row.parent_code[:2] in PROVINCES
        if parent is None and not known_province:
            errors.append(
                {
                    "line": row.line,
                    "code": row.code,
                    "reasons": [_("parent_code: 上级代码 %(p)s 在文件和系统中都不存在") % {"p": row.parent_code}],
                }
            )
            continue
        if not row.code.startswith(region_key(row.parent_code)) or parent_level >= row.level:
            errors.append(
                {
                    "line": row.line,
                    "code": row.code,
                    "reasons": [_("parent_code: %(p)s 不是 %(c)s 的上级区划") % {"p": row.parent_code, "c": row.code}],
                }
            )


@transaction.atomic
def import_divisions(*, text: str, actor=None, source: str = "") -> ImportReport:
    """Create or rename regions from an official division CSV. All or nothing; administrators only
    (the caller checks the role; commands run as the system)."""
    rows, errors = parse_division_csv(text)
    codes = {row.code for row in rows} | {row.parent_code for row in rows if row.parent_code}
    existing = {region.code: region for region in Region.objects.filter(code__in=codes)}
    _check_parents(rows, existing, errors)
    if actor is not None:
        from wangge.core.scope import in_scope

        for row in rows:
            if not in_scope(actor, region_key(row.code)):
                errors.append({"line": row.line, "code": row.code, "reasons": [_("code: 不在您的管辖范围内")]})
    report = ImportReport(errors=sorted(errors, key=lambda e: e["line"]))
    if report.errors:
        raise DomainError(
            _("文件有%(n)d行错误，未导入任何数据") % {"n": len(report.errors)},
            code="rows_invalid",
            details=report.errors,
        )
    events = []
    # Parents before children: sorting by level guarantees a parent exists when its child is saved.
    for row in sorted(rows, key=lambda r: (r.level, r.code)):
        parent = None
        if row.parent_code:
            parent = existing.get(row.parent_code)
            if parent is None:
                parent = _ensure_province(row.parent_code, actor, events)
                existing[parent.code] = parent
        region = existing.get(row.code)
        if region is None:
            region = Region.objects.create(
                code=row.code, key=region_key(row.code), name=row.name, level=row.level, parent=parent
            )
            existing[row.code] = region
            report.created += 1
            events.append(
                audit.build(
                    actor=actor,
                    verb="region.import",
                    target=region,
                    scope_key=region.key,
                    after=audit.snapshot(region),
                    note=source,
                )
            )
        elif region.name != row.name or region.parent_id != (parent.pk if parent else None):
            before = audit.snapshot(region)
            region.name, region.parent = row.name, parent
            region.save(update_fields=["name", "parent", "updated_at"])
            report.updated += 1
            events.append(
                audit.build(
                    actor=actor,
                    verb="region.import",
                    target=region,
                    scope_key=region.key,
                    before=before,
                    after=audit.snapshot(region),
                    note=source,
                )
            )
        else:
            report.unchanged += 1
    audit.record_many(events)
    return report


def _ensure_province(code: str, actor, events: list) -> Region:
    province, created = Region.objects.get_or_create(
        code=code, defaults={"key": region_key(code), "name": PROVINCES[code[:2]], "level": 1}
    )
    if created:
        events.append(
            audit.build(
                actor=actor,
                verb="region.import",
                target=province,
                scope_key=province.key,
                after=audit.snapshot(province),
            )
        )
    return province
