"""Uploaded images (exercise pictures, a clinic's logo): check by content, strip, resize.

An upload is read by Pillow, never trusted by its name or declared type. It is refused when
it is too many bytes, too many pixels (Pillow's decompression-bomb limit, set lower here),
not a JPEG, PNG or WebP picture (an SVG can carry scripts), or cannot be decoded to the end.
What is stored is re-encoded from the pixels alone: no EXIF, GPS, comment or colour profile
from the original survives.
"""

from __future__ import annotations

import base64
import io
import struct
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile, ImageOps

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# 40 megapixels: any phone camera, far below what would exhaust a worker's memory.
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
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

# What Pillow raises on a file it cannot decode; it varies by format and by the damage.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, TypeError)


@dataclass(frozen=True)
class EncodedImage:
    """One stored size of an image: WebP bytes and their pixel size."""

    data: bytes
    width: int
    height: int


def image_prepare(upload, long_sides: tuple[int, ...]) -> list[EncodedImage]:
    """Check an uploaded file and return it re-encoded at each long side (never enlarged).

    Raise ValidationError, with a message for the person who uploaded it, if it is refused.
    """
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
        return _prepare(data, long_sides)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = tolerant


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in text[:1024]


def _prepare(data: bytes, long_sides: tuple[int, ...]) -> list[EncodedImage]:
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
            return [_encode(image, long_side) for long_side in long_sides]
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ValidationError(TOO_MANY_PIXELS, code="too_many_pixels") from error
        except DECODE_ERRORS as error:
            raise ValidationError(CORRUPT, code="corrupt") from error


def _encode(image: Image.Image, long_side: int) -> EncodedImage:
    resized = image.copy()
    resized.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    # Rebuilt from its pixels alone, so no metadata of the original can ride along.
    clean = Image.frombytes(resized.mode, resized.size, resized.tobytes())
    out = io.BytesIO()
    clean.save(out, STORED_FORMAT, quality=85, method=4)
    return EncodedImage(data=out.getvalue(), width=clean.width, height=clean.height)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


# The handout prints the logo at most 50 mm wide: 600 px is about 300 dpi there.
LOGO_LONG_SIDE = 600


def logo_prepare(upload) -> EncodedImage:
    """Check a clinic's uploaded logo and return it at the size the handout prints it."""
    (logo,) = image_prepare(upload, (LOGO_LONG_SIDE,))
    return logo


def stored_image_data_url(name: str) -> str:
    """A stored image (written by this module, so WebP) as a data: address."""
    with default_storage.open(name, "rb") as stored:
        return f"data:{CONTENT_TYPE};base64,{base64.b64encode(stored.read()).decode('ascii')}"
