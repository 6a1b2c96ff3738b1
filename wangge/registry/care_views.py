"""Care and visit pages under /registry/: the door-knock form, visits, the problems they raise,
care records and the due-visits list."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from wangge.accounts.roles import KEEP_LEDGERS, MANAGE_CARE, VIEW_PEOPLE, require
from wangge.core.errors import DomainError

from . import selectors, services
from .common import household_address, today
from .forms import CareEndForm, CareForm, VisitForm
from .services import VisitInput
from .views import _form_error, _query_without, listed, record_id

# ---- visits ------------------------------------------------------------------------------

VISIT_ALIASES = {
    "house.use": "use",
    "house.area_m2": "area_m2",
    "house.owner_name": "owner_name",
    "house.owner_phone": "owner_phone",
    "problem.text": "problem_text",
    "problem.category": "problem_category",
}


@login_required
def visit_create(request, pk):
    """The door-knock form (phone-sized): one submit updates house, residents and care."""
    user = request.user
    require(user, KEEP_LEDGERS)
    household = selectors.household_get(user=user, pk=pk)
    people = selectors.household_residents(user=user, household=household)
    care = selectors.open_care_of_household(user=user, household=household)
    initial = {
        "visited_on": today(),
        "use": household.use,
        "area_m2": household.area_m2,
        "owner_name": household.owner_name,
    }
    form = VisitForm(request.POST or None, initial=initial, residents=people, care_records=care)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        by_pk = {str(r.pk): r for r in people}
        newcomers, slots = form.newcomers()
        report = VisitInput(
            met=[by_pk[pk] for pk in data["met"]],
            met_others=data["met_others"],
            notes=data["notes"],
            house=form.house_changes(household),
            departed=[by_pk[pk] for pk in data["departed"]],
            newcomers=newcomers,
            care=[(r, data[f"care_{r.pk}"]) for r in care if data[f"care_{r.pk}_done"] or data[f"care_{r.pk}"]],
            problem_text=data["problem_text"],
            problem_category=data["problem_category"],
        )
        aliases = dict(VISIT_ALIASES)
        for index, slot in enumerate(slots):
            for name in ("name", "id_number", "phone", "kind"):
                aliases[f"newcomers.{index}.{name}"] = f"nc{slot}_{name}"
        for index, (record, _note) in enumerate(report.care):
            aliases[f"care.{index}"] = f"care_{record.pk}"
            aliases[f"care.{index}.note"] = f"care_{record.pk}"
        try:
            visit = services.visit_record(actor=user, household=household, visited_on=data["visited_on"], report=report)
        except DomainError as error:
            _form_error(form, error, aliases)
        else:
            messages.success(request, _("已记录走访，房屋、居民和关爱台账已同步更新"))
            return redirect("registry:visit", pk=visit.pk)
    return render(
        request,
        "registry/visit_form.html",
        {"form": form, "house": household, "address": household_address(household), "residents": people},
    )


@login_required
def visit_detail(request, pk):
    visit = selectors.visit_get(user=request.user, pk=pk)
    return render(
        request,
        "registry/visit.html",
        {
            "visit": visit,
            "address": household_address(visit.household),
            "met": list(visit.met.all()),
            "observations": list(visit.observations.select_related("care_record__resident")),
            "problems": list(visit.problems.all()),
        },
    )


@login_required
def visit_list(request):
    rows = selectors.visit_list(user=request.user, mine=request.GET.get("mine") == "1")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "registry/visits.html",
        {"page": page, "query": _query_without(request, "page"), "mine": request.GET.get("mine") == "1"},
    )


@login_required
def problem_list(request):
    status = request.GET.get("status", "open")
    rows = selectors.visit_problem_list(user=request.user, status=status if status != "all" else "")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request, "registry/problems.html", {"page": page, "status": status, "query": _query_without(request, "page")}
    )


# ---- care --------------------------------------------------------------------------------


@login_required
def care_list(request):
    require(request.user, VIEW_PEOPLE)
    group = request.GET.get("group", "")
    page, error = listed(
        selectors.care_list,
        user=request.user,
        group=group,
        region=request.GET.get("region", "").strip(),
        unassigned=request.GET.get("unassigned") == "1",
        include_ended=request.GET.get("ended") == "1",
        cursor=request.GET.get("cursor", ""),
    )
    return render(
        request,
        "registry/care_list.html",
        {
            "page": page,
            "error": error,
            "group": group,
            "groups": CareForm.base_fields["group"].choices,
            "query": _query_without(request, "cursor"),
            "deep": bool(request.GET.get("cursor")),
            "can_care": request.user.can(MANAGE_CARE),
        },
    )


@login_required
def care_create(request):
    user = request.user
    require(user, MANAGE_CARE)
    resident_id = record_id(request.POST.get("resident") or request.GET.get("resident"))
    if resident_id is None:
        return redirect("registry:residents")
    resident = selectors.resident_get(user=user, pk=resident_id)
    candidates = list(selectors.visitor_candidates(user=user, region_key=resident.region_key))
    form = CareForm(
        request.POST or None,
        candidates=candidates,
        initial={"level": 2, "visit_every_days": 30, "responsible": user.username if user in candidates else ""},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.care_create(
                actor=user,
                resident=resident,
                group=data["group"],
                level=data["level"],
                visit_every_days=data["visit_every_days"],
                responsible=selectors.visitor_get(user=user, username=data["responsible"]),
                plan=data["plan"],
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("已将 %(name)s 列为关爱对象") % {"name": resident.name})
            return redirect("registry:resident", pk=resident.pk)
    return render(request, "registry/care_form.html", {"form": form, "resident": resident, "creating": True})


@login_required
def care_edit(request, pk):
    user = request.user
    record = selectors.care_get(user=user, pk=pk)
    can_care = user.can(MANAGE_CARE)
    candidates = list(selectors.visitor_candidates(user=user, region_key=record.region_key))
    initial = {
        "level": record.level,
        "visit_every_days": record.visit_every_days,
        "plan": record.plan,
        "responsible": record.responsible.username if record.responsible_id else "",
    }
    posted = request.POST if request.method == "POST" and "save" in request.POST else None
    form = CareForm(posted, candidates=candidates, editing=True, initial=initial)
    ended = request.POST if request.method == "POST" and "end" in request.POST else None
    end_form = CareEndForm(ended, initial={"on": today()})
    if posted is not None or ended is not None:
        require(user, MANAGE_CARE)
    if posted is not None and form.is_valid():
        data = form.cleaned_data
        try:
            services.care_update(
                actor=user,
                record=record,
                level=data["level"],
                visit_every_days=data["visit_every_days"],
                responsible=selectors.visitor_get(user=user, username=data["responsible"]),
                plan=data["plan"],
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("已保存"))
            return redirect("registry:care", pk=record.pk)
    if ended is not None and end_form.is_valid():
        try:
            services.care_end(
                actor=user, record=record, on=end_form.cleaned_data["on"], reason=end_form.cleaned_data["reason"]
            )
        except DomainError as error:
            _form_error(end_form, error)
        else:
            messages.success(request, _("关爱记录已结束"))
            return redirect("registry:care", pk=record.pk)
    return render(
        request,
        "registry/care.html",
        {
            "record": record,
            "form": form,
            "end_form": end_form,
            "can_care": can_care,
            "observations": list(
                record.observations.select_related("visit__visitor").order_by("-visit__visited_on")[:20]
            ),
        },
    )


@login_required
def due_list(request):
    user = request.user
    everyone = request.GET.get("all") == "1"
    rows = selectors.due_visits(user=user, everyone=everyone)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "registry/due.html",
        {
            "page": page,
            "everyone": everyone,
            "query": _query_without(request, "page"),
            "today": today(),
            "can_keep": user.can(KEEP_LEDGERS),  # only they record visits: others get no dead link
        },
    )
