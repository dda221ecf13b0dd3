"""Exercise pictures: check an upload by its content, strip it, and resize it for the pages.

An upload is read by Pillow, never trusted by its name or declared type. It is refused when
it is too many bytes, too many pixels (Pillow's decompression-bomb limit, set lower here),
not a JPEG, PNG or WebP picture (an SVG can carry scripts), or cannot be decoded to the end.
What is stored is re-encoded from the pixels alone: no EXIF, GPS, comment or colour profile
from the original survives.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile, ImageOps

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# 40 megapixels: any phone camera, far below what would exhaust a worker's memory.
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
# The long side of each stored size: the player and handout show LARGE (a phone at 3x
# fills 1200 px), the admin and the exercise list THUMB.
LARGE = 1200
THUMB = 320
STORED_FORMAT = "WEBP"
STORED_EXTENSION = "webp"
CONTENT_TYPE = "image/webp"

TOO_BIG = _("This picture is larger than 10 MB. Please upload a smaller one.")
TOO_MANY_PIXELS = _(
    "This picture has too many pixels (more than 40 megapixels). Please resize it first."
)
NOT_A_PICTURE = _("This file is not a JPEG, PNG or WebP picture, whatever its name says.")
SVG_REFUSED = _(
    "SVG drawings are not accepted: they can contain scripts. Export the drawing as PNG."
)
CORRUPT = _("This picture is damaged and cannot be read. Please save or export it again.")
EMPTY = _("The file is empty.")

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


# What Pillow raises on a file it cannot decode; it varies by format and by the damage.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, TypeError)


@dataclass(frozen=True)
class PreparedPicture:
    large: bytes
    thumb: bytes
    width: int
    height: int


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in text[:1024]


def _encode(image: Image.Image, long_side: int) -> tuple[bytes, int, int]:
    resized = image.copy()
    resized.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    # Rebuilt from its pixels alone, so no metadata of the original can ride along.
    clean = Image.frombytes(resized.mode, resized.size, resized.tobytes())
    out = io.BytesIO()
    clean.save(out, STORED_FORMAT, quality=85, method=4)
    return out.getvalue(), clean.width, clean.height


def picture_prepare(upload) -> PreparedPicture:
    """Check an uploaded file and return its stored sizes; raise ValidationError if refused."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationError(TOO_BIG, code="too_big")
    upload.seek(0)
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(TOO_BIG, code="too_big")
    if not data:
        raise ValidationError(EMPTY, code="empty")
    if _looks_like_svg(data[:4096]):
        raise ValidationError(SVG_REFUSED, code="svg")
    # WeasyPrint (the handout) sets Pillow's global to accept truncated files: not here.
    tolerant, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        return _prepare(data)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = tolerant


def _prepare(data: bytes) -> PreparedPicture:
    with warnings.catch_warnings():
        # Pillow only warns between its limit and twice it: make every bomb an error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=sorted(ACCEPTED_FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ValidationError(TOO_MANY_PIXELS, code="too_many_pixels") from error
        except Image.UnidentifiedImageError as error:
            raise ValidationError(NOT_A_PICTURE, code="not_a_picture") from error
        except DECODE_ERRORS as error:
            raise ValidationError(CORRUPT, code="corrupt") from error
        if image.width * image.height > MAX_PIXELS:
            raise ValidationError(TOO_MANY_PIXELS, code="too_many_pixels")
        try:
            image.load()
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGBA" if _has_alpha(image) else "RGB")
            large, width, height = _encode(image, LARGE)
            thumb, _width, _height = _encode(image, THUMB)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ValidationError(TOO_MANY_PIXELS, code="too_many_pixels") from error
        except DECODE_ERRORS as error:
            raise ValidationError(CORRUPT, code="corrupt") from error
    return PreparedPicture(large=large, thumb=thumb, width=width, height=height)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
