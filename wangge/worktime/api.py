"""The working calendar over HTTP: everyone signed in reads it; administrators change it."""

import datetime

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from wangge.accounts.roles import MANAGE_CALENDAR, require
from wangge.core.errors import DomainError

from . import clock, selectors, services
from .imports import MAX_UPLOAD_BYTES
from .schemas import (
    BetweenOut,
    BetweenQuery,
    CalendarDayIn,
    CalendarDayOut,
    DeadlineOut,
    DeadlineQuery,
    ImportResultOut,
    MonthDayOut,
    WorkHoursOut,
)

router = Router(tags=["calendar"])


def _year_message() -> str:
    return _("年份应在%(a)d至%(b)d之间") % {"a": selectors.FIRST_YEAR, "b": selectors.LAST_YEAR}


def _this_year() -> int:
    return timezone.localdate().year


@router.get("/calendar/days", response=list[CalendarDayOut], summary="某年的节假日与调休上班日")
def list_days(request: HttpRequest, year: Query[int | None] = None):
    if year is not None and not selectors.FIRST_YEAR <= year <= selectors.LAST_YEAR:
        raise DomainError(_year_message(), field="year")
    return selectors.calendar_days(user=request.user, year=year or _this_year())


@router.get("/calendar/month", response=list[MonthDayOut], summary="某月每一天是否上班及原因")
def month(request: HttpRequest, year: int, month: int):
    if not selectors.FIRST_YEAR <= year <= selectors.LAST_YEAR:
        raise DomainError(_year_message(), field="year")
    if not 1 <= month <= 12:
        raise DomainError(_("月份应为1至12"), field="month")
    return selectors.month_days(user=request.user, year=year, month=month)


@router.put("/calendar/days/{date}", response=CalendarDayOut, summary="登记某天放假或调休上班（管理员）")
def set_day(request: HttpRequest, date: datetime.date, payload: CalendarDayIn):
    return services.calendar_day_set(actor=request.user, date=date, is_working=payload.is_working, name=payload.name)


@router.delete("/calendar/days/{date}", response={204: None}, summary="删除某天的登记，恢复按周末规则（管理员）")
def delete_day(request: HttpRequest, date: datetime.date):
    services.calendar_day_delete(actor=request.user, date=date)
    return Status(204, None)


@router.post("/calendar/import", response=ImportResultOut, summary="导入节假日 .csv/.xlsx（全部正确才写入；管理员）")
def import_days(request: HttpRequest, file: File[UploadedFile], replace: Form[bool] = False):
    require(request.user, MANAGE_CALENDAR)  # before reading the upload
    if file.size > MAX_UPLOAD_BYTES:
        raise DomainError(
            _("文件过大，上限 %(kb)d KB") % {"kb": MAX_UPLOAD_BYTES // 1024}, field="file", code="too_large"
        )
    report = services.import_calendar(data=file.read(), filename=file.name or "", actor=request.user, replace=replace)
    return report


@router.get("/calendar/hours", response=WorkHoursOut, summary="每天的工作时段与工作日长度")
def work_hours(request: HttpRequest):
    summary = selectors.working_hours_summary()
    return {"periods": summary["periods"], "day_seconds": summary["day_seconds"], "time_zone": summary["time_zone"]}


@router.get("/calendar/deadline", response=DeadlineOut, summary="按工作时间计算期限")
def compute_deadline(request: HttpRequest, query: Query[DeadlineQuery]):
    calendar = clock.current_calendar()
    end = clock.deadline(query.start, hours=query.hours, days=query.days, calendar=calendar)
    start = calendar.local(query.start)
    return {
        "start": start,
        "deadline": end,
        "working_seconds": clock.working_seconds_between(start, end, calendar=calendar),
    }


@router.get("/calendar/working-seconds", response=BetweenOut, summary="两个时刻之间的工作秒数")
def between(request: HttpRequest, query: Query[BetweenQuery]):
    calendar = clock.current_calendar()
    start, end = calendar.local(query.start), calendar.local(query.end)
    return {"start": start, "end": end, "working_seconds": clock.working_seconds_between(start, end, calendar=calendar)}
