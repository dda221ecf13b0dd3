"""Exercise pictures: the sizes they are stored at, and the starter exercises' drawings.

An upload is checked, stripped and re-encoded by ``clinic.images.image_prepare`` (the same
checks as a clinic's logo); a picture is stored at two sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from clinic.images import image_prepare

# The long side of each stored size: the player and handout show LARGE (a phone at 3x
# fills 1200 px), the admin and the exercise list THUMB.
LARGE = 1200
THUMB = 320

# Line drawings of the starter exercises, shipped as static files (drawn for Flexion), by the
# exercise's key: shown when the exercise (shared, or a clinic's copy of it) has no pictures.
STARTER_DRAWINGS = {
    "gentle-hip-flexion": _(
        "Lying on your back, one foot flat; the other knee drawn toward the chest with a "
        "strap looped behind the thigh. The stretch is felt in the buttock."
    ),
    "ninety-ninety-hip-flexor-stretch": _(
        "Kneeling on one knee on a mat, the other foot forward, both knees at right angles, "
        "arms overhead; the hips move a little forward. The stretch is felt at the front of "
        "the kneeling leg's hip."
    ),
    "ninety-ninety-hip-flexor-stretch-side-bend": _(
        "Seen from the front: kneeling on the right knee, left foot forward; the right arm "
        "reaches up and over while the trunk leans toward the front leg. The stretch is felt "
        "at the front and side of the kneeling leg's hip."
    ),
    "knee-drops": _(
        "Seen from above: lying on your back, knees bent, feet flat and wide. Left: both "
        "knees drop inward; right: both drop outward."
    ),
}
STARTER_DRAWING_SIZE = (400, 300)


def starter_drawing(exercise) -> tuple[str, str] | None:
    """The static path and alt text of a starter exercise's drawing, if it has one."""
    if exercise.clinic_id is not None and exercise.copied_from_id is None:
        return None
    alt = STARTER_DRAWINGS.get(exercise.key)
    return (f"programs/starter/{exercise.key}.svg", alt) if alt else None


@dataclass(frozen=True)
class PreparedPicture:
    large: bytes
    thumb: bytes
    width: int
    height: int


def picture_prepare(upload) -> PreparedPicture:
    """Check an uploaded file and return its stored sizes; raise ValidationError if refused."""
    large, thumb = image_prepare(upload, (LARGE, THUMB))
    return PreparedPicture(
        large=large.data, thumb=thumb.data, width=large.width, height=large.height
    )
