from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .roles import permissions_for_role


class RoleBackend(ModelBackend):
    """Authenticate by email and grant permissions from the staff member's role.

    Patients never get a permission: only active staff of a clinic do.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        """Try each login of the address: a patient's address can have one per clinic.

        Staff logins are tried first on the admin, patient logins first elsewhere, so
        the same password at both still signs in where it was typed.
        """
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        staff_first = request is not None and request.path.startswith("/admin/")
        candidates = (
            get_user_model()
            ._default_manager.filter(email__iexact=str(username).strip())
            .order_by("-is_staff" if staff_first else "is_staff", "pk")
        )
        found = False
        for user in candidates:
            found = True
            if user.check_password(password) and self.user_can_authenticate(user):
                return user
        if not found:
            # As ModelBackend does: spend a hash's time, so an unknown address is not faster.
            get_user_model()().set_password(password)
        return None

    def get_user(self, user_id):
        """The signed-in user with their staff and patient records, in one query.

        Every request asks both (tenancy, roles, the patient site), so they come with the
        user instead of as two more queries; a missing one is remembered as missing.
        """
        user = (
            get_user_model()
            ._default_manager.select_related("staff", "patient")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_role_perm_cache"):
            staff = getattr(user_obj, "staff", None)
            active = user_obj.is_staff and staff is not None and staff.is_active
            user_obj._role_perm_cache = set(permissions_for_role(staff.role)) if active else set()
        return user_obj._role_perm_cache
