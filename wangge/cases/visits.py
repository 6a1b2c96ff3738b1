"""Problems raised at the door (敲门行动) become cases.

The ledgers keep a door-knock visit's problem as a `VisitProblem`; the case workflow takes each one
here, as a case on the `visit` channel reported by the visitor, and marks the problem taken with the
case number. The sweep runs this, so a visit never waits on the case workflow."""

import logging

from django.db import transaction

from wangge.core.errors import DomainError
from wangge.regions.models import Household, Region
from wangge.registry.models import ProblemStatus, VisitProblem
from wangge.registry.services import visit_problem_mark_taken

from .models import Case, Channel
from .services import CHANNELS_BY_ROLE, case_report

log = logging.getLogger(__name__)


def source_ref_of(problem: VisitProblem) -> str:
    return f"visit-problem:{problem.pk}"


def case_from_visit_problem(*, problem: VisitProblem) -> Case:
    """Report one open visit problem as a case and mark it taken, in one transaction. Run by the
    system (the sweep); a second attempt for the same problem is refused and changes nothing."""
    with transaction.atomic():
        household = Household.objects.select_related("building__compound").get(pk=problem.household_id)
        grid_code = Region.objects.filter(key=problem.region_key).values_list("code", flat=True).first() or ""
        reporter = problem.reporter
        actor = reporter if reporter.is_active and Channel.VISIT in CHANNELS_BY_ROLE.get(reporter.role, ()) else None
        case = case_report(
            actor=actor,
            text=f"【{problem.get_category_hint_display()}】{problem.text}",
            channel=Channel.VISIT,
            lng=problem.lng,
            lat=problem.lat,
            region_code=grid_code,
            address=f"{household.building}{household}",  # compound, building, unit and room, as pages show it
            reporter_name="" if actor else (reporter.display_name or reporter.get_username()),
            contact_preference=None if actor else "none",
            source_ref=source_ref_of(problem),
        )
        visit_problem_mark_taken(problem=problem, case_ref=case.number, actor=None)
    return case


def take_visit_problems(*, batch: int = 500) -> dict:
    """Turn every open visit problem into a case; a refused one is logged and left open to retry on
    the next sweep. Problems are read in batches by id, so refused ones never hide the rest."""
    counts = {"taken": 0, "refused": 0}
    open_problems = VisitProblem.objects.filter(status=ProblemStatus.OPEN).select_related("reporter").order_by("id")
    last_id = 0
    while problems := list(open_problems.filter(id__gt=last_id)[:batch]):
        for problem in problems:
            try:
                case_from_visit_problem(problem=problem)
                counts["taken"] += 1
            except DomainError as error:
                log.warning("visit problem %s not taken: %s", problem.pk, error.message)
                counts["refused"] += 1
        last_id = problems[-1].pk
    return counts
