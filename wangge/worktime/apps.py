from django.apps import AppConfig


class WorktimeConfig(AppConfig):
    name = "wangge.worktime"
    label = "worktime"

    def ready(self):
        from . import checks  # noqa: F401  (registers the working-hours check)
