"""The default rule set: points and time-bank hours per activity type, and the lines of the
yearly unit score. Operators change them on the rules page; this only seeds an empty table."""

from decimal import Decimal

from django.db import migrations

# activity type: (points per service, points per hour, time-bank hours per hour served)
RULES = {
    "volunteer": (5, 10, "1.0"),
    "patrol": (5, 10, "1.0"),
    "environment": (5, 10, "1.0"),
    "elderly_care": (10, 10, "1.0"),
    "culture": (2, 5, "0.5"),
    "deliberation": (5, 0, "0.0"),
    "need_claim": (10, 5, "1.0"),
    "resource_share": (10, 0, "0.0"),
    "other": (2, 5, "1.0"),
}

# measure: (points each, cap, explanation)
LINES = [
    ("participation", "5.0", "40.0", "每参加一次经社区确认的共建活动得5分，最高40分"),
    ("claims", "10.0", "30.0", "每认领并完成一项群众需求得10分，最高30分"),
    ("service_hours", "1.0", "30.0", "单位人员服务每满1小时得1分，最高30分"),
    ("resource_shares", "10.0", "20.0", "每向社区开放共享一次资源得10分，最高20分"),
    ("party_organisation", "10.0", "10.0", "单位已建立党组织得10分"),
]


def seed(apps, schema_editor):
    PointRule = apps.get_model("points", "PointRule")
    ScoreLine = apps.get_model("points", "ScoreLine")
    for activity_type, (each, per_hour, factor) in RULES.items():
        PointRule.objects.get_or_create(
            activity_type=activity_type,
            defaults={"points_per_service": each, "points_per_hour": per_hour, "hours_factor": Decimal(factor)},
        )
    for position, (measure, each, cap, explanation) in enumerate(LINES):
        ScoreLine.objects.get_or_create(
            measure=measure,
            defaults={
                "points_each": Decimal(each),
                "cap": Decimal(cap),
                "explanation": explanation,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("points", "0002_ledger_append_only")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
