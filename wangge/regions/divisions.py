"""Importing official division codes (统计用区划代码) from CSV: all rows are checked first and
the file is refused as a whole, every bad line listed, or applied in one transaction."""

import csv
import io
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from wangge.accounts.roles import IMPORT_GEOGRAPHY, require
from wangge.core import audit
from wangge.core.errors import DomainError
from wangge.core.scope import in_scope
from wangge.core.validators import REGION_LEVELS, check_region_code, region_code_level, region_key

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


MAX_NAME_LENGTH = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def structural_parent(code: str) -> str | None:
    """The official code of the node directly above `code`: the nearest higher level whose
    segment is not empty (a 东莞 town's parent is the city, its county segment being 00)."""
    level = region_code_level(code)
    for upper in range(level - 1, 0, -1):
        candidate = code[: REGION_LEVELS[upper]].ljust(12, "0")
        if region_code_level(candidate) == upper:
            return candidate
    return None


def _row_reasons(code: str, name: str, level_text: str, parent_code: str) -> list[str]:
    reasons = []
    code_reason = check_region_code(code)
    if code_reason:
        reasons.append(f"code: {code_reason}")
    if not name:
        reasons.append(_("name: 名称不能为空"))
    elif len(name) > MAX_NAME_LENGTH or _CONTROL.search(name):
        reasons.append(_("name: 名称不能超过%(n)d个字符，也不能含控制字符") % {"n": MAX_NAME_LENGTH})
    if not (level_text.isascii() and level_text.isdigit() and len(level_text) == 1 and 1 <= int(level_text) <= 5):
        reasons.append(_("level: 层级应为1至5的整数"))
    elif not code_reason and region_code_level(code) != int(level_text):
        reasons.append(
            _("level: 代码 %(code)s 的结构是第%(real)s级，与填写的第%(given)s级不符")
            % {"code": code, "real": region_code_level(code), "given": level_text}
        )
    elif not code_reason:
        expected = structural_parent(code)
        if int(level_text) == 1 and parent_code:
            reasons.append(_("parent_code: 省级区划没有上级代码"))
        elif int(level_text) > 1 and parent_code != expected:
            reasons.append(
                _("parent_code: 应为 %(e)s（%(c)s 的直接上级），实际为“%(p)s”")
                % {"e": expected, "c": code, "p": parent_code}
            )
    return reasons


def parse_division_csv(text: str) -> tuple[list[DivisionRow], list[dict]]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise DomainError(_("CSV 表头无法读取：%(e)s") % {"e": exc}, code="bad_csv") from None
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
    try:
        for raw in reader:
            line = reader.line_num
            code = (raw.get("code") or "").strip()
            name = (raw.get("name") or "").strip()
            level_text = (raw.get("level") or "").strip()
            parent_code = (raw.get("parent_code") or "").strip()
            reasons = _row_reasons(code, name, level_text, parent_code)
            if code in seen:
                reasons.append(_("code: 与第%(line)d行代码重复") % {"line": seen[code]})
            else:
                seen[code] = line
            if reasons:
                errors.append({"line": line, "code": code[:20], "reasons": reasons})
            else:
                rows.append(DivisionRow(line, code, name, int(level_text), parent_code))
    except csv.Error as exc:
        raise DomainError(
            _("CSV 第%(n)d行无法读取：%(e)s") % {"n": reader.line_num, "e": exc}, code="bad_csv"
        ) from None
    if not rows and not errors:
        raise DomainError(_("文件中没有数据行"), code="empty_file")
    return rows, errors


def _check_parents_and_scope(rows: list[DivisionRow], existing: dict[str, Region], errors: list[dict], actor) -> None:
    """Each parent must exist (in the file, in the system, or be a known province). Rows outside
    an uploading administrator's scope get only that reason, so uploads cannot probe which codes
    exist elsewhere."""
    in_file = {row.code for row in rows}
    for row in rows:
        if actor is not None and not in_scope(actor, region_key(row.code)):
            errors.append({"line": row.line, "code": row.code, "reasons": [_("code: 不在您的管辖范围内")]})
            continue
        if row.level == 1 or row.parent_code in in_file or row.parent_code in existing:
            continue
        if region_code_level(row.parent_code) == 1 and row.parent_code[:2] in PROVINCES:
            continue
        errors.append(
            {
                "line": row.line,
                "code": row.code,
                "reasons": [_("parent_code: 上级代码 %(p)s 在文件和系统中都不存在") % {"p": row.parent_code}],
            }
        )


@transaction.atomic
def import_divisions(*, text: str, actor=None, source: str = "") -> ImportReport:
    """Create or rename regions from an official division CSV. All or nothing; administrators only,
    inside their scope (actor=None is the system: management commands)."""
    require(actor, IMPORT_GEOGRAPHY)
    rows, errors = parse_division_csv(text)
    codes = {row.code for row in rows} | {row.parent_code for row in rows if row.parent_code}
    existing = {region.code: region for region in Region.objects.filter(code__in=codes)}
    _check_parents_and_scope(rows, existing, errors, actor)
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
            events.append(_import_event(region, actor=actor, before=None, note=source))
        elif region.name != row.name:
            # A code's parent follows from the code itself, so an existing node is only renamed.
            before = audit.snapshot(region)
            region.name = row.name
            region.save(update_fields=["name", "updated_at"])
            report.updated += 1
            events.append(_import_event(region, actor=actor, before=before, note=source))
        else:
            report.unchanged += 1
    audit.record_many(events)
    return report


def _ensure_province(code: str, actor, events: list) -> Region:
    province, created = Region.objects.get_or_create(
        code=code, defaults={"key": region_key(code), "name": PROVINCES[code[:2]], "level": 1}
    )
    if created:
        events.append(_import_event(province, actor=actor, before=None, note=""))
    return province


def _import_event(region: Region, *, actor, before: dict | None, note: str):
    return audit.build(
        actor=actor,
        verb="region.import",
        target=region,
        scope_key=region.key,
        before=before,
        after=audit.snapshot(region),
        note=note,
    )
