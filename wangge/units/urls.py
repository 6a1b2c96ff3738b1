from django.urls import path

from . import views

app_name = "units"

urlpatterns = [
    path("", views.unit_list, name="unit_list"),
    path("new/", views.unit_create, name="unit_create"),
    path("<int:pk>/", views.unit_detail, name="unit_detail"),
    path("<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("<int:pk>/delete/", views.unit_delete, name="unit_delete"),
    path("<int:pk>/barring/", views.unit_barring, name="unit_barring"),
    path("<int:pk>/reveal-phone/", views.unit_reveal_phone, name="unit_reveal_phone"),
    path("compound-options/", views.compound_options, name="compound_options"),
    path("resources/", views.resource_list, name="resource_list"),
    path("resources/new/", views.resource_create, name="resource_create"),
    path("resources/<int:pk>/", views.resource_detail, name="resource_detail"),
    path("resources/<int:pk>/edit/", views.resource_edit, name="resource_edit"),
    path("resources/<int:pk>/delete/", views.resource_delete, name="resource_delete"),
    path("resources/<int:pk>/book/", views.resource_book, name="resource_book"),
    path("bookings/", views.booking_list, name="booking_list"),
    path("bookings/<int:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
]
