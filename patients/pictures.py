"""Exercise pictures for those allowed to see them: the clinic's staff and its patients.

A picture's files never change (a new picture is a new row), so its address is cached by the
browser for a year; ``private`` keeps shared caches from keeping a copy.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

from clinic.images import CONTENT_TYPE
from clinic.tenancy import patient_id, staff_clinic_id
from programs.models import ExercisePicture
from programs.pictures import STARTER_DRAWING_SIZE, starter_drawing

from .models import PrescriptionItem

SIZES = ("large", "thumb")
CACHE_CONTROL = "private, max-age=31536000, immutable"


def pictures_visible_to(user):
    """Pictures the user may see: their clinic's (staff), or those of their own exercises.

    A patient sees the pictures of the exercises prescribed to them, read through the
    prescription's own scoping (``PrescriptionItem.objects.visible_to``).
    """
    if not user.is_authenticated or not user.is_active:
        return ExercisePicture.objects.none()
    if user.is_superuser or staff_clinic_id(user) is not None:
        return ExercisePicture.objects.visible_to(user)
    if patient_id(user) is not None and not user.is_staff:
        prescribed = PrescriptionItem.objects.visible_to(user).values("exercise_id")
        return ExercisePicture.objects.filter(exercise_id__in=prescribed)
    return ExercisePicture.objects.none()


@require_GET
def picture(request, picture_id: int, size: str):
    found = pictures_visible_to(request.user).filter(pk=picture_id).first()
    if found is None:
        raise Http404
    return picture_response(found, size)


def picture_response(picture: ExercisePicture, size: str) -> FileResponse:
    """A picture's file of one size, for someone already allowed to see the picture."""
    if size not in SIZES:
        raise Http404
    try:
        stored = default_storage.open(picture.file_for(size).name, "rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404 from error
    response = FileResponse(stored, content_type=CONTENT_TYPE)
    response["Cache-Control"] = CACHE_CONTROL
    response.private_cacheable = True  # see clinic.middleware.NoStoreMiddleware
    return response


def exercise_pictures(exercise, limit: int = 2) -> list[dict]:
    """The first pictures of a prescribed exercise as the player shows them.

    ``exercise`` comes from the player's items (``player.session_items``), its pictures
    prefetched. A starter exercise without pictures of its own shows its line drawing.
    """
    found = [
        {
            "src": reverse("patients:picture", args=[picture.pk, "large"]),
            "alt": picture.alt_text,
            "width": picture.width,
            "height": picture.height,
        }
        for picture in list(exercise.pictures.all())[:limit]
    ]
    drawing = starter_drawing(exercise)
    if not found and drawing:
        path, alt = drawing
        width, height = STARTER_DRAWING_SIZE
        found = [{"src": static(path), "alt": alt, "width": width, "height": height}]
    return found
