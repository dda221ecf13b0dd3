from django.contrib.auth import views as auth_views
from django.urls import path

from . import unsubscribe, views

app_name = "patients"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.PatientLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("checkin/<str:token>/", views.checkin_link, name="checkin_link"),
    path("reminders/unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
]
