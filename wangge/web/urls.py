from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("regions/<str:code>/", views.region_detail, name="region"),
    path("compounds/<int:pk>/", views.compound_detail, name="compound"),
    path("buildings/<int:pk>/", views.building_detail, name="building"),
    path("locate/", views.locate_page, name="locate"),
    path("manage/users/", views.user_list, name="users"),
    path("manage/users/new/", views.user_create, name="user_create"),
    path("manage/users/<str:username>/", views.user_edit, name="user_edit"),
    path("manage/audit/", views.audit_list, name="audit"),
]
