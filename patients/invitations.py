"""Getting a patient in without friction: the invitation and the emailed sign-in link.

Both are single-use and expire. Django's PasswordResetTokenGenerator would be
single-use too (it hashes the password and last login), but it has one expiry for
every purpose and cannot tell "already used" from "expired" or "never existed".
A ``LoginLink`` row per link gives each its own expiry, a clear page for each case,
and a record the clinic can look at.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.mail import render_subject, render_text
from clinic.models import User

from .links import absolute_url
from .models import LoginLink, LoginLinkPurpose, Patient

INVITATION_VALID_FOR = datetime.timedelta(days=7)
SIGN_IN_LINK_VALID_FOR = datetime.timedelta(minutes=15)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login_link_create(*, user: User, purpose: str) -> str:
    """Store a new link for the user and return its token (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    valid_for = (
        INVITATION_VALID_FOR if purpose == LoginLinkPurpose.INVITATION else SIGN_IN_LINK_VALID_FOR
    )
    LoginLink.objects.create(
        user=user,
        purpose=purpose,
        token_hash=_hash(token),
        expires_at=timezone.now() + valid_for,
    )
    return token


@dataclass(frozen=True)
class LinkCheck:
    link: LoginLink | None
    problem: str | None  # "unknown", "used", "expired" or None when the link can be used

    @property
    def ok(self) -> bool:
        return self.problem is None


def login_link_check(*, token: str, purpose: str) -> LinkCheck:
    """Look a token up without spending it: a GET may only look."""
    link = (
        LoginLink.objects.select_related("user")
        .filter(token_hash=_hash(token), purpose=purpose)
        .first()
    )
    if link is None or not link.user.is_active or link.user.is_staff:
        return LinkCheck(None, "unknown")
    if link.used_at is not None:
        return LinkCheck(link, "used")
    if link.is_expired:
        return LinkCheck(link, "expired")
    return LinkCheck(link, None)


def patient_login_ensure(*, patient: Patient) -> User:
    """Return the patient's login, creating one (no password yet, never staff) if missing."""
    if patient.user_id is not None:
        return patient.user
    if not patient.email:
        raise ValidationError(_("%(name)s has no email address.") % {"name": patient})
    email = User.objects.normalize_email(patient.email).lower()
    existing = User.objects.filter(email=email).select_related("patient").first()
    if existing is not None:
        if existing.is_staff or getattr(existing, "patient", None) is not None:
            raise ValidationError(
                _("The address %(email)s already belongs to another login.") % {"email": email}
            )
        user = existing
    else:
        user = User.objects.create_user(
            email=email, full_name=str(patient), is_staff=False, password=None
        )
    patient.user = user
    patient.save(update_fields=["user"])
    return user


def invitation_send(*, patient: Patient) -> None:
    """Create the patient's login if needed and email a link to choose a password."""
    with transaction.atomic():
        user = patient_login_ensure(patient=patient)
        if user.is_staff:
            raise ValidationError(_("Staff logins cannot be invited as patients."))
        token = login_link_create(user=user, purpose=LoginLinkPurpose.INVITATION)
    url = absolute_url(reverse("patients:invitation", args=[token]))
    _send(
        "invitation",
        to=user.email,
        context={
            "patient": patient,
            "clinic": patient.clinic,
            "url": url,
            "days": INVITATION_VALID_FOR.days,
        },
    )


def sign_in_link_send(*, email: str) -> bool:
    """Email a sign-in link if the address is a patient's active login; say nothing otherwise."""
    user = (
        User.objects.filter(email__iexact=email.strip(), is_active=True, is_staff=False)
        .select_related("patient")
        .first()
    )
    if user is None or getattr(user, "patient", None) is None:
        return False
    token = login_link_create(user=user, purpose=LoginLinkPurpose.SIGN_IN)
    url = absolute_url(reverse("patients:sign_in_link", args=[token]))
    minutes = int(SIGN_IN_LINK_VALID_FOR.total_seconds() // 60)
    _send(
        "sign_in_link",
        to=user.email,
        context={"patient": user.patient, "url": url, "minutes": minutes},
    )
    return True


def _send(name: str, *, to: str, context: dict) -> None:
    subject = render_subject(f"emails/{name}_subject.txt", context)
    text = render_text(f"emails/{name}.txt", context)
    html = render_to_string(f"emails/{name}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    message.send()
