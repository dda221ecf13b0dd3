"""The interactive API docs (Swagger UI, served from our own static files)."""

from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import exceptions


class ApiDocsView(SpectacularSwaggerSplitView):
    """The docs page; a visitor who is not signed in is sent to the staff sign-in.

    Who may read the docs and the schema is ``ApiDocsPermission``'s to decide.
    """

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.NotAuthenticated):
            return redirect_to_login(self.request.get_full_path(), reverse("admin:login"))
        return super().handle_exception(exc)
