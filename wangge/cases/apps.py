from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "wangge.cases"
    label = "cases"

    def ready(self):
        from .suggestions import register

        register()
