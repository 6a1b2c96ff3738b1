from django.urls import path

from . import views

app_name = "sheets"

urlpatterns = [
    path("", views.index, name="index"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/status/", views.job_status, name="job_status"),
    path("jobs/<int:pk>/commit/", views.job_commit, name="job_commit"),
    path("jobs/<int:pk>/errors.xlsx", views.job_errors, name="job_errors"),
    path("<slug:ledger>/", views.ledger_page, name="ledger"),
    path("<slug:ledger>/template.xlsx", views.template_download, name="template"),
    path("<slug:ledger>/export/", views.export, name="export"),
]
