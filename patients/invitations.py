"""Getting a patient in without friction: the invitation and the emailed sign-in link.

Both are single-use, expiring ``LoginLink`` rows (clinic.login_links).
"""

from __future__ import annotations

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from clinic.login_links import VALID_FOR, login_link_create
from clinic.mail import email_message
from clinic.models import LoginLinkPurpose, User
from clinic.queue import TRANSIENT, enqueue_on_commit
from clinic.throttles import account_email_allowed

from .links import absolute_url
from .models import Patient

INVITATION_VALID_FOR = VALID_FOR[LoginLinkPurpose.INVITATION]
SIGN_IN_LINK_VALID_FOR = VALID_FOR[LoginLinkPurpose.SIGN_IN]
REMINDER_LINK_VALID_FOR = VALID_FOR[LoginLinkPurpose.REMINDER]


def reminder_link_url(patient: Patient) -> str:
    """The reminder's "open today's session" link: it signs the patient in on a device where
    they are signed out (single use, for REMINDER_LINK_VALID_FOR); the today page without
    a login to sign in to."""
    user = patient.user
    if user is None or not user.is_active or user.is_staff:
        return absolute_url(reverse("patients:home"))
    token = login_link_create(user=user, purpose=LoginLinkPurpose.REMINDER)
    return absolute_url(reverse("patients:reminder_link", args=[token]))


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
