from django.apps import AppConfig


class UnitsConfig(AppConfig):
    name = "wangge.units"
    label = "units"
