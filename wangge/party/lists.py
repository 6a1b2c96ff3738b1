"""The three lists of dual reporting and two-way claiming (双向认领): needs from residents, grids
and communities, which registered unit organisations and members claim; resources those offer,
which communities claim; and the community's service projects, which they join. Only a
reporter whose registration with that community is approved may claim or offer there."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from wangge.accounts.roles import MANAGE_PARTY, Role, require
from wangge.core import audit
from wangge.core.errors import Conflict, DomainError, Forbidden
from wangge.core.scope import in_scope
from wangge.core.validators import parse_record_id, parse_text
from wangge.regions.models import Level

from . import common
from .models import Claim, ClaimStatus, ItemStatus, Member, Need, NeedSource, Offer, Organisation, Project
from .services import approved_registration, member_in_scope


def _reporter(actor, *, organisation_id, member_id, community_key: str):
    """The unit organisation or member acting, with an approved registration in the community.
    Staff with MANAGE_PARTY act for anyone there; a member with an account acts for themself."""
    organisation_id = parse_record_id(organisation_id, field="organisation_id", label=_("党组织"))
    member_id = parse_record_id(member_id, field="member_id", label=_("党员"))
    if (organisation_id is None) == (member_id is None):
        raise DomainError(_("请选择认领的党组织或党员（二选一）"), field="organisation_id")
    organisation = member = None
    if organisation_id is not None:
        organisation = Organisation.objects.filter(pk=organisation_id).first()
        if organisation is None or not (
            actor is None or in_scope(actor, organisation.region_key) or in_scope(actor, community_key)
        ):
            raise common.not_found(_("党组织"), "organisation_id")
        require(actor, MANAGE_PARTY)
        label = organisation.name
    else:
        member = Member.objects.select_related("organisation").filter(pk=member_id, left_on__isnull=True).first()
        own = member is not None and actor is not None and member.user_id == actor.pk
        if member is None or not (
            own or actor is None or member_in_scope(actor, member) or in_scope(actor, community_key)
        ):
            raise common.not_found(_("党员"), "member_id")
        if not own:
            require(actor, MANAGE_PARTY)
        label = member.name
    if approved_registration(community_key=community_key, organisation=organisation, member=member) is None:
        raise DomainError(
            _("%(who)s 尚未通过向该社区的双报到审核，不能认领或提供资源") % {"who": label},
            field="organisation_id" if organisation else "member_id",
        )
    return organisation, member


# ---- the lists ------------------------------------------------------------------------------


@transaction.atomic
def need_create(*, actor, title: str, region_code: str, source: str = "", description: str = "") -> Need:
    """Put a need on the list of a community, grid or micro-grid in the actor's scope. A resident
    files a resident's need in their own grid; grid workers a grid's; party staff any source. The
    hotline and departments take no part in the community's lists (common.takes_part)."""
    if actor is not None and not common.takes_part(actor):
        raise Forbidden(_("您的角色不参与社区的需求清单"))
    place = common.region(
        actor, region_code, field="region_code", levels=(Level.COMMUNITY, Level.GRID, Level.MICROGRID), label=_("区域")
    )
    if actor is not None and actor.role == Role.RESIDENT:
        source = NeedSource.RESIDENT
    elif actor is not None and not actor.can(MANAGE_PARTY):
        source = NeedSource.GRID
    need = Need(
        title=parse_text(title, "title", 100, label=_("需求"), required=True),
        description=parse_text(description, "description", 2000, label=_("说明")),
        source=common.choice(source or NeedSource.COMMUNITY, NeedSource, "source", _("来源")),
        region=place,
        region_key=place.key,
        created_by=actor if actor is not None and actor.pk else None,
    )
    need.save()
    audit.record(
        actor=actor, verb="party.need.create", target=need, scope_key=need.region_key, after=audit.snapshot(need)
    )
    return need


@transaction.atomic
def offer_create(
    *, actor, title: str, community_code: str, organisation_id=None, member_id=None, description: str = ""
) -> Offer:
    """A registered unit organisation or member offers a resource to the community they report to."""
    community = common.region(None, community_code, field="community_code", levels=(Level.COMMUNITY,), label=_("社区"))
    organisation, member = _reporter(
        actor, organisation_id=organisation_id, member_id=member_id, community_key=community.key
    )
    offer = Offer(
        title=parse_text(title, "title", 100, label=_("资源"), required=True),
        description=parse_text(description, "description", 2000, label=_("说明")),
        organisation=organisation,
        member=member,
        community=community,
        region_key=community.key,
    )
    offer.save()
    audit.record(
        actor=actor, verb="party.offer.create", target=offer, scope_key=offer.region_key, after=audit.snapshot(offer)
    )
    return offer


@transaction.atomic
def project_create(*, actor, title: str, community_code: str, description: str = "") -> Project:
    """A community's service project, open for units and members to join."""
    require(actor, MANAGE_PARTY)
    community = common.region(actor, community_code, field="community_code", levels=(Level.COMMUNITY,), label=_("社区"))
    project = Project(
        title=parse_text(title, "title", 100, label=_("项目"), required=True),
        description=parse_text(description, "description", 2000, label=_("说明")),
        community=community,
        region_key=community.key,
    )
    project.save()
    audit.record(
        actor=actor,
        verb="party.project.create",
        target=project,
        scope_key=project.region_key,
        after=audit.snapshot(project),
    )
    return project


# ---- claims ---------------------------------------------------------------------------------


def _save_claim(claim: Claim, message: str) -> None:
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError:
        raise Conflict(message) from None


def _record_claim(actor, claim: Claim, verb: str) -> None:
    audit.record(
        actor=actor,
        verb=verb,
        target=claim,
        target_label=f"{claim.claimant} → {claim.item}",
        scope_key=claim.region_key,
        after=audit.snapshot(claim),
    )


@transaction.atomic
def need_claim(*, actor, need: Need, organisation_id=None, member_id=None, note: str = "") -> Claim:
    """A registered unit organisation or member takes up an open need of the community."""
    need = Need.objects.select_for_update().get(pk=need.pk)
    if not common.reachable(actor, need.region_key):
        raise common.not_found(_("需求"))
    organisation, member = _reporter(
        actor, organisation_id=organisation_id, member_id=member_id, community_key=common.community_of(need.region_key)
    )
    if need.status != ItemStatus.OPEN:
        raise Conflict(_("该需求当前为“%(s)s”，不能再认领") % {"s": need.get_status_display()})
    claim = Claim(
        need=need,
        organisation=organisation,
        member=member,
        region_key=need.region_key,
        note=parse_text(note, "note", 200, label=_("说明")),
        claimed_by=actor if actor is not None and actor.pk else None,
    )
    _save_claim(claim, _("已认领过该需求"))
    need.status = ItemStatus.CLAIMED
    need.save(update_fields=["status", "updated_at"])
    _record_claim(actor, claim, "party.need.claim")
    return claim


@transaction.atomic
def project_join(*, actor, project: Project, organisation_id=None, member_id=None, note: str = "") -> Claim:
    """A registered unit organisation or member joins an open service project."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    if not common.reachable(actor, project.region_key):
        raise common.not_found(_("项目"))
    organisation, member = _reporter(
        actor, organisation_id=organisation_id, member_id=member_id, community_key=project.region_key
    )
    if project.status != ItemStatus.OPEN:
        raise Conflict(_("该项目当前为“%(s)s”，不能再加入") % {"s": project.get_status_display()})
    claim = Claim(
        project=project,
        organisation=organisation,
        member=member,
        region_key=project.region_key,
        note=parse_text(note, "note", 200, label=_("说明")),
        claimed_by=actor if actor is not None and actor.pk else None,
    )
    _save_claim(claim, _("已加入该项目"))
    _record_claim(actor, claim, "party.project.join")
    return claim


@transaction.atomic
def offer_claim(*, actor, offer: Offer, community_code: str = "", note: str = "") -> Claim:
    """The community takes up a resource a registered unit or member offered it."""
    require(actor, MANAGE_PARTY)
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if actor is not None and not in_scope(actor, offer.region_key):
        raise common.not_found(_("资源"))
    community = offer.community
    if community_code and community_code != community.code:
        raise DomainError(_("资源只能由其报到的社区认领"), field="community_code")
    if offer.status != ItemStatus.OPEN:
        raise Conflict(_("该资源当前为“%(s)s”，不能再认领") % {"s": offer.get_status_display()})
    claim = Claim(
        offer=offer,
        community=community,
        region_key=offer.region_key,
        note=parse_text(note, "note", 200, label=_("说明")),
        claimed_by=actor if actor is not None and actor.pk else None,
    )
    _save_claim(claim, _("社区已认领该资源"))
    offer.status = ItemStatus.CLAIMED
    offer.save(update_fields=["status", "updated_at"])
    _record_claim(actor, claim, "party.offer.claim")
    return claim


# The one table of claim moves, and what each does to the item claimed.
CLAIM_TRANSITIONS = {
    ("active", "done"): ItemStatus.DONE,
    ("active", "withdrawn"): ItemStatus.OPEN,
}


@transaction.atomic
def claim_close(*, actor, claim: Claim, status: str) -> Claim:
    """Mark a claim done (the need met, the resource used) or withdrawn (the item is open again).
    Projects stay open for others either way."""
    require(actor, MANAGE_PARTY)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if actor is not None and not in_scope(actor, claim.region_key):
        raise common.not_found(_("认领"))
    move = (claim.status, status)
    if move not in CLAIM_TRANSITIONS:
        raise Conflict(
            _("该认领当前为“%(s)s”，不能改为“%(t)s”")
            % {"s": claim.get_status_display(), "t": dict(ClaimStatus.choices).get(status, status)},
            field="status",
        )
    claim.status = status
    claim.save(update_fields=["status", "updated_at"])
    item = claim.need or claim.offer
    if item is not None:
        item.status = CLAIM_TRANSITIONS[move]
        item.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=actor,
        verb=f"party.claim.{status}",
        target=claim,
        target_label=f"{claim.claimant} → {claim.item}",
        scope_key=claim.region_key,
        before={"status": move[0]},
        after={"status": status},
    )
    return claim
