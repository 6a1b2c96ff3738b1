from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("report/", views.report, name="report"),
    path("inbox/<slug:box>/", views.inbox, name="inbox"),
    path("catalogue/", views.category_list, name="catalogue"),
    path("catalogue/new/", views.category_edit, name="category_create"),
    path("catalogue/<int:pk>/", views.category_edit, name="category_edit"),
    path("catalogue/access/new/", views.access_edit, name="access_create"),
    path("catalogue/access/<int:pk>/", views.access_edit, name="access_edit"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/reveal-phone/", views.reveal_phone, name="reveal_phone"),
    path("<str:number>/apply-suggestion/", views.apply_suggestion, name="apply_suggestion"),
    path("<str:number>/<slug:action>/", views.act, name="act"),
]
