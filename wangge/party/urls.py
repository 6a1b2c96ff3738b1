from django.urls import path

from . import activity_views, views

app_name = "party"

urlpatterns = [
    path("", views.tree, name="tree"),
    path("coverage/", views.coverage, name="coverage"),
    path("organisations/new/", views.organisation_create, name="organisation_create"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation"),
    path("organisations/<int:pk>/delete/", views.organisation_delete, name="organisation_delete"),
    path("members/", views.member_list, name="members"),
    path("members/new/", views.member_create, name="member_create"),
    path("members/<int:pk>/", views.member_detail, name="member"),
    path("members/<int:pk>/reveal/<str:field>/", views.member_reveal, name="member_reveal"),
    path("members/<int:pk>/leave/", views.member_leave, name="member_leave"),
    path("registrations/", views.registration_list, name="registrations"),
    path("registrations/new/", views.registration_create, name="registration_create"),
    path("registrations/<int:pk>/decide/", views.registration_decide, name="registration_decide"),
    path("needs/", views.need_list, name="needs"),
    path("needs/new/", views.need_create, name="need_create"),
    path("needs/<int:pk>/claim/", views.need_claim, name="need_claim"),
    path("resources/", views.offer_list, name="offers"),
    path("resources/new/", views.offer_create, name="offer_create"),
    path("resources/<int:pk>/claim/", views.offer_claim, name="offer_claim"),
    path("projects/", views.project_list, name="projects"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<int:pk>/join/", views.project_join, name="project_join"),
    path("claims/", views.claim_list, name="claims"),
    path("claims/<int:pk>/close/", views.claim_close, name="claim_close"),
    path("activities/", activity_views.activity_list, name="activities"),
    path("activities/new/", activity_views.activity_create, name="activity_create"),
    path("activities/<int:pk>/", activity_views.activity_detail, name="activity"),
    path("activities/<int:pk>/sign-up/", activity_views.activity_sign_up, name="activity_sign_up"),
    path("activities/<int:pk>/renew-code/", activity_views.activity_renew_code, name="activity_renew_code"),
    path("activities/<int:pk>/hours/", activity_views.activity_record_hours, name="activity_record_hours"),
    path("check-in/<str:token>/", activity_views.checkin, name="checkin"),
    path("service/", activity_views.service_list, name="service"),
    path("service/new/", activity_views.service_create, name="service_create"),
    path("service/<int:pk>/decide/", activity_views.service_decide, name="service_decide"),
    path("report/", activity_views.report, name="report"),
    path("report.xlsx", activity_views.report_xlsx, name="report_xlsx"),
]
