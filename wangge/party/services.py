"""Writes to the party tree, the member roll and dual reporting (双报到). Every function is
atomic, keyword-only and leaves one audit record. `actor=None` is the system (demo builder);
any other actor must hold the capability and the objects must lie in their scope — outside it
they look missing. The lists, claims, activities and service records are in `lists.py` and
`activities.py`."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.roles import APPROVE_REPORTING, MANAGE_PARTY, REVEAL_PII, require
from wangge.core import audit, pii
from wangge.core.errors import Conflict, DomainError, NotFound
from wangge.core.scope import in_scope
from wangge.core.validators import check_id_number, check_mobile, parse_record_id, parse_text
from wangge.regions.models import Building, Compound, Household, Level
from wangge.registry.models import Resident
from wangge.units.models import Unit

from . import common
from .models import (
    LeftReason,
    Member,
    MemberStatus,
    Organisation,
    OrgCategory,
    OrgKind,
    Post,
    Registration,
    ReportingStatus,
)

# ---- organisations ---------------------------------------------------------------------------

# How deep each type sits in the tree; a child sits deeper than its parent.
KIND_DEPTH = {
    OrgKind.STREET_COMMITTEE: 0,
    OrgKind.COMMUNITY_COMMITTEE: 1,
    OrgKind.COMMITTEE: 1,
    OrgKind.GENERAL_BRANCH: 2,
    OrgKind.BRANCH: 3,
    OrgKind.JOINT_BRANCH: 3,
    OrgKind.GROUP: 4,
    OrgKind.CENTRE_HOUSEHOLD: 5,
}
# Where a territorial organisation of each type may sit.
KIND_LEVELS = {
    OrgKind.STREET_COMMITTEE: (Level.STREET,),
    OrgKind.COMMUNITY_COMMITTEE: (Level.COMMUNITY,),
    OrgKind.COMMITTEE: (Level.STREET, Level.COMMUNITY),
    OrgKind.GENERAL_BRANCH: (Level.STREET, Level.COMMUNITY, Level.GRID),
    OrgKind.BRANCH: (Level.COMMUNITY, Level.GRID, Level.MICROGRID),
    OrgKind.JOINT_BRANCH: (Level.STREET, Level.COMMUNITY, Level.GRID),
    OrgKind.GROUP: (Level.GRID, Level.MICROGRID),
    OrgKind.CENTRE_HOUSEHOLD: (Level.GRID, Level.MICROGRID),
}
ALL_PLACES = (Level.STREET, Level.COMMUNITY, Level.GRID, Level.MICROGRID)


def _organisation(actor, pk, *, field: str, ancestors_too: bool = False) -> Organisation:
    """An organisation in the actor's scope; with `ancestors_too`, also one above it (a
    community's staff hang their branches under the street's 党工委)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise DomainError(_("请选择党组织"), field=field) from None
    found = Organisation.objects.filter(pk=pk).select_related("region").first()
    if found is None:
        raise common.not_found(_("党组织"), field)
    if actor is not None:
        scope = actor.scope_key or ""
        if not (in_scope(actor, found.region_key) or (ancestors_too and scope.startswith(found.region_key))):
            raise common.not_found(_("党组织"), field)
    return found


def _unit(actor, code: str) -> Unit | None:
    code = (code or "").strip().upper()
    if not code:
        return None
    unit = Unit.objects.filter(credit_code=code).first()
    if unit is None or (actor is not None and not in_scope(actor, unit.region_key)):
        raise NotFound(
            _("统一社会信用代码为 %(code)s 的驻区单位不存在或不在您的管辖范围内") % {"code": code}, field="unit_code"
        )
    return unit


@transaction.atomic
def organisation_create(
    *,
    actor,
    name: str,
    kind: str,
    region_code: str,
    category: str = OrgCategory.TERRITORIAL,
    parent_id: int | None = None,
    compound_id: int | None = None,
    building_id: int | None = None,
    unit_code: str = "",
    served_region_codes: list[str] | tuple = (),
    secretary: str = "",
    founded_on: datetime.date | None = None,
) -> Organisation:
    """Add a node to the party tree where the actor works. A compound branch marks its compound
    as covered by a party organisation. Party secretaries, community staff, administrators."""
    require(actor, MANAGE_PARTY)
    organisation = Organisation(
        name=parse_text(name, "name", 120, label=_("名称"), required=True),
        kind=common.choice(kind, OrgKind, "kind", _("组织类型")),
        category=common.choice(category, OrgCategory, "category", _("组织类别")),
        secretary=parse_text(secretary, "secretary", 50, label=_("书记")),
        founded_on=founded_on,
    )
    levels = KIND_LEVELS[organisation.kind] if organisation.category == OrgCategory.TERRITORIAL else ALL_PLACES
    place = common.region(actor, region_code, field="region_code", levels=levels, label=_("所在区域"))
    organisation.region, organisation.region_key = place, place.key
    if parent_id not in (None, ""):
        parent = _organisation(actor, parent_id, field="parent_id", ancestors_too=True)
        if not place.key.startswith(parent.region_key):
            raise DomainError(
                _("上级组织 %(p)s 不在 %(r)s 之上") % {"p": parent.name, "r": place.name}, field="parent_id"
            )
        if KIND_DEPTH[organisation.kind] <= KIND_DEPTH[parent.kind]:
            raise DomainError(
                _("%(k)s不能设在%(p)s之下") % {"k": organisation.get_kind_display(), "p": parent.get_kind_display()},
                field="kind",
            )
        organisation.parent = parent
    if compound_id not in (None, ""):
        compound = Compound.objects.filter(pk=compound_id, region_key__startswith=place.key).first()
        if compound is None:
            raise NotFound(_("该小区不在 %(r)s 内") % {"r": place.name}, field="compound_id")
        organisation.compound = compound
    if building_id not in (None, ""):
        building = Building.objects.filter(pk=building_id, region_key__startswith=place.key[:15]).first()
        if building is None:
            raise NotFound(_("该楼栋不在 %(r)s 内") % {"r": place.name}, field="building_id")
        organisation.building = building
    organisation.unit = _unit(actor, unit_code)
    if organisation.category == OrgCategory.UNIT and organisation.unit is None:
        raise DomainError(_("驻区单位党组织须填写所属单位的统一社会信用代码"), field="unit_code")
    if Organisation.objects.filter(region=place, name=organisation.name).exists():
        raise DomainError(
            _("%(r)s 已有名为 %(n)s 的党组织") % {"r": place.name, "n": organisation.name},
            field="name",
            code="duplicate",
        )
    served = []
    for code in served_region_codes or ():
        served.append(common.region(actor, code, field="served_region_codes", levels=ALL_PLACES, label=_("服务区域")))
    common.full_clean(organisation)
    organisation.save()
    if served:
        organisation.served_regions.set(served)
    if organisation.compound_id and not organisation.compound.has_party_organisation:
        Compound.objects.filter(pk=organisation.compound_id).update(has_party_organisation=True)
    audit.record(
        actor=actor,
        verb="party.organisation.create",
        target=organisation,
        scope_key=organisation.region_key,
        after={**audit.snapshot(organisation), "served": [r.code for r in served]},
    )
    return organisation


@transaction.atomic
def organisation_update(
    *, actor, organisation: Organisation, name: str | None = None, kind: str | None = None, secretary: str | None = None
) -> Organisation:
    """Rename or re-type an organisation — what a formation warning asks for (a branch that
    outgrew fifty members becomes a general branch)."""
    require(actor, MANAGE_PARTY)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if actor is not None and not in_scope(actor, organisation.region_key):
        raise common.not_found(_("党组织"))
    before = audit.snapshot(organisation)
    if name is not None:
        organisation.name = parse_text(name, "name", 120, label=_("名称"), required=True)
        if (
            Organisation.objects.filter(region_id=organisation.region_id, name=organisation.name)
            .exclude(pk=organisation.pk)
            .exists()
        ):
            raise DomainError(_("同一区域已有同名党组织"), field="name", code="duplicate")
    if kind is not None:
        organisation.kind = common.choice(kind, OrgKind, "kind", _("组织类型"))
        depth = KIND_DEPTH[organisation.kind]
        if organisation.parent_id and depth <= KIND_DEPTH[organisation.parent.kind]:
            raise DomainError(_("新类型不能低于或等于上级组织的层级"), field="kind")
        if any(KIND_DEPTH[child.kind] <= depth for child in organisation.children.all()):
            raise DomainError(_("新类型不能高于或等于其下级组织的层级"), field="kind")
    if secretary is not None:
        organisation.secretary = parse_text(secretary, "secretary", 50, label=_("书记"))
    after = audit.snapshot(organisation)
    if after != before:
        common.full_clean(organisation)
        organisation.save()
        audit.record(
            actor=actor,
            verb="party.organisation.update",
            target=organisation,
            scope_key=organisation.region_key,
            before=before,
            after=after,
        )
    return organisation


@transaction.atomic
def organisation_delete(*, actor, organisation: Organisation) -> None:
    """Remove an organisation registered by mistake or dissolved (撤销). Only an empty one: while
    it has lower organisations, members or any record of its work (双报到, resources, claims,
    service records), the refusal says what is still there — those are moved or kept first.
    The records of members who have left go to the parent organisation (they cannot be edited,
    and losing its members is the usual reason to dissolve one); without a parent they keep it."""
    require(actor, MANAGE_PARTY)
    organisation = Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    if organisation is None or (actor is not None and not in_scope(actor, organisation.region_key)):
        raise common.not_found(_("党组织"))
    held = [
        (label, count)
        for label, count in (
            (_("下级组织"), organisation.children.count()),
            (_("党员"), organisation.members.filter(left_on__isnull=True).count()),
            (
                _("已离开党员的记录（无上级组织可接收）"),
                organisation.members.filter(left_on__isnull=False).count() if not organisation.parent_id else 0,
            ),
            (_("双报到记录"), organisation.registrations.count()),
            (_("资源"), organisation.offers.count()),
            (_("认领"), organisation.claims.count()),
            (_("服务记录"), organisation.service_records.count()),
        )
        if count
    ]
    if held:
        listing = "、".join(f"{label} {count}" for label, count in held)
        raise Conflict(
            _("%(name)s 还有%(listing)s，不能撤销；请先转走或处理") % {"name": organisation.name, "listing": listing},
            field="organisation",
        )
    before = audit.snapshot(organisation)
    compound_id = organisation.compound_id
    moved = list(organisation.members.filter(left_on__isnull=False).values_list("pk", flat=True))
    if moved:
        Member.objects.filter(pk__in=moved).update(organisation_id=organisation.parent_id, updated_at=timezone.now())
    audit.record(
        actor=actor,
        verb="party.organisation.delete",
        target=organisation,
        scope_key=organisation.region_key,
        before=before,
        after={"former_members_moved_to": organisation.parent_id, "former_members": moved} if moved else None,
    )
    organisation.delete()
    if compound_id and not Organisation.objects.filter(compound_id=compound_id).exists():
        Compound.objects.filter(pk=compound_id).update(has_party_organisation=False)


# ---- members ---------------------------------------------------------------------------------


def _place_member(member: Member, actor, *, household_id, grid_code) -> None:
    """Where a member lives: their registry household when the ID number is in the resident
    ledger, else the household or grid given."""
    resident = Resident.objects.select_related("household").filter(id_index=member.id_index).first()
    if resident is not None and resident.household_id:
        member.resident, member.household, member.home_grid = resident, resident.household, None
        member.region_key = resident.household.region_key
        return
    member.resident = resident
    household_id = parse_record_id(household_id, field="household_id", label=_("住户"))
    if household_id is not None:
        household = Household.objects.filter(pk=household_id).first()
        if household is None or (actor is not None and not in_scope(actor, household.region_key)):
            raise common.not_found(_("住户"), "household_id")
        member.household, member.home_grid, member.region_key = household, None, household.region_key
        return
    if grid_code:
        grid = common.region(
            actor, grid_code, field="grid_code", levels=(Level.GRID, Level.MICROGRID), label=_("居住网格")
        )
        member.household, member.home_grid, member.region_key = None, grid, grid.key
        return
    raise DomainError(_("该身份证号不在居民台账中：请填写党员居住的网格或住户"), field="grid_code")


@transaction.atomic
def member_create(
    *,
    actor,
    name: str,
    id_number: str,
    joined_on,
    organisation_id: int,
    status: str = MemberStatus.FULL,
    phone: str = "",
    household_id: int | None = None,
    grid_code: str = "",
    in_service: bool = False,
    employer_code: str = "",
    employer_name: str = "",
    post: str = "",
    post_duty: str = "",
    shows_identity: bool = True,
    user_id: int | None = None,
) -> Member:
    """Enter a party member on the roll of an organisation in the actor's scope. A member whose
    ID number is in the resident ledger is linked to that resident and household."""
    require(actor, MANAGE_PARTY)
    member = Member(
        name=parse_text(name, "name", 50, label=_("姓名"), required=True),
        status=common.choice(status, MemberStatus, "status", _("党员类别")),
        joined_on=common.date(joined_on, "joined_on", _("入党日期")),
        in_service=bool(in_service),
        post=common.choice(post or "", Post, "post", _("岗位")),
        post_duty=parse_text(post_duty, "post_duty", 200, label=_("岗位职责")),
        shows_identity=bool(shows_identity),
    )
    if member.joined_on > timezone.localdate():
        raise DomainError(_("入党日期不能晚于今天"), field="joined_on")
    number = (id_number or "").strip().upper()
    reason = check_id_number(number)
    if reason:
        raise DomainError(str(reason), field="id_number")
    member.id_cipher, member.id_index, member.id_masked = pii.protect_id_number(number)
    earlier = Member.objects.filter(id_index=member.id_index).first()
    if earlier is not None and earlier.left_on is not None:
        raise DomainError(
            _("身份证号 %(m)s 的党员曾在册，已于 %(d)s 离开；其记录保留在“已离开”名单中")
            % {"m": member.id_masked, "d": earlier.left_on.isoformat()},
            field="id_number",
            code="duplicate",
        )
    if earlier is not None:
        raise DomainError(
            _("身份证号 %(m)s 的党员已在册") % {"m": member.id_masked}, field="id_number", code="duplicate"
        )
    phone = (phone or "").strip()
    if phone and check_mobile(phone):
        raise DomainError(str(check_mobile(phone)), field="phone")
    member.phone_cipher, member.phone_index, member.phone_masked = pii.protect_phone(phone)
    member.organisation = _organisation(actor, organisation_id, field="organisation_id")
    _place_member(member, actor, household_id=household_id, grid_code=(grid_code or "").strip())
    member.employer = _unit(None, employer_code) if employer_code else None
    if employer_code and member.employer is None:
        raise NotFound(_("工作单位未登记为驻区单位"), field="employer_code")
    member.employer_name = parse_text(employer_name, "employer_name", 120, label=_("工作单位"))
    if member.in_service and not (member.employer_id or member.employer_name):
        raise DomainError(_("在职党员须填写工作单位"), field="employer_name")
    user_id = parse_record_id(user_id, field="user_id", label=_("账号"))
    if user_id is not None:
        from wangge.accounts.models import User

        member.user = User.objects.select_related("scope_region", "scope_department").filter(pk=user_id).first()
        # Linking an account lets it claim for the member: only an account of the actor's scope.
        if member.user is None or (actor is not None and not in_scope(actor, member.user.scope_key or "-")):
            raise NotFound(_("账号不存在或不在您的管辖范围内"), field="user_id")
    common.full_clean(member, exclude=["resident", "user"])
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        raise DomainError(
            _("该党员已在册，或该居民、账号已关联其他党员"), field="id_number", code="duplicate"
        ) from None
    audit.record(
        actor=actor,
        verb="party.member.create",
        target=member,
        scope_key=member.region_key,
        after=audit.snapshot(member),
    )
    return member


def member_in_scope(actor, member: Member) -> bool:
    """Staff see a member who lives in their scope or whose organisation sits there."""
    return actor is None or in_scope(actor, member.region_key) or in_scope(actor, member.organisation.region_key)


@transaction.atomic
def member_update(
    *,
    actor,
    member: Member,
    status: str | None = None,
    organisation_id: int | None = None,
    post: str | None = None,
    post_duty: str | None = None,
    shows_identity: bool | None = None,
    in_service: bool | None = None,
    employer_name: str | None = None,
) -> Member:
    """Change a member's standing, organisation or post (设岗定责); None keeps a field."""
    require(actor, MANAGE_PARTY)
    member = Member.objects.select_for_update().select_related("organisation").get(pk=member.pk)
    if not member_in_scope(actor, member):
        raise common.not_found(_("党员"))
    if member.left_on is not None:
        raise Conflict(_("%(name)s 已离开党员名册，不能再修改") % {"name": member.name}, field="member")
    before = audit.snapshot(member)
    if status is not None:
        member.status = common.choice(status, MemberStatus, "status", _("党员类别"))
    # The page posts the current organisation back with every save; only a change (a transfer)
    # needs the new organisation in the actor's scope.
    if organisation_id is not None and str(organisation_id) != str(member.organisation_id):
        member.organisation = _organisation(actor, organisation_id, field="organisation_id")
    if post is not None:
        member.post = common.choice(post, Post, "post", _("岗位"))
    if post_duty is not None:
        member.post_duty = parse_text(post_duty, "post_duty", 200, label=_("岗位职责"))
    if shows_identity is not None:
        member.shows_identity = bool(shows_identity)
    if in_service is not None:
        member.in_service = bool(in_service)
    if employer_name is not None:
        member.employer_name = parse_text(employer_name, "employer_name", 120, label=_("工作单位"))
    if member.in_service and not (member.employer_id or member.employer_name):
        raise DomainError(_("在职党员须填写工作单位"), field="employer_name")
    after = audit.snapshot(member)
    if after != before:
        member.save()
        audit.record(
            actor=actor,
            verb="party.member.update",
            target=member,
            scope_key=member.region_key,
            before=before,
            after=after,
        )
    return member


@transaction.atomic
def member_leave(*, actor, member: Member, reason: str, on=None, note: str = "") -> Member:
    """Take a member off the roll (转出, 去世 …) from a date. The record stays — their service,
    reports and points are history — but they no longer count, show a 党员户 plaque or take part;
    their approved 双报到 registrations end with the same note. A transfer out names where to."""
    require(actor, MANAGE_PARTY)
    member = Member.objects.select_for_update().select_related("organisation").get(pk=member.pk)
    if not member_in_scope(actor, member):
        raise common.not_found(_("党员"))
    if member.left_on is not None:
        raise Conflict(
            _("%(name)s 已于 %(d)s 离开党员名册") % {"name": member.name, "d": member.left_on.isoformat()},
            field="member",
        )
    reason = common.choice(reason, LeftReason, "reason", _("离开原因"))
    on = common.date(on, "on", _("离开日期")) if on not in (None, "") else timezone.localdate()
    if on > timezone.localdate() or on < member.joined_on:
        raise DomainError(_("离开日期应在入党日期之后、不晚于今天"), field="on")
    note = parse_text(note, "note", 200, label=_("转往的党组织"), required=reason == LeftReason.TRANSFERRED_OUT)
    before = audit.snapshot(member, ["left_on", "left_reason", "left_note"])
    member.left_on, member.left_reason, member.left_note = on, reason, note
    member.save(update_fields=["left_on", "left_reason", "left_note", "updated_at"])
    closing = (
        (ReportingStatus.APPROVED, ReportingStatus.ENDED),
        (ReportingStatus.PENDING, ReportingStatus.REJECTED),
    )
    for current, to in closing:
        for registration in member.registrations.select_for_update().filter(status=current):
            # A returned registration needs a reason of two characters or more; a shorter note
            # (无) gives way to the general one rather than stopping the leave.
            closing_reason = note if len(note) >= 2 else _("党员已离开名册（%(r)s）") % {"r": LeftReason(reason).label}
            _registration_move(registration, to, closing_reason, actor=actor)
    audit.record(
        actor=actor,
        verb="party.member.leave",
        target=member,
        scope_key=member.region_key,
        before=before,
        after=audit.snapshot(member, ["left_on", "left_reason", "left_note"]),
    )
    return member


MEMBER_REVEAL_FIELDS = {"id_number": "id_cipher", "phone": "phone_cipher"}


@transaction.atomic
def member_reveal(*, actor, member: Member, field: str, reason: str) -> str:
    """A member's ID number or phone in full (for 组织关系转接, a visit …), for a stated reason,
    recorded in the audit log without the value. Only roles holding REVEAL_PII, in scope."""
    if not member_in_scope(actor, member):
        raise common.not_found(_("党员"))
    if field not in MEMBER_REVEAL_FIELDS:
        raise DomainError(_("只能查看身份证号或手机号"), field="field")
    if not getattr(member, MEMBER_REVEAL_FIELDS[field]):
        raise DomainError(_("该党员没有登记手机号"), field="field")
    return pii.reveal(
        actor=actor,
        obj=member,
        cipher=MEMBER_REVEAL_FIELDS[field],
        reason=reason,
        verb="party.member.reveal",
        capability=REVEAL_PII,
        after={"field": field},
    )


# ---- dual reporting (双报到) -----------------------------------------------------------------

# The one table of moves; anything else is refused with the current state named.
REGISTRATION_TRANSITIONS = {
    ("pending", "approved"): "approve",
    ("pending", "rejected"): "reject",
    ("approved", "ended"): "end",
}


@transaction.atomic
def registration_create(
    *,
    actor,
    community_code: str,
    organisation_id: int | None = None,
    member_id: int | None = None,
    grid_code: str = "",
    note: str = "",
) -> Registration:
    """A unit's party organisation reports to the community where it sits, or an in-service
    member to the community (and grid) where they live. Staff of that community enter it; a
    member with an account may enter their own."""
    community = common.region(None, community_code, field="community_code", levels=(Level.COMMUNITY,), label=_("社区"))
    organisation_id = parse_record_id(organisation_id, field="organisation_id", label=_("党组织"))
    member_id = parse_record_id(member_id, field="member_id", label=_("党员"))
    if (organisation_id is None) == (member_id is None):
        raise DomainError(_("请选择报到的党组织或党员（二选一）"), field="organisation_id")
    registration = Registration(community=community, region_key=community.key)
    registration.note = parse_text(note, "note", 200, label=_("报到说明"))
    own = False
    if organisation_id is not None:
        organisation = Organisation.objects.filter(pk=organisation_id).first()
        if organisation is None or not (
            actor is None or in_scope(actor, organisation.region_key) or in_scope(actor, community.key)
        ):
            raise common.not_found(_("党组织"), "organisation_id")
        if organisation.category == OrgCategory.TERRITORIAL:
            raise DomainError(_("区域党组织不需要报到；双报到适用于驻区单位等党组织"), field="organisation_id")
        if not organisation.region_key.startswith(community.key):
            raise DomainError(
                _("%(o)s 不在 %(c)s：单位党组织向所在社区报到") % {"o": organisation.name, "c": community.name},
                field="community_code",
            )
        registration.organisation = organisation
        reporter_label = organisation.name
    else:
        member = Member.objects.select_related("organisation").filter(pk=member_id, left_on__isnull=True).first()
        own = member is not None and actor is not None and member.user_id == actor.pk
        if member is None or not (
            own or actor is None or member_in_scope(actor, member) or in_scope(actor, community.key)
        ):
            raise common.not_found(_("党员"), "member_id")
        if not member.in_service:
            raise DomainError(_("只有在职党员需要向居住地社区报到"), field="member_id")
        if not member.region_key.startswith(community.key):
            raise DomainError(
                _("%(m)s 不住在 %(c)s：在职党员向居住地社区报到") % {"m": member.name, "c": community.name},
                field="community_code",
            )
        registration.member = member
        reporter_label = member.name
        if grid_code:
            registration.grid = common.region(
                None, grid_code, field="grid_code", levels=(Level.GRID,), label=_("报到网格")
            )
            if not registration.grid.key.startswith(community.key):
                raise DomainError(_("报到网格不在该社区内"), field="grid_code")
            registration.region_key = registration.grid.key
    if not own:
        require(actor, MANAGE_PARTY)
    live = Registration.objects.filter(
        community=community,
        organisation=registration.organisation,
        member=registration.member,
        status__in=[ReportingStatus.PENDING, ReportingStatus.APPROVED],
    ).first()
    if live is not None:
        raise Conflict(
            _("%(r)s 已向 %(c)s 报到（%(s)s）")
            % {"r": reporter_label, "c": community.name, "s": live.get_status_display()}
        )
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError:
        raise Conflict(_("%(r)s 已向 %(c)s 报到") % {"r": reporter_label, "c": community.name}) from None
    audit.record(
        actor=actor,
        verb="party.registration.create",
        target=registration,
        scope_key=registration.region_key,
        after=audit.snapshot(registration),
    )
    return registration


@transaction.atomic
def registration_decide(*, actor, registration: Registration, status: str, reason: str = "") -> Registration:
    """The community approves or rejects (with a reason) a pending registration, or ends an
    approved one. 党组织书记, community staff and administrators of that community."""
    require(actor, APPROVE_REPORTING)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if actor is not None and not in_scope(actor, registration.region_key):
        raise common.not_found(_("报到记录"))
    return _registration_move(registration, status, reason, actor=actor)


def _registration_move(registration: Registration, status: str, reason: str, *, actor) -> Registration:
    """Move a locked registration along REGISTRATION_TRANSITIONS, recorded as the actor's doing.
    Callers have checked who may: `registration_decide` the approver, `member_leave` the staff
    taking the member off the roll (whose registrations may lie in another community)."""
    move = (registration.status, status)
    if move not in REGISTRATION_TRANSITIONS:
        raise Conflict(
            _("该报到当前为“%(s)s”，不能改为“%(t)s”")
            % {
                "s": registration.get_status_display(),
                "t": dict(ReportingStatus.choices).get(status, status),
            },
            field="status",
        )
    reason = parse_text(reason, "reason", 200, label=_("审核意见"), required=status == ReportingStatus.REJECTED)
    if status == ReportingStatus.REJECTED and len(reason) < 2:
        raise DomainError(_("退回时请写明原因（至少2个字）"), field="reason")
    before = audit.snapshot(registration, ["status", "reason"])
    registration.status, registration.reason = status, reason
    registration.decided_by = actor if actor is not None and actor.pk else None
    registration.decided_at = timezone.now()
    registration.save(update_fields=["status", "reason", "decided_by", "decided_at", "updated_at"])
    audit.record(
        actor=actor,
        verb=f"party.registration.{REGISTRATION_TRANSITIONS[move]}",
        target=registration,
        scope_key=registration.region_key,
        before=before,
        after=audit.snapshot(registration, ["status", "reason"]),
    )
    return registration


def approved_registration(*, community_key: str, organisation=None, member=None) -> Registration | None:
    return Registration.objects.filter(
        community__key=community_key, organisation=organisation, member=member, status=ReportingStatus.APPROVED
    ).first()
