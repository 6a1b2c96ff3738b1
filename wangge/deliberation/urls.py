from django.urls import path

from . import views

app_name = "deliberation"

urlpatterns = [
    path("", views.matter_list, name="matter_list"),
    path("new/", views.matter_new, name="matter_new"),
    path("<int:pk>/", views.matter_detail, name="matter_detail"),
    path("<int:pk>/<slug:action>/", views.matter_act, name="matter_act"),
    path("photos/<int:pk>/", views.matter_photo, name="matter_photo"),
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/new/", views.meeting_new, name="meeting_new"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/<slug:action>/", views.meeting_act, name="meeting_act"),
    path("files/<int:pk>/", views.meeting_file, name="meeting_file"),
    path("statistics/", views.statistics, name="statistics"),
    path("statistics.xlsx", views.statistics_xlsx, name="statistics_xlsx"),
]
