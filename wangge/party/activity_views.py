"""Party pages for activities (sign-up, the QR check-in code, hours), service records and the
yearly 双报告. Thin like `views.py`: parse, call one selector or service, render."""

import datetime

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.roles import MANAGE_PARTY, require
from wangge.core.errors import DomainError
from wangge.core.scope import in_scope

from . import activities, selectors
from .forms import ActivityForm, HoursForm, RejectForm, ReporterField, ServiceForm
from .models import ServiceStatus
from .views import _apply, _form_page, _home_code, _page, _refused, _reporter_choices

# ---- activities and service ---------------------------------------------------------------------


@login_required
def activity_list(request):
    return render(
        request,
        "party/activities.html",
        {
            "page": _page(request, selectors.activity_list(user=request.user)),
            "query": "",
            "now": timezone.now(),
            "can_manage": request.user.can(MANAGE_PARTY),
        },
    )


@login_required
def activity_create(request):
    require(request.user, MANAGE_PARTY)
    start = timezone.localtime().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)
    form = ActivityForm(
        request.POST or None,
        initial={
            "community_code": _home_code(request.user)[:12],
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            activity = activities.activity_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(request, _("活动已发布"))
            return redirect("party:activity", pk=activity.pk)
    return _form_page(request, form, _("发布活动"), back="party:activities")


def checkin_url(request, activity) -> str:
    return request.build_absolute_uri(reverse("party:checkin", args=[activities.checkin_token(activity)]))


@login_required
def activity_detail(request, pk):
    user = request.user
    activity = selectors.activity_get(user=user, pk=pk)
    manages = user.can(MANAGE_PARTY) and in_scope(user, activity.region_key)
    context = {
        "activity": activity,
        "mine": selectors.my_attendance(user=user, activity=activity),
        "manages": manages,
        "open": activity.ends_at > timezone.now(),
    }
    if manages:
        url = checkin_url(request, activity)
        context.update(
            {
                "checkin_url": url,
                # segno writes plain SVG from our own URL: nothing from a user goes into it.
                "qr_svg": mark_safe(segno.make(url, error="m").svg_inline(scale=6, omitsize=True)),
                "attendances": selectors.attendances_of(activity=activity),
                "records": selectors.service_list(user=user, activity=activity),
                "hours_form": HoursForm(),
                "members": selectors.member_list(user=user)[:500],
            }
        )
    return render(request, "party/activity.html", context)


@login_required
@require_POST
def activity_sign_up(request, pk):
    activity = selectors.activity_get(user=request.user, pk=pk)
    try:
        activities.activity_sign_up(
            actor=request.user, activity=activity, member_id=request.POST.get("member_id") or None
        )
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("报名成功"))
    return redirect("party:activity", pk=activity.pk)


@login_required
@require_POST
def activity_renew_code(request, pk):
    activity = selectors.activity_get(user=request.user, pk=pk)
    try:
        activities.activity_renew_code(actor=request.user, activity=activity)
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("已更换签到码，旧码失效"))
    return redirect("party:activity", pk=activity.pk)


@login_required
@require_POST
def activity_record_hours(request, pk):
    activity = selectors.activity_get(user=request.user, pk=pk)
    form = HoursForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("请填写服务时长"), field="hours")
        created = activities.service_record_attendance(
            actor=request.user, activity=activity, hours=form.cleaned_data["hours"]
        )
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("已为%(n)d名签到人员记录服务时长，待社区确认") % {"n": len(created)})
    return redirect("party:activity", pk=activity.pk)


@login_required
def checkin(request, token):
    """Opening the scanned code while logged in checks the person in (the login page brings
    them back here first)."""
    try:
        attendance, new = activities.activity_check_in(actor=request.user, token=token)
    except DomainError as error:
        return render(request, "party/checkin.html", {"error": error.message}, status=error.status)
    return render(request, "party/checkin.html", {"attendance": attendance, "new": new})


@login_required
def service_list(request):
    status = request.GET.get("status", ServiceStatus.SUBMITTED)
    return render(
        request,
        "party/service.html",
        {
            "page": _page(request, selectors.service_list(user=request.user, status=status)),
            "query": f"status={status}",
            "status": status,
            "statuses": ServiceStatus.choices,
            "reject_form": RejectForm(),
            "can_manage": request.user.can(MANAGE_PARTY),
        },
    )


@login_required
def service_create(request):
    require(request.user, MANAGE_PARTY)
    form = ServiceForm(
        request.POST or None,
        initial={"occurred_on": timezone.localdate(), "community_code": _home_code(request.user)[:12]},
    )
    form.fields["reporter"].choices = _reporter_choices(request.user, approved=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            activities.service_record_create(
                actor=request.user,
                **ReporterField.split(data.pop("reporter")),
                **data,
            )
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(request, _("服务记录已登记，待确认"))
            return redirect("party:service")
    return _form_page(request, form, _("登记服务记录"), back="party:service")


@login_required
@require_POST
def service_decide(request, pk):
    record = selectors.service_get(user=request.user, pk=pk)
    try:
        if request.POST.get("status") == ServiceStatus.CONFIRMED:
            activities.service_confirm(actor=request.user, record=record)
            messages.success(request, _("已确认 %(w)s 的服务") % {"w": record.who_label})
        else:
            activities.service_reject(actor=request.user, record=record, reason=request.POST.get("reason", ""))
            messages.success(request, _("已退回 %(w)s 的服务记录") % {"w": record.who_label})
    except DomainError as error:
        _refused(request, error)
    return redirect("party:service")


# ---- 双报告 -----------------------------------------------------------------------------------


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = timezone.localdate().year
    return min(max(year, 2000), 2100)


@login_required
def report(request):
    year = _year(request)
    return render(
        request,
        "party/report.html",
        {
            "year": year,
            "report": selectors.annual_report(user=request.user, year=year),
            "years": range(timezone.localdate().year, 2019, -1),
        },
    )


@login_required
def report_xlsx(request):
    from .reports import annual_report_xlsx

    year = _year(request)
    response = HttpResponse(
        annual_report_xlsx(user=request.user, year=year),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="party-report-{year}.xlsx"'
    return response
