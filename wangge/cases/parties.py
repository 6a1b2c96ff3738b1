"""Who stands where towards a case: the parties the workflow table names, and who may see a case."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy

from wangge.accounts.roles import Role
from wangge.core import audit
from wangge.core.scope import in_scope
from wangge.regions.models import KEY_LENGTH

from .models import (
    Case,
    CaseLevel,
)

# ---- parties: who stands where towards a case ------------------------------------------------


@dataclass(frozen=True)
class Party:
    name: str
    label: str
    test: Callable


def _scoped(user, case, *roles) -> bool:
    return user.role in roles and in_scope(user, case.region_key)


def _is_dispatcher(user, case) -> bool:
    """A street or district dispatcher over the case, at or above the level that holds it."""
    return _scoped(user, case, Role.STREET_DISPATCHER) and len(user.scope_key) <= KEY_LENGTH[case.level]


def _is_handler(user, case) -> bool:
    if case.lead_department_id:
        return user.role == Role.DEPARTMENT_HANDLER and user.scope_department_id == case.lead_department_id
    return _scoped(user, case, Role.COMMUNITY_STAFF)


def _is_holder(user, case) -> bool:
    if case.level == CaseLevel.COMMUNITY:
        return _scoped(user, case, Role.COMMUNITY_STAFF)
    return _is_dispatcher(user, case)


def _is_verifier(user, case) -> bool:
    if case.grid_id is None:  # a place in no grid: the community checks it
        return _scoped(user, case, Role.COMMUNITY_STAFF)
    return _scoped(user, case, Role.GRID_WORKER, Role.PART_TIME_GRID_WORKER)


SORTER = Party(
    "sorter",
    gettext_lazy("社区工作者、街道派单员或12345受理员"),
    lambda u, c: _scoped(u, c, Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.HOTLINE_OPERATOR),
)
COMMUNITY = Party("community", gettext_lazy("本社区的社区工作者"), lambda u, c: _scoped(u, c, Role.COMMUNITY_STAFF))
DISPATCHER = Party("dispatcher", gettext_lazy("案件所在层级的街道或区县派单员"), _is_dispatcher)
HOLDER = Party("holder", gettext_lazy("案件当前所在层级的负责人（社区工作者或派单员）"), _is_holder)
HANDLER = Party("handler", gettext_lazy("主办部门的承办人（社区自办时为社区工作者）"), _is_handler)
VERIFIER = Party("verifier", gettext_lazy("案件所在网格的网格员"), _is_verifier)
REPORTER = Party(
    "reporter", gettext_lazy("上报人本人"), lambda u, c: c.reporter_id is not None and c.reporter_id == u.pk
)
CALLBACK = Party("callback", gettext_lazy("12345受理员（回访）"), lambda u, c: _scoped(u, c, Role.HOTLINE_OPERATOR))
LEADER = Party("leader", gettext_lazy("领导"), lambda u, c: _scoped(u, c, Role.LEADER))
OVERSEER = Party(
    "overseer",
    gettext_lazy("街道派单员、领导、社区工作者或12345受理员"),
    lambda u, c: _scoped(u, c, Role.STREET_DISPATCHER, Role.LEADER, Role.COMMUNITY_STAFF, Role.HOTLINE_OPERATOR),
)
STAFF = Party("staff", gettext_lazy("能看到该案件的工作人员"), lambda u, c: u.role != Role.RESIDENT)
SYSTEM = Party("system", gettext_lazy("系统"), lambda u, c: False)


def acting_level(actor, case: Case) -> int:
    """The level a person files or dispatches at: their own (the hotline files to the street)."""
    if actor is None:
        return case.level
    if actor.role == Role.COMMUNITY_STAFF:
        return CaseLevel.COMMUNITY
    if actor.role == Role.STREET_DISPATCHER and len(actor.scope_key or "") >= KEY_LENGTH[CaseLevel.STREET]:
        return CaseLevel.STREET
    if actor.role == Role.STREET_DISPATCHER:
        return CaseLevel.DISTRICT
    return CaseLevel.STREET


def can_see(user, case: Case, *, own_reports: bool = True) -> bool:
    """The Python mirror of `selectors.visible_cases` for one case; `own_reports=False` asks
    whether the user's role and scope alone would show it."""
    if user is None:
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    if own_reports and case.reporter_id is not None and case.reporter_id == user.pk:
        return True
    if user.role == Role.RESIDENT:
        return False
    if user.role == Role.DEPARTMENT_HANDLER:
        department = user.scope_department_id
        return department is not None and (
            case.lead_department_id == department or case.assists.filter(department_id=department).exists()
        )
    return in_scope(user, case.region_key)


def actor_label(actor) -> str:
    if actor is None:
        return audit.SYSTEM
    return getattr(actor, "display_name", "") or actor.get_username()
