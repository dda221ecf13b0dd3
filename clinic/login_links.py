"""Single-use, expiring links that let someone in: patients' invitations, sign-in links and
reminder links, and staff invitations.

Django's PasswordResetTokenGenerator would be single-use too (it hashes the password and
last login), but it has one expiry for every purpose and cannot tell "already used" from
"expired", "revoked" or "never existed". A ``LoginLink`` row per link gives each its own
expiry, a clear page for each case, and a record the clinic can look at.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.utils import timezone

from .models import LoginLink, LoginLinkPurpose, User

# How long each kind of link works: long enough to find the email, short enough that an
# old mailbox opens nothing.
VALID_FOR = {
    LoginLinkPurpose.INVITATION: datetime.timedelta(days=7),
    LoginLinkPurpose.SIGN_IN: datetime.timedelta(minutes=15),
    LoginLinkPurpose.STAFF_INVITATION: datetime.timedelta(days=3),
    # A reminder is read over the morning: its link signs in for the rest of that day at most.
    LoginLinkPurpose.REMINDER: datetime.timedelta(hours=12),
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login_link_create(*, user: User, purpose: str) -> str:
    """Store a new link for the user and return its token (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    LoginLink.objects.create(
        user=user,
        purpose=purpose,
        token_hash=token_hash(token),
        expires_at=timezone.now() + VALID_FOR[purpose],
    )
    return token


@dataclass(frozen=True)
class LinkCheck:
    link: LoginLink | None
    # "unknown", "used", "revoked", "expired" or None when the link can be used
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def login_link_check(*, token: str, purpose: str) -> LinkCheck:
    """Look a token up without spending it: a GET may only look.

    A staff login only ever opens a staff invitation, a patient's only a patient's link.
    """
    link = (
        LoginLink.objects.select_related("user")
        .filter(token_hash=token_hash(token), purpose=purpose)
        .first()
    )
    if (
        link is None
        or not link.user.is_active
        or link.user.is_staff != LoginLinkPurpose(purpose).for_staff
    ):
        return LinkCheck(None, "unknown")
    if link.used_at is not None:
        return LinkCheck(link, "used")
    if link.revoked_at is not None:
        return LinkCheck(link, "revoked")
    if link.is_expired:
        return LinkCheck(link, "expired")
    return LinkCheck(link, None)


def login_links_revoke(*, user: User, purpose: str) -> int:
    """Stop the user's pending links of this purpose working; return how many were pending."""
    return (
        LoginLink.objects.usable()
        .filter(user=user, purpose=purpose)
        .update(revoked_at=timezone.now())
    )
