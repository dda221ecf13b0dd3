"""Access checks for the patient site, in one place."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils import translation


def patient_required(view):
    """Let through only a logged-in patient; the patient is at ``request.patient``.

    Staff logins never act as patients, even when they have a patient record.
    """

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        patient = getattr(request.user, "patient", None)
        if patient is None or request.user.is_staff:
            raise PermissionDenied
        request.patient = patient
        return view(request, *args, **kwargs)

    return wrapper


def patient_language_use(request, patient) -> None:
    """Answer in the patient's language on a page a link opens before anyone signs in
    (invitation, check-in, unsubscribe): the link says whose it is."""
    translation.activate(patient.language)
    request.LANGUAGE_CODE = translation.get_language()
