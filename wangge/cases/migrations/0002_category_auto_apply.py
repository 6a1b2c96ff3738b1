from django.db import migrations, models


def copy_rules(apps, schema_editor):
    """Auto-apply rules used to live in dispatch_ai, keyed by category code; they become fields of
    every category with that code (an enabled rule's threshold of 0.5–1 fits the new range)."""
    Rule = apps.get_model("dispatch_ai", "AutoApplyRule")
    Category = apps.get_model("cases", "Category")
    for rule in Rule.objects.filter(enabled=True):
        Category.objects.filter(code=rule.label).update(auto_apply=True, auto_apply_threshold=rule.min_confidence)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
        ("dispatch_ai", "0001_initial"),
    ]
    # The old rules are read here before dispatch_ai drops their table.
    run_before = [("dispatch_ai", "0002_remove_autoapplyrule")]

    operations = [
        migrations.AddField(
            model_name="category",
            name="auto_apply",
            field=models.BooleanField(default=False, verbose_name="自动采用派单建议"),
        ),
        migrations.AddField(
            model_name="category",
            name="auto_apply_threshold",
            field=models.FloatField(default=0.9, verbose_name="自动采用的最低置信度"),
        ),
        migrations.AddConstraint(
            model_name="category",
            constraint=models.CheckConstraint(
                condition=models.Q(("auto_apply_threshold__gt", 0), ("auto_apply_threshold__lte", 1)),
                name="category_auto_apply_threshold_range",
            ),
        ),
        migrations.RunPython(copy_rules, migrations.RunPython.noop),
    ]
