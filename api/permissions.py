from django.conf import settings
from rest_framework import permissions

from clinic.tenancy import patient_id, staff_clinic_id

METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


def is_patient(user) -> bool:
    """A patient login (staff never act as patients, even with a patient record)."""
    return not user.is_staff and patient_id(user) is not None


class RolePermission(permissions.BasePermission):
    """Staff: the Django permission of their role for the view's model and the method
    (a view may name another permission per action in ``staff_permissions``).
    Patients: only the actions the view lists in ``patient_actions``.

    Which rows are reachable is not decided here but by ``visible_to`` in each
    view's ``get_queryset``.
    """

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if is_patient(user):
            return getattr(view, "action", None) in getattr(view, "patient_actions", ())
        permission = getattr(view, "staff_permissions", {}).get(getattr(view, "action", None))
        if permission is None:
            action = METHOD_ACTIONS.get(request.method)
            if action is None:
                return True  # a method no view serves: the view answers 405
            opts = view.queryset.model._meta
            permission = f"{opts.app_label}.{action}_{opts.model_name}"
        return user.has_perm(permission)


class ApiDocsPermission(permissions.BasePermission):
    """The OpenAPI schema and the docs: for staff signed in (browser session or API token).

    ``FLEXION_API_DOCS_PUBLIC`` opens them to anyone.
    """

    def has_permission(self, request, view):
        if settings.FLEXION_API_DOCS_PUBLIC:
            return True
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        return user.is_superuser or staff_clinic_id(user) is not None
