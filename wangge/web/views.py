"""Pages. Each view parses input, calls one selector or service, and renders; scope and rules
live in the selectors and services, so a page can never show more than the API would."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wangge.accounts import selectors as account_selectors
from wangge.accounts import services as account_services
from wangge.accounts.roles import MANAGE_USERS, VIEW_PEOPLE, Role, require
from wangge.core.errors import DomainError
from wangge.core.scope import in_scope
from wangge.core.selectors import audit_list as audit_selector
from wangge.regions import selectors as region_selectors
from wangge.regions.models import Level
from wangge.registry.selectors import residents_of_households

from .forms import AuditFilterForm, UserCreateForm, UserEditForm


@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_required
def home(request):
    root = region_selectors.region_root(user=request.user)
    if root is None:
        return render(request, "web/no_scope.html")
    return redirect("web:region", code=root.code)


@login_required
def region_detail(request, code):
    user = request.user
    region = region_selectors.region_get(user=user, code=code)
    context = {
        "region": region,
        "ancestors": region_selectors.region_ancestors(user=user, region=region),
        "children": region_selectors.region_children(user=user, region=region).defer("geometry"),
        "staff": account_selectors.staff_of_region(user=user, region=region),
        "level_label": Level(region.level).label,
    }
    if region.level == Level.GRID:
        context["compounds"] = region_selectors.compound_list(user=user, grid=region)
    elif region.level == Level.MICROGRID:
        context["buildings"] = region_selectors.buildings_of_microgrid(user=user, microgrid=region)
    return render(request, "web/region.html", context)


def _trail(user, region) -> list:
    """Breadcrumbs down to and including `region`, linked only where the user may go."""
    return region_selectors.region_ancestors(user=user, region=region) + [(region, in_scope(user, region.key))]


@login_required
def compound_detail(request, pk):
    user = request.user
    compound = region_selectors.compound_get(user=user, pk=pk)
    return render(
        request,
        "web/compound.html",
        {
            "compound": compound,
            "ancestors": _trail(user, compound.grid),
            "buildings": region_selectors.building_list(user=user, compound=compound),
        },
    )


@login_required
def building_detail(request, pk):
    user = request.user
    building = region_selectors.building_get(user=user, pk=pk)
    households = list(region_selectors.household_list(user=user, building=building))
    people = residents_of_households(user=user, households=households) if user.can(VIEW_PEOPLE) else None
    for household in households:
        household.people = people.get(household.pk, []) if people is not None else []
    return render(
        request,
        "web/building.html",
        {
            "building": building,
            "ancestors": _trail(user, building.compound.grid),
            "compound_visible": in_scope(user, building.compound.region_key),
            # Which flats stand empty is no neighbour's business: staff see head counts, residents do not.
            "show_counts": user.role != Role.RESIDENT,
            "households": households,
            "people": people,
        },
    )


@login_required
def locate_page(request):
    root = region_selectors.region_root(user=request.user)
    return render(request, "web/locate.html", {"root": root})


@login_required
def user_list(request):
    q = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    users = account_selectors.user_list(user=request.user, q=q, role=role)
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "web/users.html",
        {"page": page, "q": q, "role": role, "roles": UserCreateForm.base_fields["role"].choices},
    )


def _apply_domain_error(form, error: DomainError) -> None:
    details = error.details or [{"field": error.field, "message": error.message}]
    for detail in details:
        field = detail.get("field")
        field = {"region": "region_code", "department": "department_code"}.get(field, field)
        form.add_error(field if field in form.fields else None, detail["message"])


@login_required
def user_create(request):
    require(request.user, MANAGE_USERS)
    initial = {"region_code": request.GET.get("region", "")}
    form = UserCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = account_services.user_create(
                actor=request.user,
                username=data["username"],
                password=data["password"],
                role=data["role"],
                display_name=data["display_name"],
                phone=data["phone"],
                region_code=data["region_code"] or None,
                department_code=data["department_code"] or None,
            )
        except DomainError as error:
            _apply_domain_error(form, error)
        else:
            messages.success(request, _("已创建用户 %(u)s") % {"u": user.username})
            return redirect("web:users")
    return render(request, "web/user_form.html", {"form": form, "creating": True})


@login_required
def user_edit(request, username):
    target = account_selectors.user_get(user=request.user, username=username)
    initial = {
        "display_name": target.display_name,
        "phone": target.phone,
        "role": target.role,
        "region_code": target.scope_region.code if target.scope_region_id else "",
        "department_code": target.scope_department.code if target.scope_department_id else "",
        "is_active": target.is_active,
    }
    form = UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account_services.user_update(
                actor=request.user,
                user=target,
                role=data["role"],
                display_name=data["display_name"],
                phone=data["phone"],
                region_code=data["region_code"] or None,
                department_code=data["department_code"] or None,
                is_active=data["is_active"],
            )
        except DomainError as error:
            _apply_domain_error(form, error)
        else:
            messages.success(request, _("已保存用户 %(u)s") % {"u": target.username})
            return redirect("web:users")
    return render(request, "web/user_form.html", {"form": form, "creating": False, "target": target})


@login_required
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = audit_selector(user=request.user, **{k: v for k, v in filters.items() if v})
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/audit.html", {"form": form, "page": page, "query": query.urlencode()})


def not_found(request, exception=None):
    return render(
        request, "web/error.html", {"error": {"message": _("未找到该页面，或不在您的管辖范围内")}}, status=404
    )


def forbidden(request, exception=None):
    return render(request, "web/error.html", {"error": {"message": _("您没有权限执行此操作")}}, status=403)


def server_error(request):
    return HttpResponse(
        _("服务器内部错误，请稍后重试；如持续出现请联系管理员并提供请求编号。"),
        status=500,
        content_type="text/plain; charset=utf-8",
    )
