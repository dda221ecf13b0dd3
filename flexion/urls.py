from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from api.docs import ApiDocsView
from clinic import views
from clinic.password_reset import QueuedPasswordResetForm

password_reset_urls = [
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    # Django's admin login shows "Forgotten your password?" when this name exists.
    path(
        "admin/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm),
        name="admin_password_reset",
    ),
    # Before the admin's own URLs, whose catch-all would otherwise answer these.
    path("admin/mfa/setup/", views.mfa_setup, name="mfa_setup"),
    path("admin/mfa/verify/", views.mfa_verify, name="mfa_verify"),
    path("admin/invitation/<str:token>/", views.staff_invitation, name="staff_invitation"),
    path("admin/language/", views.staff_language, name="staff_language"),
    # The therapist's home answers /admin/ itself (Django's index for a superuser
    # without a clinic), and a patient's story page.
    path("admin/", include("reports.urls")),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    *password_reset_urls,
    path("api/v1/", include("api.urls")),
    path("fhir/R4/", include("api.fhir.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script as a file: no inline script for the CSP to refuse.
    path(
        "api/docs/",
        ApiDocsView.as_view(url_name="api-schema", template_name="api/docs.html"),
        name="api-docs",
    ),
    path("", include("patients.urls")),
]
