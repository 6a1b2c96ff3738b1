from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "wangge.notify"
    label = "notify"
