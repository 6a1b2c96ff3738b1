from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "wangge.points"
    label = "points"

    def ready(self):
        # The party app announces confirmed services; it never imports this app.
        from wangge.party.contracts import service_confirmed

        from .services import on_service_confirmed

        service_confirmed.connect(on_service_confirmed, dispatch_uid="points.credit_service")
