"""Picture files for the tests, made with Pillow: good ones, and every kind of bad one."""

import io
import struct
import zlib

from PIL import Image

from clinic.images import MAX_UPLOAD_BYTES


def photo_bytes(size=(2400, 1600), fmt="JPEG", gps=True) -> bytes:
    """A camera-like photo: bigger than the stored sizes, with EXIF and a GPS position."""
    image = Image.new("RGB", size, (200, 220, 240))
    for x in range(0, size[0], 50):
        image.paste((30, 90, 140), (x, 0, x + 10, size[1]))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    if gps:
        exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


def png_with_declared_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height``: a decompression bomb's shape."""
    out = io.BytesIO()
    Image.new("L", (8, 8), 0).save(out, "PNG")
    data = bytearray(out.getvalue())
    # The IHDR chunk starts at byte 8: length (4), type (4), width (4), height (4), ...
    ihdr = bytes(data[12:16]) + struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(ihdr) & 0xFFFFFFFF)
    return bytes(data)


SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">
<script>alert(document.cookie)</script><rect width="10" height="10"/></svg>"""
NOT_AN_IMAGE = b"%PDF-1.4\nThis is a document renamed to .jpg, not a picture.\n" * 20


def truncated_jpeg() -> bytes:
    whole = photo_bytes(size=(800, 600), gps=False)
    return whole[: len(whole) // 2]


# Every kind of upload refused: (make the bytes, the file name, part of the message).
BAD_UPLOADS = {
    "over the byte limit": (
        lambda: b"\xff\xd8\xff\xe0" + b"\0" * MAX_UPLOAD_BYTES,
        "big.jpg",
        "larger than 10 MB",
    ),
    "over the pixel limit": (
        lambda: png_with_declared_size(8000, 6000),
        "huge.png",
        "too many pixels",
    ),
    "a decompression bomb": (
        lambda: png_with_declared_size(100_000, 100_000),
        "bomb.png",
        "too many pixels",
    ),
    "a document named .jpg": (lambda: NOT_AN_IMAGE, "holiday.jpg", "not a JPEG, PNG or WebP"),
    "an SVG": (lambda: SVG, "drawing.svg", "SVG drawings are not accepted"),
    "an SVG named .png": (lambda: SVG, "drawing.png", "SVG drawings are not accepted"),
    "a corrupt JPEG": (truncated_jpeg, "broken.jpg", "damaged and cannot be read"),
    "an empty file": (lambda: b"", "empty.jpg", ""),
}
