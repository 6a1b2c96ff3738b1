from django.apps import AppConfig


class DeliberationConfig(AppConfig):
    name = "wangge.deliberation"
    label = "deliberation"
