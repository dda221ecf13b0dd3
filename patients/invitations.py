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

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.mail import email_message
from clinic.models import User
from clinic.queue import TRANSIENT, enqueue_on_commit
from clinic.throttles import account_email_allowed

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
    """Return the patient's login, creating one (no password yet, never staff) if missing.

    Each patient record has a login of its own, even when another clinic (or a staff
    login) uses the same address: one clinic's records never decide what another may do
    with an address, nor tell it that the address is known (docs/identities.md).
    """
    if patient.user_id is not None:
        return patient.user
    if not patient.email:
        raise ValidationError(_("%(name)s has no email address.") % {"name": patient})
    user = User.objects.create_user(
        email=patient.email, full_name=str(patient), is_staff=False, password=None
    )
    patient.user = user
    patient.save(update_fields=["user"])
    return user


def invitation_send(*, patient: Patient) -> None:
    """Create the patient's login if needed and enqueue the email with a link to choose a password.

    The email leaves from a Celery task once this transaction commits; the link is made
    there, so no token ever sits in the broker.
    """
    with transaction.atomic():
        user = patient_login_ensure(patient=patient)
        if not account_email_allowed(user.email):
            raise ValidationError(
                _("%(name)s was sent several emails this hour already; try again later.")
                % {"name": patient}
            )
        enqueue_on_commit(invitation_email, [(patient.pk,)])


def invitation_email_send(*, patient_id: int) -> bool:
    """Make an invitation link for the patient's login and email it; False if there is none."""
    patient = Patient.objects.select_related("user", "clinic").filter(pk=patient_id).first()
    user = patient.user if patient is not None else None
    if user is None or not user.is_active or user.is_staff or not user.email:
        return False
    token = login_link_create(user=user, purpose=LoginLinkPurpose.INVITATION)
    url = absolute_url(reverse("patients:invitation", args=[token]))
    _send(
        "invitation",
        to=user.email,
        language=patient.language,
        context={
            "patient": patient,
            "clinic": patient.clinic,
            "url": url,
            "days": INVITATION_VALID_FOR.days,
        },
    )
    return True


def sign_in_link_request(*, email: str) -> None:
    """Enqueue a sign-in link for the address, known or not: the asker learns nothing here.

    The lookup and the email happen in a Celery task after the request, so the answer
    takes as long for an unknown address as for a patient's.
    """
    email = email.strip().lower()
    if account_email_allowed(email):
        enqueue_on_commit(sign_in_link_email, [(email,)])


def sign_in_link_send(*, email: str) -> int:
    """Email a sign-in link to each patient login at the address; return how many were sent.

    Staff, inactive and unknown addresses get nothing. An address can be a patient's at
    several clinics: each login gets its own link, naming its clinic.
    """
    users = (
        User.objects.filter(
            email__iexact=email.strip(), is_active=True, is_staff=False, patient__isnull=False
        )
        .select_related("patient__clinic")
        .order_by("pk")
    )
    minutes = int(SIGN_IN_LINK_VALID_FOR.total_seconds() // 60)
    sent = 0
    for user in users:
        token = login_link_create(user=user, purpose=LoginLinkPurpose.SIGN_IN)
        url = absolute_url(reverse("patients:sign_in_link", args=[token]))
        _send(
            "sign_in_link",
            to=user.email,
            language=user.patient.language,
            context={
                "patient": user.patient,
                "clinic": user.patient.clinic,
                "url": url,
                "minutes": minutes,
            },
        )
        sent += 1
    return sent


def email_change_notices_send(*, patient_id: int, old: str, new: str) -> None:
    """Tell the old address it no longer receives the clinic's emails, and the new one that
    it does. Neither names the patient or says anything about their health.
    """
    patient = Patient.objects.select_related("clinic").filter(pk=patient_id).first()
    if patient is None:
        return
    context = {"clinic": patient.clinic, "sign_in_url": absolute_url(reverse("patients:login"))}
    if old:
        _send("address_changed_old", to=old, language=patient.language, context=context)
    if new:
        _send("address_changed_new", to=new, language=patient.language, context=context)


def _send(name: str, *, to: str, language: str, context: dict) -> None:
    email_message(name, to=to, language=language, context=context).send()


# The Celery tasks that send these emails once the request that asked for them committed.


@shared_task(ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def sign_in_link_email(email: str) -> int:
    """Email the sign-in links asked for on the sign-in page (after that request committed)."""
    return sign_in_link_send(email=email)


@shared_task(ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def invitation_email(patient_id: int) -> bool:
    """Email a patient the invitation a therapist sent from the admin."""
    return invitation_email_send(patient_id=patient_id)


@shared_task(ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def email_change_notices(patient_id: int, old: str, new: str) -> None:
    """Tell the old and the new address that a patient's email address changed."""
    email_change_notices_send(patient_id=patient_id, old=old, new=new)
