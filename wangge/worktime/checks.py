"""WANGGE_WORK_HOURS is checked at start-up, so a typo stops the deployment instead of every
SLA computation."""

import zoneinfo

from django.conf import settings
from django.core.checks import Error, register

from .clock import work_hours_setting
from .workcalendar import parse_work_hours


@register()
def check_work_hours(app_configs, **kwargs):
    problems = []
    text = work_hours_setting()
    try:
        parse_work_hours(text)
    except ValueError as error:
        problems.append(
            Error(
                f"WANGGE_WORK_HOURS={text!r} is not valid: {error}.",
                hint="Give the working periods of a day in local time, e.g. 09:00-12:00,13:30-17:30.",
                id="wangge.worktime.E001",
            )
        )
    try:
        zoneinfo.ZoneInfo(settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.append(Error(f"TIME_ZONE={settings.TIME_ZONE!r} is not a known time zone.", id="wangge.worktime.E002"))
    return problems
