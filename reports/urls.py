"""The therapist's pages under /admin/: the home (the admin's index for staff) and a
patient's story. Included before the admin's own URLs (flexion/urls.py), and wrapped in
``admin_view`` so they share its sign-in, second factor and staff checks."""

from django.contrib import admin
from django.urls import path

from . import home, story

urlpatterns = [
    path("", admin.site.admin_view(home.therapist_home), name="therapist_home"),
    path(
        "patients/patient/<int:patient_id>/story/",
        admin.site.admin_view(story.patient_story),
        name="patient_story",
    ),
    path(
        "patients/patient/<int:patient_id>/story/reply/",
        admin.site.admin_view(story.patient_reply),
        name="patient_reply",
    ),
]
