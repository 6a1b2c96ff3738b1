"""The national schedule of public holidays and make-up working days for 2026, as published in
国务院办公厅关于2026年部分节假日安排的通知 (4 November 2025). Kept literally here so the migration
never changes; wangge/worktime/data/holidays-2026.csv holds the same rows as an import file
(a test checks the two agree)."""

import datetime
import uuid

from django.db import migrations

# (first day, last day, is_working, name)
SCHEDULE_2026 = [
    ("2026-01-01", "2026-01-03", False, "元旦"),
    ("2026-01-04", "2026-01-04", True, "元旦调休上班"),
    ("2026-02-14", "2026-02-14", True, "春节调休上班"),
    ("2026-02-15", "2026-02-23", False, "春节"),
    ("2026-02-28", "2026-02-28", True, "春节调休上班"),
    ("2026-04-04", "2026-04-06", False, "清明节"),
    ("2026-05-01", "2026-05-05", False, "劳动节"),
    ("2026-05-09", "2026-05-09", True, "劳动节调休上班"),
    ("2026-06-19", "2026-06-21", False, "端午节"),
    ("2026-09-20", "2026-09-20", True, "国庆节调休上班"),
    ("2026-09-25", "2026-09-27", False, "中秋节"),
    ("2026-10-01", "2026-10-07", False, "国庆节"),
    ("2026-10-10", "2026-10-10", True, "国庆节调休上班"),
]


def days():
    for first, last, is_working, name in SCHEDULE_2026:
        day, end = datetime.date.fromisoformat(first), datetime.date.fromisoformat(last)
        while day <= end:
            yield day, is_working, name
            day += datetime.timedelta(days=1)


def load(apps, schema_editor):
    # No audit event: the schedule is part of the software (this file is its record), and a fresh
    # database starts with an empty audit log.
    CalendarDay = apps.get_model("worktime", "CalendarDay")
    CalendarVersion = apps.get_model("worktime", "CalendarVersion")
    for day, is_working, name in days():
        CalendarDay.objects.get_or_create(date=day, defaults={"is_working": is_working, "name": name})
    CalendarVersion.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})


def unload(apps, schema_editor):
    CalendarDay = apps.get_model("worktime", "CalendarDay")
    CalendarVersion = apps.get_model("worktime", "CalendarVersion")
    for day, is_working, name in days():
        CalendarDay.objects.filter(date=day, is_working=is_working, name=name).delete()
    CalendarVersion.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})


class Migration(migrations.Migration):
    dependencies = [("worktime", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
