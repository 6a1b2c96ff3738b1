"""The working calendar page: a month view every signed-in user can read; administrators enter
and remove days and import files on the same page. Rules live in the services."""

import csv
import datetime
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wangge.accounts.roles import MANAGE_CALENDAR, require
from wangge.core.errors import DomainError, NotFound

from . import selectors, services
from .forms import DaySetForm, ImportForm
from .imports import MAX_UPLOAD_BYTES

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def _month_of(text: str) -> tuple[int, int]:
    """`2026-10` → (2026, 10); anything else (or out of range) → this month."""
    match = _MONTH.match(text or "")
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if selectors.FIRST_YEAR <= year <= selectors.LAST_YEAR and 1 <= month <= 12:
            return year, month
    today = timezone.localdate()
    return today.year, today.month


def _shift(year: int, month: int, by: int) -> str:
    index = year * 12 + month - 1 + by
    year, month = divmod(index, 12)
    if not selectors.FIRST_YEAR <= year <= selectors.LAST_YEAR:
        return ""
    return f"{year:04d}-{month + 1:02d}"


def _page_url(day: datetime.date) -> str:
    return f"{reverse('worktime:calendar')}?month={day:%Y-%m}"


def _labelled(events) -> list:
    labels = {"calendar.set": _("登记"), "calendar.delete": _("删除"), "calendar.import": _("导入")}
    events = list(events)
    for event in events:
        event.verb_label = labels.get(event.verb, event.verb)
    return events


def _render(request, *, year: int, month: int, day_form=None, import_form=None, import_error=None):
    user = request.user
    days = selectors.month_days(user=user, year=year, month=month, whole_weeks=True)
    entries = list(selectors.calendar_days(user=user, year=year))
    can_manage = user.can(MANAGE_CALENDAR)
    context = {
        "year": year,
        "month": month,
        "weeks": [days[i : i + 7] for i in range(0, len(days), 7)],
        "weekday_labels": [
            _("周一"),
            _("周二"),
            _("周三"),
            _("周四"),
            _("周五"),
            _("周六"),
            _("周日"),
        ],
        "previous": _shift(year, month, -1),
        "next": _shift(year, month, 1),
        "runs": selectors.runs(entries),
        "hours": selectors.working_hours_summary(),
        "can_manage": can_manage,
    }
    if can_manage:
        context.update(
            day_form=day_form or DaySetForm(initial={"date": datetime.date(year, month, 1)}),
            import_form=import_form or ImportForm(),
            import_error=import_error,
            history=_labelled(selectors.calendar_history(user=user, limit=10)),
        )
    return render(request, "worktime/calendar.html", context)


@login_required
@require_GET
def calendar_page(request):
    year, month = _month_of(request.GET.get("month", ""))
    return _render(request, year=year, month=month)


@login_required
@require_POST
def day_set(request):
    require(request.user, MANAGE_CALENDAR)
    form = DaySetForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            day = services.calendar_day_set(
                actor=request.user, date=data["date"], is_working=data["is_working"], name=data["name"]
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("已登记 %(d)s：%(n)s") % {"d": day.date.isoformat(), "n": day.name})
            return redirect(_page_url(day.date))
    shown = form.cleaned_data.get("date") if hasattr(form, "cleaned_data") else None
    shown = shown or timezone.localdate()
    return _render(request, year=shown.year, month=shown.month, day_form=form)


@login_required
@require_POST
def day_delete(request, day: str):
    require(request.user, MANAGE_CALENDAR)
    try:
        date = datetime.date.fromisoformat(day)
    except ValueError:
        raise NotFound(_("日期格式不正确"), field="date") from None
    services.calendar_day_delete(actor=request.user, date=date)
    messages.success(request, _("已删除 %(d)s 的登记，这一天恢复按周末规则") % {"d": date.isoformat()})
    return redirect(_page_url(date))


@login_required
@require_POST
def import_upload(request):
    require(request.user, MANAGE_CALENDAR)
    form = ImportForm(request.POST, request.FILES)
    year, month = _month_of(request.POST.get("month", ""))
    if not form.is_valid():
        return _render(request, year=year, month=month, import_form=form)
    upload = form.cleaned_data["file"]
    try:
        if upload.size > MAX_UPLOAD_BYTES:
            raise DomainError(
                _("文件过大，上限 %(kb)d KB") % {"kb": MAX_UPLOAD_BYTES // 1024}, field="file", code="too_large"
            )
        report = services.import_calendar(
            data=upload.read(), filename=upload.name, actor=request.user, replace=form.cleaned_data["replace"]
        )
    except DomainError as error:
        return _render(request, year=year, month=month, import_form=form, import_error=error)
    messages.success(
        request,
        _("已导入 %(f)s：新增 %(c)d，更新 %(u)d，未变 %(s)d，删除 %(r)d")
        % {"f": upload.name, "c": report.created, "u": report.updated, "s": report.unchanged, "r": report.removed},
    )
    return redirect(f"{reverse('worktime:calendar')}?month={year:04d}-{month:02d}")


@login_required
@require_GET
def export_csv(request):
    """A year's entries in the import format (UTF-8 with BOM, so Excel opens it as Chinese)."""
    year, _month = _month_of(f"{request.GET.get('year', '')}-01")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="holidays-{year}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(["日期", "类型", "名称"])
    for entry in selectors.calendar_days(user=request.user, year=year):
        writer.writerow([entry.date.isoformat(), "上班" if entry.is_working else "放假", entry.name])
    return response
