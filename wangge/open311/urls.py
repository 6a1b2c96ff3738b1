from django.urls import path

from . import views

app_name = "open311"

urlpatterns = [
    path("", views.discovery, {"fmt": "json"}, name="root"),
    path("discovery.<str:fmt>", views.discovery, name="discovery"),
    path("services.<str:fmt>", views.service_list, name="services"),
    path("services/<str:code>.<str:fmt>", views.service_definition, name="service"),
    path("requests.<str:fmt>", views.request_list, name="requests"),
    path("requests/<str:number>.<str:fmt>", views.request_detail, name="request"),
    path("tokens/<str:token>.<str:fmt>", views.token_detail, name="token"),
    path("servicerequestupdates.<str:fmt>", views.updates, name="updates"),
]
