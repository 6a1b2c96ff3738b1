from django.db import migrations


class Migration(migrations.Migration):
    """Auto-apply rules moved onto the case catalogue's categories (cases 0002 copies them first)."""

    dependencies = [
        ("dispatch_ai", "0001_initial"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="suggestion",
            name="auto_label",
        ),
        migrations.DeleteModel(
            name="AutoApplyRule",
        ),
    ]
