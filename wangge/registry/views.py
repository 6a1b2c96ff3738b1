"""Resident and house pages under /registry/ (care and visit pages: care_views.py). Each view
parses a form, calls selectors and services, and renders; scope, masking and rules live below,
so a page never shows more than the API."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.roles import KEEP_LEDGERS, MANAGE_CARE, REVEAL_PII, VIEW_PEOPLE, require
from wangge.core import pii
from wangge.core.errors import DomainError
from wangge.core.validators import is_ascii_digits

from . import selectors, services
from .common import KEEP, household_address, today
from .forms import (
    DepartForm,
    HouseForm,
    MoveForm,
    MoveInByIdForm,
    ResidentCreateForm,
    ResidentEditForm,
    ResidentSearchForm,
    RevealForm,
)
from .models import Gender, ResidenceKind


def _form_error(form, error: DomainError, aliases: dict | None = None) -> None:
    """Put a service's refusal on the form field it names (or on the form as a whole)."""
    details = error.details if error.details and all("message" in d for d in error.details) else []
    for detail in details or [{"field": error.field, "message": error.message}]:
        field = detail.get("field") or ""
        field = (aliases or {}).get(field, field)
        form.add_error(field if field in form.fields else None, detail.get("message") or error.message)


def _resident_rows(residents) -> list[dict]:
    """What each line of the resident list shows, worked out here once rather than by the
    template for every row (labels, links and the address are most of a page's time)."""
    genders = {k: str(v) for k, v in Gender.choices}
    kinds = {k: str(v) for k, v in ResidenceKind.choices}
    root = reverse("registry:residents")
    return [
        {
            "url": f"{root}residents/{r.pk}/",
            "name": r.name,
            "departed": r.left_on is not None,
            "gender": genders.get(r.gender, ""),
            "id_masked": r.id_masked,
            "phone_masked": r.phone_masked,
            "kind": kinds.get(r.kind, ""),
            "address": household_address(r.household) if r.household_id else "",
            "house_url": f"{root}houses/{r.household_id}/" if r.household_id else "",
            "grid_name": r.grid_name,
            "moved_in": r.moved_in.isoformat() if r.moved_in else "",
        }
        for r in residents
    ]


def record_id(value) -> int | None:
    """A record id named by a query or form value; anything else ("²", "١", thousands of digits)
    names nothing, so the page asks for a choice instead of failing."""
    value = str(value or "")
    return int(value) if len(value) <= 18 and is_ascii_digits(value) else None


def listed(select, **filters):
    """A list page's selector call: (result, None), or (None, the reason) when a filter is refused
    so the page can say so; a region outside the scope stays the 404 of any missing object."""
    try:
        return select(**filters), None
    except DomainError as exc:
        if exc.status == 404:
            raise
        return None, exc.message


def _query_without(request, *names) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


# ---- residents ---------------------------------------------------------------------------


# Searches by a full ID number or phone are posted, so the number stays out of URLs, browser
# history and access logs; the page shows it back masked.
SECRET_MODES = {"id_number": pii.mask_id_number, "phone": pii.mask_phone}


@login_required
def resident_list(request):
    require(request.user, VIEW_PEOPLE)
    form = ResidentSearchForm((request.POST if request.method == "POST" else request.GET) or None)
    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    q = filters.get("q", "")
    mode = selectors.classify(q, filters.get("match") or "prefix").mode
    if request.method == "POST" and mode not in SECRET_MODES:
        # Post/redirect/get: an ordinary search gets a URL that pages and can be bookmarked.
        query = urlencode(filters)
        return redirect(reverse("registry:residents") + (f"?{query}" if query else ""))
    found, error = listed(
        selectors.resident_search, user=request.user, cursor=request.GET.get("cursor", ""), limit=50, **filters
    )
    page, search = found or (None, None)
    secret = mode in SECRET_MODES
    rows = _resident_rows(page.items) if page else []
    return render(
        request,
        "registry/residents.html",
        {
            "form": form,
            "q_shown": SECRET_MODES[mode](q.strip().upper()) if secret else q,
            "page": page,
            "rows": rows,
            "search": search,
            "error": error,
            "query": "" if secret else _query_without(request, "cursor"),
            "deep": bool(request.GET.get("cursor")),
            "can_keep": request.user.can(KEEP_LEDGERS),
        },
    )


@login_required
def resident_detail(request, pk):
    user = request.user
    resident = selectors.resident_get(user=user, pk=pk)
    return render(
        request,
        "registry/resident.html",
        {
            "resident": resident,
            "address": household_address(resident.household),
            "history": selectors.resident_history(user=user, resident=resident),
            "care": selectors.care_of_resident(user=user, resident=resident),
            "can_keep": user.can(KEEP_LEDGERS),
            "can_reveal": user.can(REVEAL_PII),
            "can_care": user.can(MANAGE_CARE),
            "reveal_form": RevealForm(),
        },
    )


@login_required
def resident_create(request):
    user = request.user
    require(user, KEEP_LEDGERS)
    household_id = request.POST.get("household") or request.GET.get("household")
    pk = record_id(household_id)
    household = selectors.household_get(user=user, pk=pk) if pk is not None else None
    form = ResidentCreateForm(request.POST or None, initial={"household": household_id, "moved_in": today()})
    if request.method == "POST" and form.is_valid():
        if household is None:
            form.add_error(None, _("请先选择房屋"))
        else:
            data = form.cleaned_data
            try:
                resident = services.resident_create(
                    actor=user,
                    household=household,
                    name=data["name"],
                    id_number=data["id_number"],
                    phone=data["phone"],
                    kind=data["kind"],
                    moved_in=data["moved_in"],
                    origin=data["origin"],
                    note=data["note"],
                )
            except DomainError as error:
                _form_error(form, error)
                if error.code == "departed_elsewhere":
                    form.offer_move_in = True
            else:
                messages.success(request, _("已登记居民 %(name)s") % {"name": resident.name})
                return redirect("registry:resident", pk=resident.pk)
    return render(
        request,
        "registry/resident_form.html",
        {"form": form, "household": household, "address": household_address(household), "creating": True},
    )


@login_required
def resident_edit(request, pk):
    user = request.user
    require(user, KEEP_LEDGERS)
    resident = selectors.resident_get(user=user, pk=pk)
    initial = {"name": resident.name, "kind": resident.kind, "origin": resident.origin, "note": resident.note}
    form = ResidentEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        phone = "" if data["clear_phone"] else (data["phone"] or KEEP)
        try:
            services.resident_update(
                actor=user,
                resident=resident,
                name=data["name"],
                id_number=data["id_number"] or KEEP,
                phone=phone,
                kind=data["kind"],
                origin=data["origin"],
                note=data["note"],
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("已保存"))
            return redirect("registry:resident", pk=resident.pk)
    return render(request, "registry/resident_form.html", {"form": form, "resident": resident, "creating": False})


def _picked_household(request, form):
    pk = record_id(form.data.get("household")) if form.is_bound else None
    return selectors.household_get(user=request.user, pk=pk) if pk is not None else None


@login_required
def resident_move(request, pk):
    user = request.user
    require(user, KEEP_LEDGERS)
    resident = selectors.resident_get(user=user, pk=pk)
    form = MoveForm(request.POST or None, initial={"on": today()})
    if request.method == "POST" and form.is_valid():
        household = _picked_household(request, form)
        try:
            if household is None:
                raise DomainError(_("请先选择要迁往的房屋"), field="household")
            services.resident_move(
                actor=user,
                resident=resident,
                household=household,
                on=form.cleaned_data["on"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(
                request,
                _("已将 %(name)s 迁至 %(address)s") % {"name": resident.name, "address": household_address(household)},
            )
            return redirect("registry:resident", pk=resident.pk)
    return render(request, "registry/resident_move.html", {"form": form, "resident": resident})


@login_required
def resident_move_in(request):
    """Take in, by ID number, a person who left another community."""
    user = request.user
    require(user, KEEP_LEDGERS)
    initial = {
        "household": request.GET.get("household", ""),
        "id_number": request.GET.get("id_number", ""),
        "on": today(),
    }
    form = MoveInByIdForm(request.POST or None, initial=initial)
    pk = record_id(form.data.get("household") if form.is_bound else initial["household"])
    household = selectors.household_get(user=user, pk=pk) if pk is not None else None
    if request.method == "POST" and form.is_valid():
        try:
            if household is None:
                raise DomainError(_("请先选择房屋"), field="household")
            resident = services.resident_move_in_by_id(
                actor=user,
                id_number=form.cleaned_data["id_number"],
                household=household,
                on=form.cleaned_data["on"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("%(name)s 已迁入") % {"name": resident.name})
            return redirect("registry:resident", pk=resident.pk)
    return render(
        request,
        "registry/resident_move_in.html",
        {"form": form, "household": household, "address": household_address(household)},
    )


@login_required
def resident_depart(request, pk):
    user = request.user
    require(user, KEEP_LEDGERS)
    resident = selectors.resident_get(user=user, pk=pk)
    form = DepartForm(request.POST or None, initial={"on": today()})
    if request.method == "POST" and form.is_valid():
        try:
            services.resident_depart(
                actor=user, resident=resident, on=form.cleaned_data["on"], note=form.cleaned_data["note"]
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("已登记 %(name)s 迁出") % {"name": resident.name})
            return redirect("registry:resident", pk=resident.pk)
    return render(request, "registry/resident_depart.html", {"form": form, "resident": resident})


@login_required
@require_POST
def resident_reveal(request, pk, field):
    """htmx: the clear value in place of the masked one (or the form again with the reason at
    fault). Without htmx, the same as a small page."""
    resident = selectors.resident_get(user=request.user, pk=pk)
    return _reveal(
        request,
        field=field,
        reveal=lambda reason: services.resident_reveal(
            actor=request.user, resident=resident, field=field, reason=reason
        ),
        action=reverse("registry:resident_reveal", args=[resident.pk, field]),
        back=reverse("registry:resident", args=[resident.pk]),
    )


@login_required
@require_POST
def house_reveal(request, pk):
    household = selectors.household_get(user=request.user, pk=pk)
    return _reveal(
        request,
        field="owner_phone",
        reveal=lambda reason: services.household_reveal_owner_phone(
            actor=request.user, household=household, reason=reason
        ),
        action=reverse("registry:house_reveal", args=[household.pk]),
        back=reverse("registry:house", args=[household.pk]),
    )


def _reveal(request, *, field, reveal, action, back):
    form = RevealForm(request.POST)
    value = None
    if form.is_valid():
        try:
            value = reveal(form.cleaned_data["reason"])
        except DomainError as error:
            if error.status in (403, 404):
                raise
            _form_error(form, error)
    else:
        require(request.user, REVEAL_PII)
    template = "registry/_reveal.html" if request.headers.get("HX-Request") else "registry/reveal_page.html"
    return render(request, template, {"form": form, "value": value, "field": field, "action": action, "back": back})


# ---- houses ------------------------------------------------------------------------------


@login_required
def house_list(request):
    require(request.user, VIEW_PEOPLE)
    region = request.GET.get("region", "").strip()
    use = request.GET.get("use")
    page, error = listed(
        selectors.house_list,
        user=request.user,
        region=region,
        use=use if use is not None and use != "all" else None,
        cursor=request.GET.get("cursor", ""),
    )
    return render(
        request,
        "registry/houses.html",
        {
            "page": page,
            "error": error,
            "region": region,
            "use": use if use is not None else "all",
            "uses": HouseForm.base_fields["use"].choices,
            "query": _query_without(request, "cursor"),
            "deep": bool(request.GET.get("cursor")),
        },
    )


@login_required
def house_pick(request):
    """htmx: houses matching "小区 楼栋 房号", as radio buttons named `household`."""
    require(request.user, VIEW_PEOPLE)
    q = request.GET.get("q", "").strip()
    houses = selectors.household_pick(user=request.user, q=q) if q else []
    return render(request, "registry/_house_pick.html", {"houses": houses, "q": q})


@login_required
def house_detail(request, pk):
    user = request.user
    household = selectors.household_get(user=user, pk=pk)
    return render(
        request,
        "registry/house.html",
        {
            "house": household,
            "address": household_address(household),
            "residents": selectors.household_residents(user=user, household=household),
            "history": selectors.household_history(user=user, household=household),
            "visits": selectors.visits_of_household(user=user, household=household),
            "care": selectors.open_care_of_household(user=user, household=household),
            "can_keep": user.can(KEEP_LEDGERS),
            "can_reveal": user.can(REVEAL_PII),
            "reveal_form": RevealForm(),
        },
    )


@login_required
def house_edit(request, pk):
    user = request.user
    require(user, KEEP_LEDGERS)
    household = selectors.household_get(user=user, pk=pk)
    initial = {"use": household.use, "area_m2": household.area_m2, "owner_name": household.owner_name}
    form = HouseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_update(actor=user, household=household, **form.changes())
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("已保存"))
            return redirect("registry:house", pk=household.pk)
    return render(
        request, "registry/house_form.html", {"form": form, "house": household, "address": household_address(household)}
    )
