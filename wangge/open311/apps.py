from django.apps import AppConfig


class Open311Config(AppConfig):
    name = "wangge.open311"
    label = "open311"
    verbose_name = "Open311"
