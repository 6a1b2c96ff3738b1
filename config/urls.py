from django.urls import include, path

from .api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("wangge.web.urls")),
]

handler404 = "wangge.web.views.not_found"
handler403 = "wangge.web.views.forbidden"
handler500 = "wangge.web.views.server_error"
