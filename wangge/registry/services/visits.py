"""Door-knock visits (敲门行动): one act that updates the house, its residents and their care
records together (三个同步), and may raise a problem for the case workflow to take."""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.roles import KEEP_LEDGERS, STAFF_ROLES, require
from wangge.core import audit
from wangge.core.errors import Conflict, DomainError, Forbidden, NotFound
from wangge.core.scope import in_scope
from wangge.regions.models import Household

from ..common import KEEP, grid_key, household_address
from ..models import CareObservation, CareRecord, ProblemCategory, ProblemStatus, Resident, Visit, VisitProblem
from . import residents as resident_services
from .care import next_due
from .residents import _check_date, _check_household, _clean_text

HOUSE_KEYS = ("use", "area_m2", "owner_name", "owner_phone")
NEWCOMER_KEYS = ("name", "id_number", "phone", "kind", "origin")


@dataclass
class VisitInput:
    """What a visitor reports from one door. Residents and care records are objects the caller
    has already looked up; the service checks that they belong to the visited household."""

    met: list[Resident] = field(default_factory=list)
    met_others: str = ""
    notes: str = ""
    house: dict = field(default_factory=dict)  # any of HOUSE_KEYS
    departed: list[Resident] = field(default_factory=list)
    newcomers: list[dict] = field(default_factory=list)  # each with NEWCOMER_KEYS
    care: list[tuple[CareRecord, str]] = field(default_factory=list)  # (record, what was seen)
    problem_text: str = ""
    problem_category: str = ""


def _prefixed(error: DomainError, prefix: str) -> DomainError:
    """Name the part of the visit form at fault (e.g. `newcomers.1.id_number`)."""
    error.field = f"{prefix}.{error.field}" if error.field else prefix
    for detail in error.details:
        if isinstance(detail, dict) and "field" in detail:
            detail["field"] = f"{prefix}.{detail['field']}" if detail["field"] else prefix
    return error


def _present_here(residents, household: Household, *, field_name: str) -> list[Resident]:
    fresh = {r.pk: r for r in Resident.objects.filter(pk__in=[r.pk for r in residents])}
    for index, resident in enumerate(residents):
        current = fresh.get(resident.pk)
        if current is None or current.household_id != household.pk:
            raise DomainError(_("%(name)s不是本户现住居民") % {"name": resident.name}, field=f"{field_name}.{index}")
    return [fresh[r.pk] for r in residents]


@transaction.atomic
def visit_record(*, actor, household: Household, visited_on: datetime.date | None = None, report: VisitInput) -> Visit:
    """Record a door-knock visit to a household of the actor's scope and apply what was found
    to the house, the residents and the care records, all or nothing. Grid workers, building
    heads and community workers (KEEP_LEDGERS)."""
    require(actor, KEEP_LEDGERS)
    _check_household(actor, household)
    household = Household.objects.select_related("building__compound").get(pk=household.pk)
    visited_on = _check_date(visited_on or timezone.localdate(), field="visited_on", label=_("走访日期"))
    notes = _clean_text(report.notes, field="notes", label=_("走访情况"), max_length=4000)
    met_others = _clean_text(report.met_others, field="met_others", label=_("见到的其他人"), max_length=200)
    met = _present_here(report.met, household, field_name="met")
    departed = _present_here(report.departed, household, field_name="departed")
    if set(r.pk for r in met) & set(r.pk for r in departed):
        raise DomainError(_("同一居民不能既在场又已搬离"), field="departed")
    problem_text = _clean_text(report.problem_text, field="problem.text", label=_("问题描述"), max_length=2000)
    if problem_text and report.problem_category not in ProblemCategory.values:
        raise DomainError(_("请选择问题类别"), field="problem.category")
    if report.problem_category and not problem_text:
        raise DomainError(_("请填写问题描述"), field="problem.text")
    unknown = set(report.house) - set(HOUSE_KEYS)
    if unknown:
        raise DomainError(_("未知的房屋字段：%(f)s") % {"f": "、".join(sorted(unknown))}, field="house")

    visit = Visit.objects.create(
        household=household,
        region_key=household.region_key,
        visitor=actor,
        visited_on=visited_on,
        met_others=met_others,
        notes=notes,
    )
    visit.met.set(met)
    changes: dict = {}

    try:
        house = resident_services.household_update(
            actor=actor,
            household=household,
            checked_on=max(visited_on, household.checked_on or visited_on),
            **{key: report.house.get(key, KEEP) for key in HOUSE_KEYS},
        )
    except DomainError as error:
        raise _prefixed(error, "house") from None
    changes["house"] = {key: str(getattr(house, key)) for key in ("use", "area_m2", "owner_name")}

    for index, resident in enumerate(departed):
        try:
            resident_services.resident_depart(
                actor=actor, resident=resident, on=visited_on, note=_("敲门走访时确认已搬离")
            )
        except DomainError as error:
            raise _prefixed(error, f"departed.{index}") from None
    changes["departed"] = [r.pk for r in departed]

    created = []
    for index, data in enumerate(report.newcomers):
        unknown = set(data) - set(NEWCOMER_KEYS)
        if unknown:
            raise DomainError(
                _("未知的居民字段：%(f)s") % {"f": "、".join(sorted(unknown))}, field=f"newcomers.{index}"
            )
        try:
            created.append(
                resident_services.resident_create(
                    actor=actor, household=household, moved_in=visited_on, **{k: v for k, v in data.items()}
                )
            )
        except DomainError as error:
            raise _prefixed(error, f"newcomers.{index}") from None
    changes["newcomers"] = [r.pk for r in created]

    observed = []
    for index, (record, note) in enumerate(report.care):
        record = CareRecord.objects.select_for_update().filter(pk=record.pk).select_related("resident").first()
        if record is None or record.ended_on is not None or record.resident.household_id != household.pk:
            raise DomainError(_("该关爱记录不属于本户现住居民"), field=f"care.{index}")
        note = _clean_text(note, field=f"care.{index}.note", label=_("关爱情况"), max_length=2000)
        CareObservation.objects.create(visit=visit, care_record=record, note=note)
        if record.last_visit_on is None or visited_on > record.last_visit_on:
            record.last_visit_on = visited_on
            record.next_due_on = next_due(record)
            record.save(update_fields=["last_visit_on", "next_due_on", "updated_at"])
        observed.append(record.pk)
    changes["care"] = observed

    if problem_text:
        compound = household.building.compound
        problem = VisitProblem.objects.create(
            visit=visit,
            household=household,
            text=problem_text,
            category_hint=report.problem_category,
            lng=compound.lng,
            lat=compound.lat,
            region_key=grid_key(household.region_key),
            reporter=actor,
        )
        changes["problem"] = problem.pk
        audit.record(
            actor=actor,
            verb="visit_problem.create",
            target=problem,
            scope_key=problem.region_key,
            after={"text": problem.text, "category_hint": problem.category_hint, "visit": visit.pk},
        )

    visit.changes = changes
    visit.save(update_fields=["changes"])
    audit.record(
        actor=actor,
        verb="visit.create",
        target=visit,
        target_label=_("走访 %(address)s") % {"address": household_address(household)},
        scope_key=visit.region_key,
        after={
            "household": household.pk,
            "visited_on": visited_on.isoformat(),
            "met": [r.pk for r in met],
            **changes,
        },
    )
    return visit


@transaction.atomic
def visit_problem_mark_taken(*, problem: VisitProblem, case_ref: str, actor) -> VisitProblem:
    """The case workflow took this problem into the case `case_ref` (its own reference, e.g.
    "cases.case:123"). Staff in the problem's scope, or the system (actor=None); only once."""
    if actor is not None and actor.role not in STAFF_ROLES:
        raise Forbidden(_("居民不能受理走访发现的问题"))
    if actor is not None and not in_scope(actor, problem.region_key):
        raise NotFound(_("问题不存在或不在您的管辖范围内"), field="problem")
    case_ref = (case_ref or "").strip() if isinstance(case_ref, str) else ""
    if not case_ref:
        raise DomainError(_("请提供受理案件的编号"), field="case_ref")
    if len(case_ref) > 64:
        raise DomainError(_("案件编号最多64个字符"), field="case_ref")
    problem = VisitProblem.objects.select_for_update().get(pk=problem.pk)
    if problem.status != ProblemStatus.OPEN:
        raise Conflict(_("该问题已由案件%(ref)s受理") % {"ref": problem.case_ref}, field="problem")
    problem.status, problem.case_ref = ProblemStatus.TAKEN, case_ref
    problem.taken_at, problem.taken_by = timezone.now(), actor
    problem.save(update_fields=["status", "case_ref", "taken_at", "taken_by", "updated_at"])
    audit.record(
        actor=actor,
        verb="visit_problem.take",
        target=problem,
        scope_key=problem.region_key,
        before={"status": ProblemStatus.OPEN},
        after={"status": problem.status, "case_ref": case_ref},
    )
    return problem
