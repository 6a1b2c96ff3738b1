from django.apps import AppConfig


class DeliberationConfig(AppConfig):
    name = "wangge.deliberation"
    label = "deliberation"

    def ready(self):
        from wangge.cases.contracts import case_moved

        from .services import on_case_moved

        case_moved.connect(on_case_moved, dispatch_uid="deliberation.case_moved")
