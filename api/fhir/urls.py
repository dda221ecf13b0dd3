from django.urls import path, re_path

from . import views

app_name = "fhir"
urlpatterns = [
    path("", views.NotFoundView.as_view(), name="base"),
    path("metadata", views.MetadataView.as_view(), name="metadata"),
    path("CodeSystem/flexion", views.CodeSystemView.as_view(), name="codesystem"),
    path(
        "Patient/<str:resource_id>/$everything",
        views.EverythingView.as_view(),
        name="patient-everything",
    ),
    re_path(r"^(?P<type_name>[A-Za-z]{1,64})/?$", views.SearchView.as_view(), name="search"),
    re_path(
        r"^(?P<type_name>[A-Za-z]{1,64})/(?P<resource_id>[^/]{1,200})/?$",
        views.ReadView.as_view(),
        name="read",
    ),
    re_path(r"^[\s\S]*$", views.NotFoundView.as_view()),
]
