from django.apps import AppConfig


class WorktimeConfig(AppConfig):
    name = "wangge.worktime"
    label = "worktime"
