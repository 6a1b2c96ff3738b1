from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "wangge.notify"
    label = "notify"

    def ready(self):
        from . import checks  # noqa: F401  (registers configuration checks)
