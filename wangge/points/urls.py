from django.urls import path

from . import views

app_name = "points"

urlpatterns = [
    path("", views.index, name="index"),
    path("me/", views.mine, name="mine"),
    path("me/export/", views.mine_export, name="mine_export"),
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/export/", views.account_export, name="account_export"),
    path("accounts/<int:pk>/redeem/", views.account_redeem, name="account_redeem"),
    path("accounts/<int:pk>/time-bank/", views.account_time_bank, name="account_time_bank"),
    path("accounts/<int:pk>/link-user/", views.account_link_user, name="account_link_user"),
    path("movements/<int:pk>/reverse/", views.movement_reverse, name="movement_reverse"),
    path("rewards/", views.reward_list, name="reward_list"),
    path("rewards/<int:pk>/edit/", views.reward_edit, name="reward_edit"),
    path("rankings/", views.rankings, name="rankings"),
    path("rankings/export/", views.rankings_export, name="rankings_export"),
    path("rules/", views.rules, name="rules"),
    path("models/", views.models_page, name="models"),
    path("unit-scores/", views.unit_scores, name="unit_scores"),
    path("unit-scores/<int:unit_pk>/", views.unit_score_detail, name="unit_score_detail"),
]
