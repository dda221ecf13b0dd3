"""Two-factor login for staff: an authenticator app (TOTP) plus single-use recovery codes."""

from __future__ import annotations

import base64
import io
import time
from binascii import unhexlify

import qrcode
import qrcode.image.svg
from django.db import transaction
from django_otp import devices_for_user, user_has_device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def totp_key_new() -> str:
    """Return a fresh secret for an authenticator app (hex, as django-otp stores it)."""
    return default_key()


def otpauth_uri(*, user, key: str) -> str:
    """Return the otpauth:// address an authenticator app reads from the QR code."""
    return TOTPDevice(user=user, key=key, name=APP_DEVICE_NAME).config_url


def secret_for_typing(key: str) -> str:
    """Return the secret in base32 groups of four, for apps where it is typed in."""
    secret = base64.b32encode(unhexlify(key)).decode("ascii")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_data_uri(text: str) -> str:
    """Return an SVG QR code as a data: address (allowed by the CSP's img-src)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def has_second_factor(user) -> bool:
    return user_has_device(user, confirmed=True)


@transaction.atomic
def mfa_enrol(*, user, key: str, token: str) -> tuple[TOTPDevice, list[str]] | None:
    """Set up the app whose secret is key if token proves it works; return it and recovery codes.

    Return None, and change nothing, when the code does not match.
    """
    try:
        code = int(token.replace(" ", ""))
    except ValueError:
        return None
    totp = TOTP(unhexlify(key))
    totp.time = time.time()
    if not totp.verify(code, tolerance=1):
        return None
    mfa_reset(user=user)
    # last_t makes the code just used unusable a second time.
    device = TOTPDevice.objects.create(
        user=user, name=APP_DEVICE_NAME, key=key, confirmed=True, last_t=totp.t()
    )
    return device, recovery_codes_new(user=user)


def recovery_codes_new(*, user) -> list[str]:
    """Replace the user's recovery codes with new ones; return them (shown once)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def mfa_reset(*, user) -> None:
    """Remove every second factor of the user: they enrol again at their next sign-in."""
    for device in devices_for_user(user, confirmed=None):
        device.delete()
