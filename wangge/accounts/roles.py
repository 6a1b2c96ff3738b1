"""Roles (DOMAIN §1) and what each may do. One table, read by services and selectors alike."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("居民")
    GRID_WORKER = "grid_worker", _("专职网格员")
    PART_TIME_GRID_WORKER = "part_time_grid_worker", _("兼职网格员")
    BUILDING_HEAD = "building_head", _("楼栋长/邻里长")
    COMMUNITY_STAFF = "community_staff", _("社区工作者")
    STREET_DISPATCHER = "street_dispatcher", _("街道派单员")
    DEPARTMENT_HANDLER = "department_handler", _("部门承办人")
    HOTLINE_OPERATOR = "hotline_operator", _("12345受理员")
    PARTY_SECRETARY = "party_secretary", _("党组织书记")
    LEADER = "leader", _("领导")
    ADMINISTRATOR = "administrator", _("管理员")


# Capabilities, each granted to a set of roles.
MANAGE_USERS = "manage_users"
VIEW_AUDIT = "view_audit"
VIEW_PEOPLE = "view_people"  # see residents' names and masked identifiers in ledgers
REVEAL_PII = "reveal_pii"  # see an ID number or phone in full, with a recorded reason
IMPORT_GEOGRAPHY = "import_geography"
MANAGE_CALENDAR = "manage_calendar"  # the national working calendar (holidays, make-up days)
VIEW_UNITS = "view_units"  # read the units-in-area ledger and the shared-resource list of the scope
MANAGE_UNITS = "manage_units"  # keep those ledgers, book resources for units, bar units from booking
BOOK_FOR_SELF = "book_for_self"  # book a shared resource of one's own community for oneself
MANAGE_CATALOGUE = "manage_catalogue"  # the case catalogue and the community work access catalogue
KEEP_LEDGERS = "keep_ledgers"  # write the house and resident ledgers, record door-knock visits
MANAGE_CARE = "manage_care"  # put residents in care groups and name who visits them
# Excel in and out of the ledgers (台账): the people who keep them — full-time grid workers for
# their grid, community staff, the street that consolidates its communities, administrators.
IMPORT_LEDGERS = "import_ledgers"
EXPORT_LEDGERS = "export_ledgers"
VIEW_INDICATORS = "view_indicators"  # the indicator dashboard, its exports and the hot spots of the scope
MANAGE_DISPATCH_AI = "manage_dispatch_ai"  # train, activate and roll back the dispatch classifier
# Party-building (党建引领): the party tree, members, dual reporting, lists, activities.
VIEW_PARTY = "view_party"
MANAGE_PARTY = "manage_party"  # keep organisations, members, lists and activities; confirm service
APPROVE_REPORTING = "approve_reporting"  # approve 双报到 registrations with the community
# Points (积分), rewards and unit scores.
VIEW_POINTS = "view_points"  # accounts, statements and rankings of the scope
RUN_REWARDS = "run_rewards"  # the rewards catalogue, its stock and redemptions at the counter
SELECT_MODELS = "select_models"  # record 最美家庭 and other model selections with their basis
MANAGE_UNIT_SCORES = "manage_unit_scores"  # score units in the area; bars and honours follow
EDIT_POINT_RULES = "edit_point_rules"  # points per activity type
# Deliberation (议事协商): propose, hear, meet and vote, carry out, evaluate.
PROPOSE_MATTER = "propose_matter"
HEAR_MATTERS = "hear_matters"  # screen proposals: merge, answer, turn into a case, put on an agenda
RUN_MEETINGS = "run_meetings"  # meetings, attendance, minutes, votes and their publication, tasks

STAFF_ROLES = frozenset(Role) - {Role.RESIDENT}

CAPABILITIES: dict[str, frozenset[str]] = {
    MANAGE_USERS: frozenset({Role.ADMINISTRATOR}),
    VIEW_AUDIT: frozenset({Role.ADMINISTRATOR}),
    IMPORT_GEOGRAPHY: frozenset({Role.ADMINISTRATOR}),
    MANAGE_CATALOGUE: frozenset({Role.ADMINISTRATOR}),
    MANAGE_DISPATCH_AI: frozenset({Role.ADMINISTRATOR}),
    VIEW_PEOPLE: frozenset(
        {
            Role.GRID_WORKER,
            Role.PART_TIME_GRID_WORKER,
            Role.BUILDING_HEAD,
            Role.COMMUNITY_STAFF,
            Role.STREET_DISPATCHER,
            Role.ADMINISTRATOR,
        }
    ),
    REVEAL_PII: frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.ADMINISTRATOR}),
    MANAGE_CALENDAR: frozenset({Role.ADMINISTRATOR}),
    VIEW_UNITS: STAFF_ROLES,
    MANAGE_UNITS: frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.PARTY_SECRETARY, Role.ADMINISTRATOR}),
    BOOK_FOR_SELF: frozenset({Role.RESIDENT}),
    KEEP_LEDGERS: frozenset(
        {
            Role.GRID_WORKER,
            Role.PART_TIME_GRID_WORKER,
            Role.BUILDING_HEAD,
            Role.COMMUNITY_STAFF,
            Role.ADMINISTRATOR,
        }
    ),
    MANAGE_CARE: frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.ADMINISTRATOR}),
    IMPORT_LEDGERS: frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.ADMINISTRATOR}),
    EXPORT_LEDGERS: frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.ADMINISTRATOR}),
    VIEW_INDICATORS: frozenset({Role.LEADER, Role.STREET_DISPATCHER, Role.ADMINISTRATOR, Role.DEPARTMENT_HANDLER}),
    VIEW_PARTY: STAFF_ROLES - {Role.HOTLINE_OPERATOR, Role.DEPARTMENT_HANDLER},
    MANAGE_PARTY: frozenset({Role.PARTY_SECRETARY, Role.COMMUNITY_STAFF, Role.ADMINISTRATOR}),
    APPROVE_REPORTING: frozenset({Role.PARTY_SECRETARY, Role.COMMUNITY_STAFF, Role.ADMINISTRATOR}),
    VIEW_POINTS: STAFF_ROLES - {Role.HOTLINE_OPERATOR, Role.DEPARTMENT_HANDLER},
    RUN_REWARDS: frozenset({Role.COMMUNITY_STAFF, Role.PARTY_SECRETARY, Role.ADMINISTRATOR}),
    SELECT_MODELS: frozenset({Role.COMMUNITY_STAFF, Role.PARTY_SECRETARY, Role.ADMINISTRATOR}),
    MANAGE_UNIT_SCORES: frozenset({Role.PARTY_SECRETARY, Role.COMMUNITY_STAFF, Role.ADMINISTRATOR}),
    EDIT_POINT_RULES: frozenset({Role.PARTY_SECRETARY, Role.ADMINISTRATOR}),
    PROPOSE_MATTER: frozenset(
        {
            Role.RESIDENT,
            Role.GRID_WORKER,
            Role.PART_TIME_GRID_WORKER,
            Role.BUILDING_HEAD,
            Role.COMMUNITY_STAFF,
        }
    ),
    HEAR_MATTERS: frozenset({Role.GRID_WORKER, Role.PARTY_SECRETARY, Role.COMMUNITY_STAFF, Role.ADMINISTRATOR}),
    RUN_MEETINGS: frozenset({Role.COMMUNITY_STAFF, Role.PARTY_SECRETARY, Role.GRID_WORKER, Role.ADMINISTRATOR}),
}

# Roles whose scope is a department rather than a region node.
DEPARTMENT_ROLES = frozenset({Role.DEPARTMENT_HANDLER})


REFUSALS = {
    MANAGE_USERS: _("只有管理员可以管理用户"),
    VIEW_AUDIT: _("只有管理员可以查看审计日志"),
    IMPORT_GEOGRAPHY: _("只有管理员可以导入区划和网格"),
    VIEW_PEOPLE: _("您的角色不能查看居民信息"),
    REVEAL_PII: _("您的角色不能查看完整的身份证号和手机号"),
    MANAGE_CALENDAR: _("只有管理员可以修改节假日和调休安排"),
    VIEW_UNITS: _("您的角色不能查看驻区单位台账"),
    MANAGE_UNITS: _("只有网格员、社区工作者、党组织书记和管理员可以维护驻区单位和共享资源"),
    BOOK_FOR_SELF: _("只有居民可以为自己预约共享资源；工作人员请代驻区单位预约"),
    MANAGE_CATALOGUE: _("只有管理员可以维护事项清单和准入目录"),
    KEEP_LEDGERS: _("您的角色不能修改房屋和居民台账"),
    MANAGE_CARE: _("您的角色不能管理关爱对象"),
    IMPORT_LEDGERS: _("您的角色不能导入台账"),
    EXPORT_LEDGERS: _("您的角色不能导出台账"),
    VIEW_INDICATORS: _("只有领导、派单员、部门承办人和管理员可以查看考核指标和热点"),
    MANAGE_DISPATCH_AI: _("只有管理员可以训练、启用或回退派单分类模型"),
    VIEW_PARTY: _("您的角色不能查看党建信息"),
    MANAGE_PARTY: _("只有党组织书记、社区工作者和管理员可以维护党组织、党员和服务清单"),
    APPROVE_REPORTING: _("只有党组织书记、社区工作者和管理员可以审核双报到"),
    VIEW_POINTS: _("您的角色不能查看积分台账"),
    RUN_REWARDS: _("只有社区工作者、党组织书记和管理员可以管理积分超市和兑换"),
    SELECT_MODELS: _("只有社区工作者、党组织书记和管理员可以评选先进典型"),
    MANAGE_UNIT_SCORES: _("只有党组织书记、社区工作者和管理员可以为驻区单位评分"),
    EDIT_POINT_RULES: _("只有党组织书记和管理员可以修改积分规则"),
    PROPOSE_MATTER: _("您的角色不能提出议事事项"),
    HEAR_MATTERS: _("只有网格员、党组织书记、社区工作者和管理员可以受理议事事项"),
    RUN_MEETINGS: _("只有社区工作者、党组织书记、网格员和管理员可以组织议事和表决"),
}


def role_can(role: str, capability: str) -> bool:
    return role in CAPABILITIES[capability]


def require(user, capability: str) -> None:
    """Raise Forbidden unless the user's role holds the capability (the object is in scope, the
    act is not allowed). `None` is the system itself (commands, the demo builder)."""
    from wangge.core.errors import Forbidden

    if user is not None and not user.can(capability):
        raise Forbidden(str(REFUSALS[capability]))
