from django.apps import AppConfig


class DispatchAiConfig(AppConfig):
    name = "wangge.dispatch_ai"
    label = "dispatch_ai"
    verbose_name = "派单分类模型"
