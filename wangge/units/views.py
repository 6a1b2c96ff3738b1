"""Pages for units in the area, shared resources and bookings. Each view parses a form, calls one
selector or service, and renders; scope and rules live below, so a page never shows or does more
than the API would."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.roles import BOOK_FOR_SELF, MANAGE_UNITS, REVEAL_PII, VIEW_UNITS, require
from wangge.core.errors import DomainError

from . import bookings, selectors, services
from .forms import (
    BarForm,
    BookingForm,
    CancelForm,
    ResourceForm,
    RevealForm,
    UnitEditForm,
    UnitFilterForm,
    UnitForm,
)
from .hours import describe_week, format_week_text
from .models import UnitKind

PAGE_SIZE = 30


def _apply_domain_error(form, error: DomainError, rename: dict | None = None) -> None:
    details = error.details or [{"field": error.field, "message": error.message}]
    for detail in details:
        field = (rename or {}).get(detail.get("field"), detail.get("field"))
        form.add_error(field if field in form.fields else None, detail["message"])


def _flash_refusal(request, error: DomainError) -> None:
    """A refused action comes back to its page with the reason; a role that may not act at all
    (403) gets the 403 page instead."""
    if error.status == 403:
        raise error
    messages.error(request, error.message)


def _next_url(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def _choices_context(user, grid_code: str = "") -> dict:
    return {
        "grid_options": selectors.grids_in_scope(user=user),
        "compound_options": selectors.compounds_of_grid(user=user, grid_code=grid_code) if grid_code else [],
    }


# ---- units ----------------------------------------------------------------------------------


@login_required
def unit_list(request):
    form = UnitFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    barred = {"1": True, "0": False}.get(filters.get("barred", ""))
    units = selectors.unit_list(user=request.user, q=filters.get("q", ""), kind=filters.get("kind", ""), barred=barred)
    page = Paginator(units, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    counts = selectors.unit_counts(user=request.user)
    return render(
        request,
        "units/unit_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "counts": [(label, counts[value]) for value, label in UnitKind.choices if counts.get(value)],
            "can_manage": request.user.can(MANAGE_UNITS),
        },
    )


@login_required
def unit_detail(request, pk):
    user = request.user
    unit = selectors.unit_get(user=user, pk=pk)
    return render(
        request,
        "units/unit_detail.html",
        {
            "unit": unit,
            "resources": selectors.resource_list(user=user, owner_unit=unit),
            "bookings": selectors.booking_list(user=user, unit=unit, upcoming=True)[:20],
            "can_manage": user.can(MANAGE_UNITS),
            "can_reveal": user.can(REVEAL_PII) and bool(unit.contact_phone_cipher),
            "bar_form": BarForm(),
            "reveal_form": RevealForm(),
        },
    )


def _unit_arguments(data: dict) -> dict:
    return {
        "name": data["name"],
        "credit_code": data["credit_code"],
        "kind": data["kind"],
        "grid_code": data["grid_code"],
        "compound_name": data["compound_name"],
        "address": data["address"],
        "contact_name": data["contact_name"],
        "has_party_organisation": data["has_party_organisation"],
        "party_organisation_name": data["party_organisation_name"],
    }


@login_required
def unit_create(request):
    require(request.user, MANAGE_UNITS)
    form = UnitForm(request.POST or None, initial={"grid_code": request.GET.get("grid", "")})
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.unit_create(
                actor=request.user,
                contact_phone=form.cleaned_data["contact_phone"],
                **_unit_arguments(form.cleaned_data),
            )
        except DomainError as error:
            _apply_domain_error(form, error)
        else:
            messages.success(request, _("已登记单位 %(name)s") % {"name": unit.name})
            return redirect("units:unit_detail", pk=unit.pk)
    grid_code = form["grid_code"].value() or ""
    return render(
        request,
        "units/form.html",
        {
            "form": form,
            "title": _("登记驻区单位"),
            "cancel_url": "units:unit_list",
            **_choices_context(request.user, grid_code),
        },
    )


@login_required
def unit_edit(request, pk):
    unit = selectors.unit_get(user=request.user, pk=pk)
    require(request.user, MANAGE_UNITS)
    initial = {
        "name": unit.name,
        "credit_code": unit.credit_code,
        "kind": unit.kind,
        "grid_code": unit.grid.code,
        "compound_name": unit.compound.name if unit.compound_id else "",
        "address": unit.address,
        "contact_name": unit.contact_name,
        "has_party_organisation": unit.has_party_organisation,
        "party_organisation_name": unit.party_organisation_name,
    }
    form = UnitEditForm(request.POST or None, initial=initial, phone_masked=unit.contact_phone_masked)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        phone = "" if data["clear_phone"] else (data["contact_phone"] or None)
        try:
            services.unit_update(actor=request.user, unit=unit, contact_phone=phone, **_unit_arguments(data))
        except DomainError as error:
            _apply_domain_error(form, error)
        else:
            messages.success(request, _("已保存单位 %(name)s") % {"name": data["name"]})
            return redirect("units:unit_detail", pk=unit.pk)
    grid_code = form["grid_code"].value() or ""
    return render(
        request,
        "units/form.html",
        {
            "form": form,
            "title": _("修改驻区单位"),
            "subject": unit,
            "cancel_url": "units:unit_list",
            **_choices_context(request.user, grid_code),
        },
    )


@login_required
@require_POST
def unit_delete(request, pk):
    unit = selectors.unit_get(user=request.user, pk=pk)
    try:
        services.unit_delete(actor=request.user, unit=unit)
    except DomainError as error:
        _flash_refusal(request, error)
        return redirect("units:unit_detail", pk=unit.pk)
    messages.success(request, _("已删除单位 %(name)s") % {"name": unit.name})
    return redirect("units:unit_list")


@login_required
@require_POST
def unit_barring(request, pk):
    unit = selectors.unit_get(user=request.user, pk=pk)
    form = BarForm(request.POST)
    barred = request.POST.get("barred") == "1"
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.unit_set_booking_barred(actor=request.user, unit=unit, barred=barred, reason=reason)
    except DomainError as error:
        _flash_refusal(request, error)
    else:
        messages.success(request, _("已暂停该单位预约共享资源") if barred else _("已恢复该单位预约共享资源"))
    return redirect("units:unit_detail", pk=unit.pk)


@login_required
@require_POST
def unit_reveal_phone(request, pk):
    """An htmx fragment: the full phone in place of the masked one, or the reason it is refused."""
    unit = selectors.unit_get(user=request.user, pk=pk)
    form = RevealForm(request.POST)
    try:
        phone = services.unit_reveal_contact_phone(
            actor=request.user, unit=unit, reason=form.cleaned_data["reason"] if form.is_valid() else ""
        )
    except DomainError as error:
        if error.status == 403:
            raise
        return render(request, "units/_phone.html", {"unit": unit, "error": error.message, "reveal_form": form})
    return render(request, "units/_phone.html", {"unit": unit, "phone": phone})


@login_required
def compound_options(request):
    """An htmx fragment: the compounds of the grid typed in a form, as datalist options."""
    compounds = selectors.compounds_of_grid(user=request.user, grid_code=request.GET.get("grid_code", "").strip())
    if not compounds.exists():
        compounds = selectors.compounds_of_grid(
            user=request.user, grid_code=request.GET.get("owner_grid_code", "").strip()
        )
    return render(request, "units/_compound_options.html", {"compound_options": compounds})


# ---- resources ------------------------------------------------------------------------------


@login_required
def resource_list(request):
    user = request.user
    q, kind = request.GET.get("q", "").strip(), request.GET.get("kind", "")
    resources = selectors.resource_list(user=user, q=q, kind=kind)
    page = Paginator(resources, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "units/resource_list.html",
        {
            "page": page,
            "q": q,
            "kind": kind,
            "query": query.urlencode(),
            "kinds": ResourceForm.base_fields["kind"].choices,
            "can_manage": user.can(MANAGE_UNITS),
            "is_resident": user.can(BOOK_FOR_SELF),
        },
    )


def _parse_day(value: str) -> datetime.date:
    """A date from the address bar; anything unreadable or far away is today."""
    today = timezone.localdate()
    try:
        day = datetime.date.fromisoformat(value) if value else today
    except ValueError:
        return today
    return day if abs((day - today).days) <= selectors.CALENDAR_REACH_DAYS else today


def _render_resource(request, resource, start: datetime.date, booking_form=None):
    user = request.user
    week = selectors.resource_week(user=user, resource=resource, start=start)
    may_book_for_units = user.can(MANAGE_UNITS)
    units = list(selectors.units_near(user=user, resource=resource)) if may_book_for_units else None
    if booking_form is None and (may_book_for_units or user.can(BOOK_FOR_SELF)):
        booking_form = BookingForm(initial={"day": max(week.start, timezone.localdate())}, units=units)
    if booking_form is not None:
        booking_form.offer_times(week.times)
    return render(
        request,
        "units/resource_detail.html",
        {
            "resource": resource,
            "week": week,
            "hours": describe_week(resource.opening_hours),
            "booking_form": booking_form,
            "can_manage": may_book_for_units,
            "is_resident": user.can(BOOK_FOR_SELF),
            "is_staff_viewer": user.can(VIEW_UNITS),
        },
    )


@login_required
def resource_detail(request, pk):
    """The resource and its week (phone-friendly calendar), with the booking form."""
    resource = selectors.resource_get(user=request.user, pk=pk)
    return _render_resource(request, resource, _parse_day(request.GET.get("start", "")))


@login_required
@require_POST
def resource_book(request, pk):
    user = request.user
    resource = selectors.resource_get(user=user, pk=pk)
    for_units = user.can(MANAGE_UNITS)
    units = list(selectors.units_near(user=user, resource=resource)) if for_units else None
    form = BookingForm(request.POST, units=units)
    if form.is_valid():
        start, end = form.span()
        unit = selectors.unit_get(user=user, pk=form.cleaned_data["unit_id"]) if for_units else None
        try:
            booking = bookings.booking_create(
                actor=user,
                resource=resource,
                unit=unit,
                starts_at=start,
                ends_at=end,
                purpose=form.cleaned_data["purpose"],
                attendees=form.cleaned_data["attendees"],
            )
        except DomainError as error:
            if error.status == 403 and error.code != "unit_barred":
                raise
            _apply_domain_error(form, error, {"starts_at": "start", "ends_at": "end"})
        else:
            messages.success(
                request,
                _("已预约 %(name)s：%(span)s")
                % {"name": resource.name, "span": bookings.span_text(booking.starts_at, booking.ends_at)},
            )
            day = timezone.localtime(booking.starts_at).date()
            return redirect(reverse("units:resource_detail", args=[resource.pk]) + f"?start={day.isoformat()}")
    return _render_resource(request, resource, _parse_day(request.POST.get("day", "")), form)


def _resource_arguments(data: dict) -> dict:
    owner = (
        {"owner_unit_code": data["owner_unit_code"], "owner_grid_code": "", "owner_compound_name": ""}
        if data["owner_type"] == "unit"
        else {
            "owner_unit_code": "",
            "owner_grid_code": data["owner_grid_code"],
            "owner_compound_name": data["owner_compound_name"],
        }
    )
    return {
        **owner,
        "name": data["name"],
        "kind": data["kind"],
        "location": data["location"],
        "capacity": data["capacity"],
        "opening_hours": data["opening_hours"],
        "price_rule": data["price_rule"],
        "standard_price": data["standard_price"],
        "low_price": data["low_price"],
        "description": data["description"],
        "is_active": data["is_active"],
    }


def _resource_form_context(request, form, title, subject=None) -> dict:
    user = request.user
    grid_code = form["owner_grid_code"].value() or ""
    return {
        "form": form,
        "title": title,
        "subject": subject,
        "cancel_url": "units:resource_list",
        "unit_options": selectors.unit_options(user=user),
        **_choices_context(user, grid_code),
    }


_OWNER_FIELDS = {"owner_unit_code": "owner_unit_code", "owner": "owner_unit_code"}


@login_required
def resource_create(request):
    require(request.user, MANAGE_UNITS)
    unit = request.GET.get("unit", "")
    form = ResourceForm(
        request.POST or None,
        initial={"owner_unit_code": unit, "opening_hours": "周一至周日 08:00-21:00", "is_active": True},
    )
    if request.method == "POST" and form.is_valid():
        try:
            resource = services.resource_create(actor=request.user, **_resource_arguments(form.cleaned_data))
        except DomainError as error:
            _apply_domain_error(form, error, _OWNER_FIELDS)
        else:
            messages.success(request, _("已登记共享资源 %(name)s") % {"name": resource.name})
            return redirect("units:resource_detail", pk=resource.pk)
    return render(request, "units/form.html", _resource_form_context(request, form, _("登记共享资源")))


@login_required
def resource_edit(request, pk):
    resource = selectors.resource_get(user=request.user, pk=pk)
    require(request.user, MANAGE_UNITS)
    owner_unit, owner_compound = resource.owner_unit, resource.owner_compound
    initial = {
        "name": resource.name,
        "kind": resource.kind,
        "owner_type": "unit" if owner_unit else "compound",
        "owner_unit_code": owner_unit.credit_code if owner_unit else "",
        "owner_grid_code": resource.region_key if owner_compound else "",
        "owner_compound_name": owner_compound.name if owner_compound else "",
        "location": resource.location,
        "capacity": resource.capacity,
        "opening_hours": format_week_text(resource.opening_hours),
        "price_rule": resource.price_rule,
        "standard_price": resource.standard_price,
        "low_price": resource.low_price,
        "description": resource.description,
        "is_active": resource.is_active,
    }
    form = ResourceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.resource_update(actor=request.user, resource=resource, **_resource_arguments(form.cleaned_data))
        except DomainError as error:
            _apply_domain_error(form, error, _OWNER_FIELDS)
        else:
            messages.success(request, _("已保存共享资源 %(name)s") % {"name": form.cleaned_data["name"]})
            return redirect("units:resource_detail", pk=resource.pk)
    return render(request, "units/form.html", _resource_form_context(request, form, _("修改共享资源"), resource))


@login_required
@require_POST
def resource_delete(request, pk):
    resource = selectors.resource_get(user=request.user, pk=pk)
    try:
        services.resource_delete(actor=request.user, resource=resource)
    except DomainError as error:
        _flash_refusal(request, error)
        return redirect("units:resource_detail", pk=resource.pk)
    messages.success(request, _("已删除共享资源 %(name)s") % {"name": resource.name})
    return redirect("units:resource_list")


# ---- bookings -------------------------------------------------------------------------------


@login_required
def booking_list(request):
    user = request.user
    show_all = request.GET.get("all") == "1"
    bookings_qs = selectors.booking_list(user=user, upcoming=not show_all)
    if show_all:
        bookings_qs = bookings_qs.order_by("-starts_at", "-id")
    page = Paginator(bookings_qs, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    may_cancel = user.can(MANAGE_UNITS) or user.can(BOOK_FOR_SELF)
    entries = [
        (b, selectors.booker_label(user, b), may_cancel and b.status == "active" and b.starts_at > now) for b in page
    ]
    return render(
        request,
        "units/booking_list.html",
        {
            "page": page,
            "entries": entries,
            "show_all": show_all,
            "query": "all=1" if show_all else "",
            "is_resident": user.can(BOOK_FOR_SELF),
        },
    )


@login_required
@require_POST
def booking_cancel(request, pk):
    booking = selectors.booking_get(user=request.user, pk=pk)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        bookings.booking_cancel(actor=request.user, booking=booking, reason=reason)
    except DomainError as error:
        _flash_refusal(request, error)
    else:
        messages.success(request, _("已取消预约"))
    return redirect(_next_url(request, reverse("units:booking_list")))
