"""Party pages. Each view parses a form, calls one selector or service and renders; scope and
rules live below, so a page never shows or does more than the API would. Pages are narrow
cards that work on a phone: the organiser shows the check-in code from one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.roles import APPROVE_REPORTING, MANAGE_PARTY, REVEAL_PII, VIEW_PARTY, require
from wangge.core.errors import DomainError
from wangge.core.scope import scope_key_of
from wangge.regions.models import Compound

from . import lists, selectors, services
from .forms import (
    ClaimForm,
    DecideForm,
    MemberEditForm,
    MemberFilterForm,
    MemberForm,
    MemberLeaveForm,
    NeedForm,
    OfferForm,
    OrganisationEditForm,
    OrganisationForm,
    ProjectForm,
    RegistrationForm,
    ReporterField,
)
from .models import ItemStatus, Member, OrgCategory, ReportingStatus

PAGE_SIZE = 30
# Service fields → the form field a person filled in.
RENAME = {"organisation_id": "reporter", "member_id": "reporter", "user_id": "username"}


def _apply(form, error: DomainError) -> None:
    details = error.details or [{"field": error.field, "message": error.message}]
    for detail in details:
        name = RENAME.get(detail.get("field"), detail.get("field"))
        form.add_error(name if name in form.fields else None, detail["message"])


def _refused(request, error: DomainError) -> None:
    """A refused action returns to its page with the reason; a role refusal is the 403 page."""
    if error.status == 403:
        raise error
    messages.error(request, error.message)


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _form_page(request, form, title: str, **extra):
    return render(request, "party/form.html", {"form": form, "title": title, **extra})


def _organisation_choices(user, *, blank: str = "") -> list:
    choices = [("", blank)] if blank else []
    return choices + [
        (o.pk, f"{o.name}（{o.get_kind_display()}）") for o in selectors.organisation_list(user=user)[:1000]
    ]


def _reporter_choices(user, *, approved: bool) -> list:
    if approved:
        found = selectors.approved_reporters(user=user)
        organisations, members = found["organisations"], found["members"]
    else:
        organisations = selectors.organisation_list(user=user).exclude(category=OrgCategory.TERRITORIAL)[:500]
        members = selectors.member_list(user=user).filter(in_service=True)[:500]
    return (
        [("", "—")]
        + [(f"org:{o.pk}", o.name) for o in organisations]
        + [(f"member:{m.pk}", f"{m.name}（{_('党员')}）") for m in members]
    )


# ---- the tree ---------------------------------------------------------------------------------


@login_required
def tree(request):
    nodes = selectors.party_tree(user=request.user)
    return render(
        request,
        "party/tree.html",
        {
            "nodes": nodes,
            "warned": sum(1 for node in nodes if node.warnings),
            "can_manage": request.user.can(MANAGE_PARTY),
        },
    )


@login_required
def coverage(request):
    return render(request, "party/coverage.html", {"gaps": selectors.coverage_gaps(user=request.user)})


@login_required
def organisation_create(request):
    require(request.user, MANAGE_PARTY)
    form = OrganisationForm(request.POST or None, initial={"region_code": request.GET.get("region", "")})
    scope = scope_key_of(request.user) or "-"
    # Parents may sit above the user's scope: a community's staff hang branches under the street's 党工委.
    above = selectors.organisations_just_above_scope(user=request.user)
    form.fields["parent_id"].choices = (
        [("", "—")] + [(o.pk, o.name) for o in above] + _organisation_choices(request.user)
    )
    compounds = Compound.objects.filter(region_key__startswith=scope).order_by("region_key", "name")
    form.fields["compound_id"].choices = [("", "—")] + [(c.pk, c.name) for c in compounds[:1000]]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organisation = services.organisation_create(
                actor=request.user,
                name=data["name"],
                kind=data["kind"],
                category=data["category"],
                region_code=data["region_code"],
                parent_id=data["parent_id"] or None,
                compound_id=data["compound_id"] or None,
                unit_code=data["unit_code"],
                served_region_codes=form.codes(),
                secretary=data["secretary"],
            )
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(request, _("已建立 %(n)s") % {"n": organisation.name})
            return redirect("party:organisation", pk=organisation.pk)
    return _form_page(request, form, _("建立党组织"), back="party:tree")


@login_required
def organisation_detail(request, pk):
    user = request.user
    organisation = selectors.organisation_get(user=user, pk=pk)
    node = next((n for n in selectors.party_tree(user=user) if n.organisation.pk == organisation.pk), None)
    form = OrganisationEditForm(
        request.POST or None,
        initial={"name": organisation.name, "kind": organisation.kind, "secretary": organisation.secretary},
    )
    if request.method == "POST":
        require(user, MANAGE_PARTY)
        if form.is_valid():
            try:
                services.organisation_update(actor=user, organisation=organisation, **form.cleaned_data)
            except DomainError as error:
                _apply(form, error)
            else:
                messages.success(request, _("已保存"))
                return redirect("party:organisation", pk=organisation.pk)
    return render(
        request,
        "party/organisation.html",
        {
            "organisation": organisation,
            "node": node,
            "members": selectors.member_list(user=user, organisation=organisation)[:200],
            "children": selectors.visible_organisations(user=user).filter(parent=organisation),
            "served": organisation.served_regions.all(),
            "form": form,
            "can_manage": user.can(MANAGE_PARTY),
        },
    )


# ---- members ----------------------------------------------------------------------------------


@login_required
def member_list(request):
    form = MemberFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    members = selectors.member_list(
        user=request.user, q=filters.get("q", ""), status=filters.get("status", ""), post=filters.get("post", "")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "party/members.html",
        {
            "form": form,
            "page": _page(request, members),
            "query": query.urlencode(),
            "can_manage": request.user.can(MANAGE_PARTY),
        },
    )


@login_required
def member_create(request):
    require(request.user, MANAGE_PARTY)
    form = MemberForm(request.POST or None, initial={"status": "full", "shows_identity": True})
    form.fields["organisation_id"].choices = _organisation_choices(request.user, blank="—")
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        username = data.pop("username")
        try:
            if username:
                from wangge.accounts.models import User

                data["user_id"] = User.objects.filter(username=username).values_list("pk", flat=True).first()
                if data["user_id"] is None:
                    raise DomainError(_("账号 %(u)s 不存在") % {"u": username}, field="username")
            member = services.member_create(actor=request.user, **data)
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(request, _("已登记党员 %(n)s") % {"n": member.name})
            return redirect("party:member", pk=member.pk)
    return _form_page(request, form, _("登记党员"), back="party:members")


@login_required
def member_detail(request, pk):
    user = request.user
    member = selectors.member_get(user=user, pk=pk)
    form = MemberEditForm(
        request.POST or None,
        initial={
            "status": member.status,
            "organisation_id": member.organisation_id,
            "post": member.post,
            "post_duty": member.post_duty,
            "shows_identity": member.shows_identity,
        },
    )
    # Only organisations sitting in the viewer's scope take a transfer (not those merely serving it).
    targets = set(selectors.organisations_sitting_in_scope(user=user).values_list("pk", flat=True))
    choices = [(pk, label) for pk, label in _organisation_choices(user) if pk in targets]
    if member.organisation_id not in {pk for pk, _label in choices}:  # held outside the viewer's scope
        choices.insert(0, (member.organisation_id, member.organisation.name))
    form.fields["organisation_id"].choices = choices
    if request.method == "POST":
        require(user, MANAGE_PARTY)
        if form.is_valid():
            try:
                services.member_update(actor=user, member=member, **form.cleaned_data)
            except DomainError as error:
                _apply(form, error)
            else:
                messages.success(request, _("已保存"))
                return redirect("party:member", pk=member.pk)
    return render(
        request,
        "party/member.html",
        {
            "member": member,
            "form": form,
            "organisation_visible": selectors.visible_organisations(user=user)
            .filter(pk=member.organisation_id)
            .exists(),
            "registrations": member.registrations.select_related("community").order_by("-id"),
            "records": selectors.service_list(user=user).filter(member=member)[:50],
            "can_manage": user.can(MANAGE_PARTY),
            "can_reveal": user.can(REVEAL_PII),
            "leave_form": MemberLeaveForm() if user.can(MANAGE_PARTY) and member.left_on is None else None,
        },
    )


@login_required
@require_POST
def member_leave(request, pk):
    member = selectors.member_get(user=request.user, pk=pk)
    form = MemberLeaveForm(request.POST)
    if not form.is_valid():  # a reason off the list or an overlong note: said as the service would
        field, errors = next(iter(form.errors.items()))
        messages.error(request, f"{form.fields[field].label}：{errors[0]}")
        return redirect("party:member", pk=member.pk)
    try:
        services.member_leave(actor=request.user, member=member, **form.cleaned_data)
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("%(name)s 已离开党员名册，记录保留") % {"name": member.name})
    return redirect("party:member", pk=member.pk)


@login_required
@require_POST
def member_reveal(request, pk, field):
    """An htmx fragment: the full ID number or phone in place of the masked one, or why not."""
    member = selectors.member_get(user=request.user, pk=pk)
    context = {"member": member, "field": field, "can_reveal": True}
    try:
        context["value"] = services.member_reveal(
            actor=request.user, member=member, field=field, reason=request.POST.get("reason", "")
        )
    except DomainError as error:
        if error.status in (403, 404):
            raise
        context["error"] = error.message
    return render(request, "party/_member_pii.html", context)


@login_required
@require_POST
def organisation_delete(request, pk):
    organisation = selectors.organisation_get(user=request.user, pk=pk)
    parent_id = organisation.parent_id
    try:
        services.organisation_delete(actor=request.user, organisation=organisation)
    except DomainError as error:
        _refused(request, error)
        return redirect("party:organisation", pk=pk)
    messages.success(request, _("已撤销 %(name)s") % {"name": organisation.name})
    return redirect("party:organisation", pk=parent_id) if parent_id else redirect("party:tree")


# ---- dual reporting ---------------------------------------------------------------------------


@login_required
def registration_list(request):
    status = request.GET.get("status", "")
    registrations = selectors.registration_list(user=request.user, status=status)
    return render(
        request,
        "party/registrations.html",
        {
            "page": _page(request, registrations),
            "query": f"status={status}" if status else "",
            "status": status,
            "statuses": ReportingStatus.choices,
            "can_manage": request.user.can(MANAGE_PARTY),
            "can_approve": request.user.can(APPROVE_REPORTING),
        },
    )


@login_required
def registration_create(request):
    require(request.user, MANAGE_PARTY)
    form = RegistrationForm(request.POST or None)
    form.fields["reporter"].choices = _reporter_choices(request.user, approved=False)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.registration_create(
                actor=request.user,
                community_code=data["community_code"],
                grid_code=data["grid_code"],
                note=data["note"],
                **ReporterField.split(data["reporter"]),
            )
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(request, _("已登记报到，等待社区审核"))
            return redirect("party:registrations")
    return _form_page(request, form, _("双报到登记"), back="party:registrations")


@login_required
@require_POST
def registration_decide(request, pk):
    registration = selectors.registration_get(user=request.user, pk=pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择通过、退回或结束"))
        return redirect("party:registrations")
    try:
        services.registration_decide(actor=request.user, registration=registration, **form.cleaned_data)
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("已处理 %(r)s 的报到") % {"r": registration.reporter})
    return redirect(reverse("party:registrations") + "?status=pending")


# ---- the three lists --------------------------------------------------------------------------


@login_required
def need_list(request):
    status = request.GET.get("status", "")
    user = request.user
    return render(
        request,
        "party/needs.html",
        {
            "page": _page(request, selectors.need_list(user=user, status=status)),
            "query": f"status={status}" if status else "",
            "status": status,
            "statuses": ItemStatus.choices,
            "claim_form": _claim_form(user),
            "own_member": Member.objects.filter(user=user, left_on__isnull=True).first(),
            "can_manage": user.can(MANAGE_PARTY),
        },
    )


def _claim_form(user, data=None):
    form = ClaimForm(data)
    form.fields["reporter"].choices = _reporter_choices(user, approved=True) if user.can(VIEW_PARTY) else [("", "—")]
    return form


def _claimant(request, form) -> dict:
    """Staff pick who claims; a member with an account claims for themself."""
    if form.cleaned_data.get("reporter"):
        return ReporterField.split(form.cleaned_data["reporter"])
    member = Member.objects.filter(user=request.user, left_on__isnull=True).first()
    return {"member_id": member.pk if member else None}


@login_required
def need_create(request):
    user = request.user
    form = NeedForm(request.POST or None, initial={"region_code": _home_code(user)})
    if not user.can(MANAGE_PARTY):
        del form.fields["source"]
    if request.method == "POST" and form.is_valid():
        try:
            lists.need_create(actor=user, source=form.cleaned_data.get("source", ""), **{
                k: form.cleaned_data[k] for k in ("title", "description", "region_code")
            })  # fmt: skip
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(request, _("需求已登记"))
            return redirect("party:needs")
    return _form_page(request, form, _("登记需求"), back="party:needs")


def _home_code(user) -> str:
    region = getattr(user, "scope_region", None)
    return region.code if region is not None and region.level >= 5 else ""


@login_required
@require_POST
def need_claim(request, pk):
    need = selectors.need_get(user=request.user, pk=pk)
    form = _claim_form(request.user, request.POST)
    form.is_valid()
    try:
        lists.need_claim(
            actor=request.user, need=need, note=form.cleaned_data.get("note", ""), **_claimant(request, form)
        )
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("已认领需求：%(t)s") % {"t": need.title})
    return redirect("party:needs")


@login_required
def offer_list(request):
    status = request.GET.get("status", "")
    return render(
        request,
        "party/offers.html",
        {
            "page": _page(request, selectors.offer_list(user=request.user, status=status)),
            "query": f"status={status}" if status else "",
            "status": status,
            "statuses": ItemStatus.choices,
            "can_manage": request.user.can(MANAGE_PARTY),
        },
    )


@login_required
def offer_create(request):
    require(request.user, MANAGE_PARTY)
    form = OfferForm(request.POST or None)
    form.fields["reporter"].choices = _reporter_choices(request.user, approved=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        who = ReporterField.split(data["reporter"])
        registration = selectors.registration_list(user=request.user, status="approved").filter(**who).first()
        try:
            if registration is None:
                raise DomainError(_("请选择已通过双报到审核的党组织或党员"), field="reporter")
            lists.offer_create(
                actor=request.user,
                title=data["title"],
                description=data["description"],
                community_code=registration.community.code,
                **who,
            )
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(request, _("资源已登记"))
            return redirect("party:offers")
    return _form_page(request, form, _("登记资源"), back="party:offers")


@login_required
@require_POST
def offer_claim(request, pk):
    offer = selectors.offer_get(user=request.user, pk=pk)
    try:
        lists.offer_claim(actor=request.user, offer=offer, note=request.POST.get("note", ""))
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("社区已认领资源：%(t)s") % {"t": offer.title})
    return redirect("party:offers")


@login_required
def project_list(request):
    user = request.user
    return render(
        request,
        "party/projects.html",
        {
            "page": _page(request, selectors.project_list(user=user)),
            "query": "",
            "claim_form": _claim_form(user),
            "own_member": Member.objects.filter(user=user, left_on__isnull=True).first(),
            "can_manage": user.can(MANAGE_PARTY),
        },
    )


@login_required
def project_create(request):
    require(request.user, MANAGE_PARTY)
    form = ProjectForm(request.POST or None, initial={"community_code": _home_code(request.user)[:12]})
    if request.method == "POST" and form.is_valid():
        try:
            lists.project_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(request, _("项目已登记"))
            return redirect("party:projects")
    return _form_page(request, form, _("登记服务项目"), back="party:projects")


@login_required
@require_POST
def project_join(request, pk):
    project = selectors.project_get(user=request.user, pk=pk)
    form = _claim_form(request.user, request.POST)
    form.is_valid()
    try:
        lists.project_join(
            actor=request.user, project=project, note=form.cleaned_data.get("note", ""), **_claimant(request, form)
        )
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("已加入项目：%(t)s") % {"t": project.title})
    return redirect("party:projects")


@login_required
def claim_list(request):
    return render(
        request,
        "party/claims.html",
        {
            "page": _page(request, selectors.claim_list(user=request.user)),
            "query": "",
            "can_manage": request.user.can(MANAGE_PARTY),
        },
    )


@login_required
@require_POST
def claim_close(request, pk):
    claim = selectors.claim_get(user=request.user, pk=pk)
    try:
        lists.claim_close(actor=request.user, claim=claim, status=request.POST.get("status", ""))
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("已更新认领"))
    return redirect("party:claims")
