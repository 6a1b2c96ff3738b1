"""Yearly unit scores (乐山): each unit in the area is scored from its participation recorded in
the ledger (services confirmed for it, needs it claimed, hours its people served, resources it
shared) under configurable lines, plus adjustments made by hand with a reason. Under 60 the unit
is barred from booking shared resources — through the units app's own audited service — and
over 100 it is listed for honours. Every computation is a new version that says, line by line,
what changed since the one before."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.roles import EDIT_POINT_RULES, MANAGE_UNIT_SCORES, VIEW_POINTS, require
from wangge.core import audit
from wangge.core.errors import DomainError, NotFound
from wangge.core.scope import get_or_404, in_scope, restrict
from wangge.party.contracts import ActivityType

from .models import (
    BAR_BELOW,
    HONOUR_ABOVE,
    Movement,
    MovementKind,
    ScoreAdjustment,
    ScoreLine,
    ScoreMeasure,
    UnitScore,
)

BAR_MARK = "年度共建评分"  # in the bar's reason, so a better score lifts only a bar the score set
ADJUSTMENT = "adjustment"
ONE = Decimal("0.1")


def parse_year(value) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise DomainError(_("年度应为四位数字，如 2026"), field="year") from None
    if not 2000 <= year <= timezone.localdate().year:
        raise DomainError(_("年度应在 2000 年到今年之间"), field="year")
    return year


def measures(unit, year: int) -> dict[str, Decimal]:
    """What the ledger recorded for the unit in the year; reversed services do not count."""
    services = Movement.objects.filter(unit=unit, kind=MovementKind.SERVICE, occurred_on__year=year).filter(
        ~Exists(Movement.objects.filter(reverses=OuterRef("pk")))
    )
    counted = services.aggregate(
        claims=Count("pk", filter=Q(activity_type=ActivityType.NEED_CLAIM)),
        shares=Count("pk", filter=Q(activity_type=ActivityType.RESOURCE_SHARE)),
        others=Count("pk", filter=~Q(activity_type__in=[ActivityType.NEED_CLAIM, ActivityType.RESOURCE_SHARE])),
        hours=Coalesce(Sum("service_hours"), Decimal("0.0")),
    )
    return {
        ScoreMeasure.PARTICIPATION: Decimal(counted["others"]),
        ScoreMeasure.CLAIMS: Decimal(counted["claims"]),
        ScoreMeasure.SERVICE_HOURS: counted["hours"],
        ScoreMeasure.RESOURCE_SHARES: Decimal(counted["shares"]),
        ScoreMeasure.PARTY_ORGANISATION: Decimal(1 if unit.has_party_organisation else 0),
    }


def score_lines_for(unit, year: int) -> list[dict]:
    """The lines of the unit's score as they stand now, each with its quantity and explanation."""
    found = measures(unit, year)
    lines = []
    for line in ScoreLine.objects.filter(is_active=True):
        quantity = found.get(line.measure, Decimal(0))
        points = min(quantity * line.points_each, line.cap).quantize(ONE)
        lines.append(
            {
                "measure": line.measure,
                "label": str(line.get_measure_display()),
                "quantity": str(quantity),
                "points": str(points),
                "explanation": line.explanation,
            }
        )
    for adjustment in ScoreAdjustment.objects.filter(unit=unit, year=year):
        lines.append(
            {
                "measure": ADJUSTMENT,
                "label": _("人工加减分"),
                "quantity": "1",
                "points": str(adjustment.points.quantize(ONE)),
                "explanation": adjustment.reason,
            }
        )
    return lines


def _changes(before: list[dict], after: list[dict]) -> list[dict]:
    """Line-by-line differences between two versions, in words a unit can check."""

    def keyed(lines):
        return {(line["measure"], line["explanation"] if line["measure"] == ADJUSTMENT else ""): line for line in lines}

    old, new = keyed(before), keyed(after)
    changes = []
    for key in list(new) + [k for k in old if k not in new]:
        was, now = old.get(key), new.get(key)
        was_points = Decimal(was["points"]) if was else Decimal(0)
        now_points = Decimal(now["points"]) if now else Decimal(0)
        if was and now and was_points == now_points and was["quantity"] == now["quantity"]:
            continue
        line = now or was
        changes.append(
            {
                "label": line["label"],
                "before": str(was_points),
                "after": str(now_points),
                "why": _("%(label)s：%(a)s → %(b)s（%(text)s）")
                % {
                    "label": line["label"],
                    "a": was["quantity"] if was else "—",
                    "b": now["quantity"] if now else "—",
                    "text": line["explanation"],
                },
            }
        )
    return changes


@transaction.atomic
def unit_score_compute(*, actor, unit, year) -> UnitScore:
    """Score a unit for a year (MANAGE_UNIT_SCORES, unit in scope). A new version is written only
    when something changed; under 60 the unit is barred from booking, and a bar set by an earlier
    score is lifted once the score is 60 or more again."""
    from wangge.units.models import Unit
    from wangge.units.services import unit_set_booking_barred

    require(actor, MANAGE_UNIT_SCORES)
    year = parse_year(year)
    unit = Unit.objects.select_for_update().get(pk=unit.pk)  # one computation of a unit at a time
    if actor is not None and not in_scope(actor, unit.region_key):
        raise NotFound(_("未找到该单位，或不在您的管辖范围内"))
    lines = score_lines_for(unit, year)
    total = sum((Decimal(line["points"]) for line in lines), Decimal(0)).quantize(ONE)
    previous = UnitScore.objects.filter(unit=unit, year=year).order_by("-version").first()
    if previous is not None and previous.lines == lines:
        score = previous
    else:
        score = UnitScore.objects.create(
            unit=unit,
            year=year,
            version=(previous.version + 1) if previous else 1,
            region_key=unit.region_key,
            total=total,
            lines=lines,
            changes=_changes(previous.lines if previous else [], lines),
            actor=actor if getattr(actor, "pk", None) else None,
        )
        audit.record(
            actor=actor,
            verb="points.unit_score",
            target=score,
            target_label=f"{unit.name} {year}",
            scope_key=unit.region_key,
            before={"total": str(previous.total)} if previous else None,
            after={"total": str(total), "version": score.version},
        )
    if score.total < BAR_BELOW:
        reason = _("%(year)d%(mark)s%(total)s分，低于%(bar)d分，暂停预约共享资源") % {
            "year": year,
            "mark": BAR_MARK,
            "total": score.total,
            "bar": BAR_BELOW,
        }
        if not unit.booking_barred:
            unit_set_booking_barred(unit=unit, barred=True, reason=reason, actor=actor)
    elif unit.booking_barred and BAR_MARK in unit.booking_barred_reason:
        unit_set_booking_barred(unit=unit, barred=False, reason="", actor=actor)
    return score


@transaction.atomic
def score_adjust(*, actor, unit, year, points, reason: str) -> UnitScore:
    """Add or take points by hand with a reason (MANAGE_UNIT_SCORES), then score again."""
    require(actor, MANAGE_UNIT_SCORES)
    if actor is not None and not in_scope(actor, unit.region_key):
        raise NotFound(_("未找到该单位，或不在您的管辖范围内"))
    year = parse_year(year)
    try:
        points = Decimal(str(points)).quantize(ONE)
    except Exception:
        raise DomainError(_("加减分应为数字，如 5 或 -10"), field="points") from None
    if points == 0 or not Decimal(-100) <= points <= Decimal(100):
        raise DomainError(_("加减分应在 -100 到 100 之间且不为零"), field="points")
    reason = (reason or "").strip()
    if not 2 <= len(reason) <= 200:
        raise DomainError(_("请填写加减分理由（2 到 200 个字）"), field="reason")
    adjustment = ScoreAdjustment.objects.create(
        unit=unit, year=year, points=points, reason=reason, actor=actor if getattr(actor, "pk", None) else None
    )
    audit.record(
        actor=actor,
        verb="points.score_adjust",
        target=adjustment,
        target_label=unit.name,
        scope_key=unit.region_key,
        after={"year": year, "points": str(points)},
        note=reason,
    )
    return unit_score_compute(actor=actor, unit=unit, year=year)


@transaction.atomic
def score_line_update(*, actor, measure: str, points_each, cap, explanation: str, is_active: bool) -> ScoreLine:
    """Change one line of the unit score (EDIT_POINT_RULES); applies at the next computation."""
    require(actor, EDIT_POINT_RULES)
    line = ScoreLine.objects.select_for_update().filter(measure=measure).first()
    if line is None:
        raise DomainError(_("没有这个评分项"), field="measure")
    before = audit.snapshot(line, ["points_each", "cap", "explanation", "is_active"])
    values = {}
    for field, value, label in (("points_each", points_each, _("每项得分")), ("cap", cap, _("最高得分"))):
        try:
            number = Decimal(str(value)).quantize(ONE)
        except Exception:
            raise DomainError(_("%(label)s应为数字") % {"label": label}, field=field) from None
        if not Decimal(0) <= number <= Decimal(200):
            raise DomainError(_("%(label)s应在 0 到 200 之间") % {"label": label}, field=field)
        values[field] = number
    explanation = (explanation or "").strip()
    if not 2 <= len(explanation) <= 200:
        raise DomainError(_("请填写说明（2 到 200 个字），单位会看到它"), field="explanation")
    line.points_each, line.cap, line.explanation, line.is_active = (
        values["points_each"],
        values["cap"],
        explanation,
        bool(is_active),
    )
    line.save()
    audit.record(
        actor=actor,
        verb="points.score_line_update",
        target=line,
        target_label=str(line.get_measure_display()),
        before=before,
        after=audit.snapshot(line, ["points_each", "cap", "explanation", "is_active"]),
    )
    return line


# ---- reads ----------------------------------------------------------------------------------


def latest_scores(*, user, year: int) -> QuerySet:
    """The current (latest) version of each unit's score for the year, in the user's scope."""
    require(user, VIEW_POINTS)
    newer = UnitScore.objects.filter(unit=OuterRef("unit"), year=OuterRef("year"), version__gt=OuterRef("version"))
    return (
        restrict(UnitScore.objects.filter(year=year), user)
        .filter(~Exists(newer))
        .select_related("unit", "unit__grid")
        .order_by("-total", "unit__name")
    )


def honours(*, user, year: int) -> QuerySet:
    return latest_scores(user=user, year=year).filter(total__gt=HONOUR_ABOVE)


def score_history(*, user, unit) -> QuerySet:
    require(user, VIEW_POINTS)
    return restrict(UnitScore.objects.filter(unit=unit), user).order_by("-year", "-version")


def units_in_scope(*, user) -> QuerySet:
    from wangge.units.models import Unit

    require(user, VIEW_POINTS)
    return restrict(Unit.objects.select_related("grid"), user).order_by("region_key", "name", "id")


def unit_get(*, user, pk: int):
    from wangge.units.models import Unit

    require(user, VIEW_POINTS)
    return get_or_404(restrict(Unit.objects.select_related("grid"), user), pk=pk)
