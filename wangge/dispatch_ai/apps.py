from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchAiConfig(AppConfig):
    name = "wangge.dispatch_ai"
    label = "dispatch_ai"
    verbose_name = _("派单分类模型")
