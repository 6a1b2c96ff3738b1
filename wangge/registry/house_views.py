"""Pages that register a building in a compound and a household in a building: what a ledger
keeper does on site when the house ledger lacks a dwelling. Sized for a phone; the rules are in
`services.building_create` / `services.household_create`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from wangge.accounts.roles import KEEP_LEDGERS, require
from wangge.core.errors import DomainError
from wangge.regions import selectors as region_selectors

from . import services
from .forms import BuildingForm, HouseholdForm
from .views import _form_error


@login_required
def building_create(request, compound_pk):
    user = request.user
    require(user, KEEP_LEDGERS)
    compound = region_selectors.compound_get(user=user, pk=compound_pk)
    form = BuildingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            building = services.building_create(actor=user, compound=compound, **form.cleaned_data)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("已登记楼栋%(b)s") % {"b": building.name})
            return redirect("web:building", pk=building.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "registry/building_form.html", {"form": form, "compound": compound}, status=status)


@login_required
def building_edit(request, building_pk):
    user = request.user
    require(user, KEEP_LEDGERS)
    building = region_selectors.building_get(user=user, pk=building_pk)
    initial = {"name": building.name, "floors": building.floors, "units": building.units}
    form = BuildingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.building_update(actor=user, building=building, **form.cleaned_data)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("已保存"))
            return redirect("web:building", pk=building.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "registry/building_form.html",
        {"form": form, "compound": building.compound, "building": building},
        status=status,
    )


@login_required
def household_create(request, building_pk):
    user = request.user
    require(user, KEEP_LEDGERS)
    building = region_selectors.building_get(user=user, pk=building_pk)
    form = HouseholdForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            household = services.household_create(actor=user, building=building, **{**data, "use": data["use"] or ""})
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(
                request, _("已登记%(b)s%(u)d单元%(r)s") % {"b": building.name, "u": household.unit, "r": household.room}
            )
            return redirect("registry:house", pk=household.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "registry/household_form.html", {"form": form, "building": building}, status=status)
