"""Pages for cases: report (phone first), each role's inbox, the case page with one small form per
allowed action, and the catalogue for administrators. Each view parses a form, calls one selector
or service and renders; scope and rules live below, so a page never shows or does more than the
API would. A refusal goes back onto the field it names; a stale version reloads the case."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wangge.accounts.roles import MANAGE_CATALOGUE, Role, require
from wangge.core.errors import Conflict, DomainError, NotFound
from wangge.regions.models import Department
from wangge.regions.selectors import region_root

from . import catalogue, selectors, services, sla, suggestions
from .forms import (
    ACTION_FIELDS,
    ANNOTATIONS,
    TEXT_FIELDS,
    AccessItemForm,
    CategoryForm,
    ReportForm,
    RevealForm,
    action_form,
)
from .models import Status
from .workflow import ACTION_LABELS, CONFLICT_MESSAGE

PAGE_SIZE = 30
INBOX_ORDERS = {"time_left": gettext_lazy("按剩余时间"), "-reported_at": gettext_lazy("按上报时间")}


def _apply_error(form, error: DomainError, rename: dict | None = None) -> None:
    details = error.details or [{"field": error.field, "message": error.message}]
    for detail in details:
        field = (rename or {}).get(detail.get("field"), detail.get("field"))
        form.add_error(field if field in form.fields else None, detail["message"])


def inbox_boxes(user) -> list[tuple[str, str]]:
    """The inboxes a user has, in the order of the workflow, with their labels."""
    boxes = []
    for box, roles in selectors.INBOX_ROLES.items():
        if roles is None or user.role in roles:
            boxes.append((box, str(selectors.INBOX_LABELS[box])))
    return boxes


def time_left_info(case, now, calendar) -> dict | None:
    """Working time left for display: text, overdue (red) and warning (past the warning share)."""
    seconds = sla.time_left(case, now, calendar=calendar)
    if seconds is None:
        return None
    overdue = seconds < 0
    minutes = abs(seconds) // 60
    hours, minutes = divmod(minutes, 60)
    amount = _("%(h)d小时%(m)d分") % {"h": hours, "m": minutes} if hours else _("%(m)d分钟") % {"m": minutes}
    warn = not overdue and case.allowed_seconds and seconds <= case.allowed_seconds * (1 - sla.warn_share())
    paused = case.paused_at is not None
    if overdue:
        text = _("超期 %(t)s") % {"t": amount}
    else:
        text = _("剩余 %(t)s") % {"t": amount}
    if paused:
        text += _("（已停表）")
    return {"seconds": seconds, "text": text, "overdue": overdue, "warn": bool(warn)}


@login_required
def home(request):
    boxes = inbox_boxes(request.user)
    first = boxes[0][0] if boxes else "mine"
    return redirect("cases:inbox", box=first)


@login_required
def report(request):
    user = request.user
    form = ReportForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.case_report(
                actor=user,
                text=data["text"],
                channel=data["channel"],
                lng=data["lng"],
                lat=data["lat"],
                address=data["address"],
                region_code=data.get("region_code") or "",
                reporter_phone=data["reporter_phone"],
                contact_preference=data["contact_preference"],
                photos=data["photos"],
            )
        except DomainError as error:
            _apply_error(form, error, {"region_code": "region_code" if "region_code" in form.fields else "address"})
        else:
            if user.role == Role.RESIDENT:
                done = _("已上报，案件编号 %(n)s。处理进展会在这里和消息中告诉您。")
            else:
                done = _("已登记，案件编号 %(n)s。")
            messages.success(request, done % {"n": case.number})
            return redirect("cases:detail", number=case.number)
    return render(
        request,
        "cases/report.html",
        {"form": form, "root": region_root(user=user)},
        status=400 if form.errors else 200,
    )


@login_required
def inbox(request, box):
    user = request.user
    if box not in selectors.INBOX_ROLES:
        raise NotFound(_("没有这个待办列表"))
    cases = selectors.case_inbox(user=user, box=box)
    order = request.GET.get("order", "time_left")
    if order not in INBOX_ORDERS:
        order = "time_left"
    if order != "time_left":
        cases = cases.order_by(*selectors.ORDERINGS[order])
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    now, calendar = timezone.now(), sla.request_calendar(request)
    for case in page.object_list:
        case.left = time_left_info(case, now, calendar)
    return render(
        request,
        "cases/inbox.html",
        {
            "box": box,
            "label": str(selectors.INBOX_LABELS[box]),
            "boxes": inbox_boxes(user),
            "page": page,
            "order": order,
            "orders": INBOX_ORDERS.items(),
        },
    )


# The step that moves a case on, where a party has one: listed (and opened) before the others, so
# a handler sees 办结反馈 rather than 挂起 and a grid worker 现场核查 rather than 核查不通过.
FORWARD_ACTIONS = ("accept", "dispatch", "take", "start", "handle", "verify", "answer", "rate", "close")


def _action_forms(case, actions, failed=None, categories=None, suggested_category="") -> list[tuple[str, str, object]]:
    actions = sorted(actions, key=lambda action: action not in FORWARD_ACTIONS)  # stable: otherwise as listed
    needs = {name for action in actions for name in ACTION_FIELDS.get(action, [])}
    if categories is None:
        categories = list(selectors.categories_for(region_key=case.region_key)) if "category" in needs else []
    departments = list(selectors.departments_for(case=case)) if "lead" in needs else []
    suggested = selectors.suggested_lead(case=case) if "lead" in needs else None
    forms = []
    for action in actions:
        if failed and failed[0] == action:
            form = failed[1]
        else:
            form = action_form(
                action,
                categories=categories,
                departments=departments,
                suggested=suggested,
                suggested_category=suggested_category,
                case=case,
            )
        forms.append((action, ACTION_LABELS[action], form))
    return forms


def _render_case(request, case, *, failed=None, revealed=None, reveal_form=None, status=200):
    user = request.user
    detail = selectors.case_detail(user=user, case=case)
    actions = [a for a in detail.allowed_actions if a in ACTION_FIELDS and a != "merge"]
    duplicates = selectors.duplicate_candidates(user=user, case=case) if "merge" in detail.allowed_actions else []
    photos = [a for event in detail.timeline for a in event.attachments.all()]
    for event in detail.timeline:
        event.label = ACTION_LABELS.get(event.action, event.action)
    # Those who file or dispatch the case see the model's top 3; its best guess is preselected.
    deciding = any(a in actions for a in ("accept", "dispatch", "assign_community"))
    categories = list(selectors.categories_for(region_key=case.region_key)) if deciding else None
    advice = suggestions.view_for(case, categories) if deciding else None
    best = suggestions.top_code(advice, categories) if deciding and not case.category_id else ""
    return render(
        request,
        "cases/detail.html",
        {
            "case": detail,
            "left": time_left_info(case, timezone.now(), sla.request_calendar(request)),
            "action_forms": _action_forms(case, actions, failed, categories=categories, suggested_category=best),
            "advice": advice,
            "duplicates": duplicates,
            "merge_error": failed[1] if failed and failed[0] == "merge" else None,
            "photo_count": len(photos),
            "can_reveal": services.can_reveal_phone(user, case),
            "reveal_form": reveal_form or RevealForm(),
            "revealed": revealed,
        },
        status=status,
    )


@login_required
def detail(request, number):
    case = selectors.case_get(user=request.user, number=number)
    return _render_case(request, case)


def _arguments(action, case, form, user) -> dict:
    """The service's keyword arguments from a valid action form: codes become objects."""
    values = {}
    for name in ACTION_FIELDS[action]:
        value = form.cleaned_data.get(name)
        if name == "category":
            if not value:
                value = None
            else:
                value = selectors.category_for_code(code=value, region_key=case.region_key)
                if value is None:
                    raise DomainError(_("事项类别不存在或不适用于此地"), field="category")
        elif name == "lead":
            value = Department.objects.filter(code=value).first() if value else None
        elif name == "assisting":
            value = list(Department.objects.filter(code__in=value or []))
        elif name == "into":
            try:
                value = selectors.case_get(user=user, number=value)
            except NotFound:
                raise DomainError(_("要并入的案件不存在或不在您的管辖范围内"), field="into") from None
        elif name in ("hours", "days"):
            value = value or 0
        elif name in TEXT_FIELDS:
            value = value or ""
        values[name] = value
    if action not in ANNOTATIONS:
        values["expected_version"] = form.cleaned_data.get("expected_version")
    return values


@login_required
@require_POST
def act(request, number, action):
    user = request.user
    case = selectors.case_get(user=user, number=number)
    if action not in ACTION_FIELDS:
        raise NotFound(_("没有这个操作"))
    form = action_form(
        action,
        categories=selectors.categories_for(region_key=case.region_key) if "category" in ACTION_FIELDS[action] else (),
        departments=selectors.departments_for(case=case) if "lead" in ACTION_FIELDS[action] else (),
        data=request.POST,
        files=request.FILES,
        case=case,
    )
    text_field = next((name for name in ACTION_FIELDS[action] if name in TEXT_FIELDS), None)
    if form.is_valid():
        service = getattr(services, f"case_{action}")
        try:
            moved = service(case=case, actor=user, **_arguments(action, case, form, user))
        except Conflict:
            messages.error(request, str(CONFLICT_MESSAGE))
            return redirect("cases:detail", number=case.number)
        except NotFound:
            raise
        except DomainError as error:
            _apply_error(form, error, {"text": text_field, "expected_version": None})
        else:
            messages.success(request, _("已%(act)s") % {"act": ACTION_LABELS[action]})
            return redirect("cases:detail", number=moved.number)
    case = selectors.case_get(user=user, number=number)
    return _render_case(request, case, failed=(action, form), status=400)


@login_required
@require_POST
def apply_suggestion(request, number):
    """One click on a suggested category: file and/or dispatch the case under it (see
    `suggestions.apply_suggestion`). A stale page or suggestion reloads the case with the reason."""
    user = request.user
    case = selectors.case_get(user=user, number=number)
    try:
        version = int(request.POST.get("expected_version", ""))
    except ValueError:
        version = None
    try:
        moved = suggestions.apply_suggestion(
            case=case, code=request.POST.get("category", ""), actor=user, expected_version=version
        )
    except DomainError as error:
        if error.status not in (400, 409):  # out of scope, or not this user's move: the error page
            raise
        messages.error(request, error.message)
    else:
        names = {"name": moved.category.name, "dept": moved.lead_department.name if moved.lead_department_id else ""}
        if moved.status == Status.DISPATCHED:
            messages.success(request, _("已采纳建议「%(name)s」，派遣给%(dept)s") % names)
        else:
            messages.success(request, _("已采纳建议「%(name)s」，已受理立案") % names)
    return redirect("cases:detail", number=case.number)


@login_required
@require_POST
def reveal_phone(request, number):
    case = selectors.case_get(user=request.user, number=number)
    form = RevealForm(request.POST)
    revealed = None
    if form.is_valid():
        try:
            revealed = services.reporter_phone(actor=request.user, case=case, reason=form.cleaned_data["reason"])
        except DomainError as error:
            if error.status != 400:
                raise
            _apply_error(form, error)
    return _render_case(request, case, revealed=revealed, reveal_form=form, status=400 if form.errors else 200)


# ---- catalogue (administrators) -------------------------------------------------------------


def _category_by_code(user, code: str, region_key: str, field: str):
    if not code:
        return None
    found = selectors.category_for_code(code=code, region_key=region_key or user.scope_key or "")
    if found is None:
        raise DomainError(_("事项类别 %(c)s 不存在") % {"c": code}, field=field)
    return found


@login_required
def category_list(request):
    require(request.user, MANAGE_CATALOGUE)
    q = request.GET.get("q", "").strip()[:50]
    categories = selectors.category_list(user=request.user, q=q)
    page = Paginator(categories, 100).get_page(request.GET.get("page"))
    items = selectors.access_catalogue(user=request.user)
    return render(request, "cases/catalogue.html", {"page": page, "q": q, "items": items})


def _catalogue_form(request, form, save, *, saved: str, done: str, title: str):
    """The add/edit page of a catalogue entry: `save(cleaned_data)` calls the service; a refusal
    goes back onto its field."""
    if request.method == "POST" and form.is_valid():
        try:
            save(dict(form.cleaned_data))
        except DomainError as error:
            if error.status != 400:
                raise
            _apply_error(form, error)
        else:
            messages.success(request, saved)
            return redirect(done)
    return render(
        request, "cases/catalogue_form.html", {"form": form, "title": title}, status=400 if form.errors else 200
    )


@login_required
def category_edit(request, pk=None):
    user = request.user
    require(user, MANAGE_CATALOGUE)
    category = selectors.category_get(user=user, pk=pk) if pk else None
    initial = {}
    if category is not None:
        initial = {
            "code": category.code,
            "name": category.name,
            "parent": category.parent.code if category.parent_id else "",
            "kind": category.kind,
            "department": category.department.code if category.department_id else "",
            "time_limit": category.time_limit,
            "time_unit": category.time_unit,
            "closing_condition": category.closing_condition,
            "sort_order": category.sort_order,
            "is_active": category.is_active,
            "auto_apply": category.auto_apply,
            "auto_apply_threshold": category.auto_apply_threshold,
        }

    def save(data):
        region_key = category.region_key if category else user.scope_key
        data["parent"] = _category_by_code(user, data["parent"], region_key, "parent")
        code = data["department"]
        data["department"] = Department.objects.filter(code=code).first() if code else None
        if code and data["department"] is None:
            raise DomainError(_("部门 %(c)s 不存在") % {"c": code}, field="department")
        data["sort_order"] = data["sort_order"] or 0
        if data["auto_apply_threshold"] is None:  # left empty: keep what it was
            data["auto_apply_threshold"] = category.auto_apply_threshold if category else 0.9
        if category is None:
            catalogue.category_create(actor=user, **data)
        else:
            catalogue.category_update(actor=user, category=category, **data)

    return _catalogue_form(
        request,
        CategoryForm(request.POST or None, initial=initial),
        save,
        saved=_("事项类别已保存"),
        done=reverse("cases:catalogue"),
        title=_("修改事项类别") if category else _("新增事项类别"),
    )


@login_required
def access_edit(request, pk=None):
    user = request.user
    require(user, MANAGE_CATALOGUE)
    item = selectors.access_item_get(user=user, pk=pk) if pk else None
    initial = {}
    if item is not None:
        initial = {
            "code": item.code,
            "name": item.name,
            "kind": item.kind,
            "basis": item.basis,
            "category": item.category.code if item.category_id else "",
            "is_active": item.is_active,
        }

    def save(data):
        region_key = item.region_key if item else user.scope_key
        data["category"] = _category_by_code(user, data["category"], region_key, "category")
        if item is None:
            catalogue.access_item_create(actor=user, **data)
        else:
            catalogue.access_item_update(actor=user, item=item, **data)

    return _catalogue_form(
        request,
        AccessItemForm(request.POST or None, initial=initial),
        save,
        saved=_("准入事项已保存"),
        done=reverse("cases:catalogue") + "#access",
        title=_("修改准入事项") if item else _("新增准入事项"),
    )
