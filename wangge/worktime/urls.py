from django.urls import path

from . import views

app_name = "worktime"

urlpatterns = [
    path("", views.calendar_page, name="calendar"),
    path("days/", views.day_set, name="day_set"),
    path("days/<str:day>/delete/", views.day_delete, name="day_delete"),
    path("import/", views.import_upload, name="import"),
    path("export.csv", views.export_csv, name="export"),
]
