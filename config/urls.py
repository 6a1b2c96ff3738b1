from django.urls import include, path

from .api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("registry/", include("wangge.registry.urls")),
    path("units/", include("wangge.units.urls")),
    path("calendar/", include("wangge.worktime.urls")),
    path("cases/", include("wangge.cases.urls")),
    path("notifications/", include("wangge.notify.urls")),
    path("sheets/", include("wangge.sheets.urls")),
    path("open311/v2/", include("wangge.open311.urls")),
    path("dashboard/", include("wangge.cases.dashboard_urls")),
    path("party/", include("wangge.party.urls")),
    path("points/", include("wangge.points.urls")),
    path("deliberation/", include("wangge.deliberation.urls")),
    path("", include("wangge.web.urls")),
]

handler404 = "wangge.web.views.not_found"
handler403 = "wangge.web.views.forbidden"
handler500 = "wangge.web.views.server_error"
