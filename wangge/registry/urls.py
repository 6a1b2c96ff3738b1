from django.urls import path

from . import care_views, house_views, views

app_name = "registry"

urlpatterns = [
    path("", views.resident_list, name="residents"),
    path("residents/new/", views.resident_create, name="resident_create"),
    path("residents/move-in/", views.resident_move_in, name="resident_move_in"),
    path("residents/<int:pk>/", views.resident_detail, name="resident"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:pk>/move/", views.resident_move, name="resident_move"),
    path("residents/<int:pk>/depart/", views.resident_depart, name="resident_depart"),
    path("residents/<int:pk>/reveal/<str:field>/", views.resident_reveal, name="resident_reveal"),
    path("houses/", views.house_list, name="houses"),
    path("compounds/<int:compound_pk>/buildings/new/", house_views.building_create, name="building_create"),
    path("buildings/<int:building_pk>/edit/", house_views.building_edit, name="building_edit"),
    path("buildings/<int:building_pk>/households/new/", house_views.household_create, name="household_create"),
    path("houses/pick/", views.house_pick, name="house_pick"),
    path("houses/<int:pk>/", views.house_detail, name="house"),
    path("houses/<int:pk>/edit/", views.house_edit, name="house_edit"),
    path("houses/<int:pk>/reveal/", views.house_reveal, name="house_reveal"),
    path("houses/<int:pk>/visit/", care_views.visit_create, name="visit_create"),
    path("visits/", care_views.visit_list, name="visits"),
    path("visits/<int:pk>/", care_views.visit_detail, name="visit"),
    path("problems/", care_views.problem_list, name="problems"),
    path("care/", care_views.care_list, name="care_list"),
    path("care/new/", care_views.care_create, name="care_create"),
    path("care/<int:pk>/", care_views.care_edit, name="care"),
    path("due/", care_views.due_list, name="due"),
]
