"""Fill the indicator summary from the cases, so nobody has to remember `manage.py indicators_rebuild`
after this upgrade: it brings the street-day and category-day rows, and a database upgraded past
0002_indicator_summary without a rebuild has an empty summary while it holds cases.

It calls the current `summary.rebuild()` on purpose (the rows must be what the current dashboard
reads). It takes about as long as `indicators_rebuild` (docs/benchmarks.md, "Indicator dashboard")
and, like it, commits one month at a time (the migration is not atomic): if it is interrupted,
`migrate` runs it again and every month's rows are replaced. Nothing to do without cases (a new
installation). Going back removes only the rows the older code does not know."""

import sys

from django.db import migrations

NEW_SPANS = ("s", "t")


def fill(apps, schema_editor):
    from wangge.cases import summary
    from wangge.cases.models import Case

    if not Case.objects.exists():
        return
    sys.stdout.write("\n  Rebuilding the indicator summary from the cases (one month at a time)…\n")
    result = summary.rebuild(progress=lambda message: sys.stdout.write(f"    {message}\n"))
    sys.stdout.write(f"  {result['cases']} cases, {result['rows']} summary rows\n")


def unfill(apps, schema_editor):
    apps.get_model("cases", "IndicatorSummary").objects.filter(span__in=NEW_SPANS).delete()


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0004_indicator_summary_day_spans"),
    ]

    operations = [
        migrations.RunPython(fill, unfill, elidable=True),
    ]
