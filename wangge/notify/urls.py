from django.urls import path

from . import views

app_name = "notify"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("<int:pk>/open/", views.open_notification, name="open"),
]
