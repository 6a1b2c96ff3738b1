from django.urls import path

from . import dashboard_views

app_name = "dashboard"

urlpatterns = [
    path("", dashboard_views.dashboard, name="index"),
    path("hotspots/", dashboard_views.hotspot_page, name="hotspots"),
    path("export/<slug:table>.xlsx", dashboard_views.export, name="export"),
]
