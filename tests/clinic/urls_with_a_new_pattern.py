"""The project's URLs plus one nobody wrote a sweep case for (see test_url_sweep.py)."""

from django.http import HttpResponse
from django.urls import path

from flexion.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    path("brand-new/<int:pk>/", lambda request, pk: HttpResponse(), name="brand_new"),
]
