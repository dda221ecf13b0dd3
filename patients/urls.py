from django.contrib.auth import views as auth_views
from django.urls import path

from . import handout, outcome_views, pictures, unsubscribe, views

app_name = "patients"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.PatientLoginView.as_view(), name="login"),
    path("login/link/", views.sign_in_link_ask, name="sign_in_link_request"),
    path("login/link/<str:token>/", views.sign_in_link, name="sign_in_link"),
    path("today/<str:token>/", views.reminder_link, name="reminder_link"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("programs/<int:assignment_id>/start/", views.session_start, name="session_start"),
    path("sessions/<int:session_id>/", views.session_player, name="session"),
    path(
        "sessions/<int:session_id>/exercises/<int:item_id>/",
        views.exercise_log,
        name="exercise_log",
    ),
    path("sessions/<int:session_id>/finish/", views.session_finish, name="session_finish"),
    path("sessions/<int:session_id>/checkin/", views.session_checkin, name="session_checkin"),
    path("log-earlier/", views.session_log_past, name="session_log_past"),
    path(
        "programs/<int:assignment_id>/questionnaires/<int:questionnaire_id>/start/",
        outcome_views.questionnaire_start,
        name="questionnaire_start",
    ),
    path("questionnaires/<int:response_id>/", outcome_views.response_page, name="response"),
    path(
        "questionnaires/<int:response_id>/send/", outcome_views.response_send, name="response_send"
    ),
    path(
        "questionnaires/<int:response_id>/correct/",
        outcome_views.response_correct,
        name="response_correct",
    ),
    path("history/", views.history, name="history"),
    path("messages/", views.thread, name="messages"),
    path("programs/<int:assignment_id>/handout.pdf", handout.my_handout, name="my_handout"),
    path("pictures/<int:picture_id>/<str:size>/", pictures.picture, name="picture"),
    path("settings/", views.patient_settings, name="settings"),
    path("checkin/<str:token>/", views.checkin_link, name="checkin_link"),
    path("reminders/unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
]
