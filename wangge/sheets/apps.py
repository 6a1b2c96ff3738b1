from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class SheetsConfig(AppConfig):
    name = "wangge.sheets"
    label = "sheets"
    verbose_name = _("台账导入导出")

    def ready(self):
        # Each ledger registers its spec from a `sheets.py` module in its own app.
        autodiscover_modules("sheets")
