"""Who is at the other end, and for how long their session may last.

Small pieces shared by the lockout (django-axes), the audit trail and the session
middleware, so that they all agree on a client's address and on session limits.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone


def client_ip(request) -> str | None:
    """Return the client's address, trusting X-Forwarded-For only as far as our own proxies.

    With ``FLEXION_TRUSTED_PROXY_COUNT = n`` the address n entries from the right end
    of X-Forwarded-For is the one our outermost proxy saw; anything further left was
    written by the client and could be forged.
    """
    address = request.META.get("REMOTE_ADDR") or None
    proxies = settings.FLEXION_TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if proxies > 0 and len(forwarded) >= proxies:
        address = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def login_username(request, credentials) -> str:
    """Return the email a login attempt is for, as the lockout counts it (case-insensitive)."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username", "")
    return str(username or "").strip().lower()


@dataclass(frozen=True)
class SessionLimits:
    idle: datetime.timedelta
    absolute: datetime.timedelta


def session_limits(user) -> SessionLimits:
    """Return how long a session of this user may stay idle and last in all."""
    if user.is_staff:
        return SessionLimits(
            idle=datetime.timedelta(minutes=settings.FLEXION_STAFF_IDLE_MINUTES),
            absolute=datetime.timedelta(hours=settings.FLEXION_STAFF_SESSION_HOURS),
        )
    return SessionLimits(
        idle=datetime.timedelta(minutes=settings.FLEXION_PATIENT_IDLE_MINUTES),
        absolute=datetime.timedelta(hours=settings.FLEXION_PATIENT_SESSION_HOURS),
    )


def user_sessions_end(*, user) -> int:
    """Delete every stored session of the user; return how many there were.

    Django already refuses a session whose user is inactive or whose password
    changed; this removes the rows too, so nothing of them lingers.
    """
    key = str(user.pk)
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == key
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)
