"""Who is told about a case: the people behind each part a case passes through."""

from django.contrib.auth import get_user_model

from wangge.accounts.roles import Role
from wangge.regions.models import KEY_LENGTH

from .models import Case, CaseLevel

GRID_WORKERS = (Role.GRID_WORKER, Role.PART_TIME_GRID_WORKER)


def _users():
    return get_user_model().objects.filter(is_active=True)


def community_staff(case: Case) -> list:
    return list(_users().filter(role=Role.COMMUNITY_STAFF, scope_region__key=case.community_key))


def dispatchers(case: Case, level: int | None = None) -> list:
    """Whoever holds the case at `level` (default: its current level): the community's staff, or
    the dispatchers of the street or district."""
    level = level or case.level
    if level == CaseLevel.COMMUNITY:
        return community_staff(case)
    key = case.region_key[: KEY_LENGTH[level]]
    return list(_users().filter(role=Role.STREET_DISPATCHER, scope_region__key=key))


def closers(case: Case) -> list:
    return dispatchers(case)


def approvers(case: Case) -> list:
    """Extensions are approved by a dispatcher: the street's when the community itself handles."""
    return dispatchers(case, min(case.level, CaseLevel.STREET))


def handlers(case: Case) -> list:
    if case.lead_department_id:
        return list(_users().filter(role=Role.DEPARTMENT_HANDLER, scope_department_id=case.lead_department_id))
    return community_staff(case)


def assistants(case: Case) -> list:
    ids = list(case.assists.values_list("department_id", flat=True))
    if not ids:
        return []
    return list(_users().filter(role=Role.DEPARTMENT_HANDLER, scope_department_id__in=ids))


def verifiers(case: Case) -> list:
    if case.grid_id is None:
        return community_staff(case)
    return list(_users().filter(role__in=GRID_WORKERS, scope_region__key=case.region_key))


def reporters(case: Case) -> list:
    """The reporter and everyone whose report was merged into this case."""
    people = [case.reporter] if case.reporter_id else []
    merged = Case.objects.filter(merged_into=case, reporter__isnull=False).select_related("reporter")
    return people + [c.reporter for c in merged]
