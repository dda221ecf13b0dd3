"""The thread between a patient and their clinic's therapists: send, read, tell the other side.

The email that tells the other side a message is waiting never carries the message: it
says who wrote (the clinic, or "a patient") and links to where it can be read after
signing in. It is sent once per unread run, not once per message.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from celery import shared_task
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.audit import audit_record
from clinic.mail import email_message
from clinic.models import AuditAction, StaffMember, User
from clinic.queue import TRANSIENT, enqueue_on_commit

from .links import absolute_url
from .models import MAX_MESSAGE_LENGTH, Message, Patient, Session


def message_text(body: str | None) -> str:
    """The text as it is counted and stored: each line break one LF (a browser's form sends
    CR LF, so a box's own count of "at most 2000" is the server's too), no spaces around."""
    return (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def message_body_clean(body: str) -> str:
    """Return the body to store, or raise ValidationError with a message for the writer."""
    body = message_text(body)
    if not body:
        raise ValidationError(_("Write a message first: it is empty."), code="empty")
    if len(body) > MAX_MESSAGE_LENGTH:
        raise ValidationError(
            _("A message holds at most %(max)d characters (this one has %(n)d).")
            % {"max": MAX_MESSAGE_LENGTH, "n": len(body)},
            code="too_long",
        )
    return body


def message_send(
    *,
    patient: Patient,
    author,
    body: str,
    from_patient: bool,
    session: Session | None = None,
    request=None,
) -> Message:
    """Add a message to the patient's thread, audit it, and tell the other side by email.

    The email is sent only when this message is the first the other side has not read:
    three messages in a row make one email.
    """
    body = message_body_clean(body)
    with transaction.atomic():
        waiting = Message.objects.filter(patient=patient, from_patient=from_patient, read_at=None)
        first_unread = not waiting.exists()
        message = Message.objects.create(
            clinic_id=patient.clinic_id,
            patient=patient,
            author=author,
            from_patient=from_patient,
            body=body,
            session=session,
        )
        audit_record(action=AuditAction.ADD, request=request, actor=author, obj=message)
        thread_changed(patient)
        if first_unread:
            enqueue_on_commit(message_notice_email, [(message.pk,)])
    return message


def messages_read(*, patient: Patient, by_patient: bool) -> int:
    """Mark the other side's messages to this reader as read; return how many were new."""
    unread = Message.objects.filter(patient=patient, read_at=None, from_patient=not by_patient)
    marked = unread.update(read_at=timezone.now())
    if marked:
        thread_changed(patient)
    return marked


def thread_changed(patient: Patient) -> None:
    """Give the patient a new messages version: the cached summary of the thread goes."""
    Patient.objects.filter(pk=patient.pk).update(messages_version=uuid.uuid4())


# The summaries of threads (settings.CACHES), keyed by the patient's messages version.
SUMMARY_CACHE = "derived"
SUMMARY_LENGTH = 3


@dataclass(frozen=True)
class ThreadSummary:
    latest: list[Message]  # the last few, oldest first, each with ``unread_by_reader``
    unread: int  # the clinic's messages the patient has not read


def thread_summary(patient: Patient) -> ThreadSummary:
    """The end of the patient's thread as the today page shows it, cached per version."""
    key = f"thread:{patient.pk}:{patient.messages_version}"
    cache = caches[SUMMARY_CACHE]
    summary = cache.get(key)
    if summary is None:
        thread = thread_read(patient)
        summary = ThreadSummary(
            latest=thread[-SUMMARY_LENGTH:],
            unread=sum(1 for message in thread if message.unread_by_reader),
        )
        cache.set(key, summary)
    return summary


def thread_read(patient: Patient) -> list[Message]:
    """The patient's whole thread, oldest first, the clinic's unread messages marked
    ``unread_by_reader``."""
    thread = list(Message.objects.for_patient(patient.pk).order_by("created_at", "pk"))
    for message in thread:
        message.unread_by_reader = not message.from_patient and message.read_at is None
    return thread


def message_recipients(message: Message) -> list[tuple[str, str]]:
    """The addresses told of a new message, each with its reader's language: the patient
    (their record's language), or their therapists (each one's own)."""
    patient = message.patient
    if not message.from_patient:
        user = patient.user
        wants = user is not None and user.is_active and bool(patient.email)
        return [(patient.email, patient.language)] if wants else []
    staff = StaffMember.objects.filter(clinic_id=patient.clinic_id, is_active=True)
    if patient.therapist_id is not None:
        staff = staff.filter(pk=patient.therapist_id)
    else:
        staff = staff.filter(assignments__patient=patient, assignments__status="active").distinct()
    users = User.objects.filter(
        pk__in=staff.filter(user__is_active=True).values("user_id")
    ).exclude(email="")
    return sorted({(user.email, user.email_language) for user in users})


def message_notice_send(*, message_id: int) -> int:
    """Email the other side that a message waits (no content, no name); return emails sent."""
    message = (
        Message.objects.select_related("patient__clinic", "patient__user")
        .filter(pk=message_id)
        .first()
    )
    if message is None or message.read_at is not None:
        return 0
    to_patient = not message.from_patient
    if to_patient:
        url = absolute_url(reverse("patients:messages"))
    else:
        url = absolute_url(reverse("patient_story", args=[message.patient_id]))
    context = {"clinic": message.patient.clinic, "to_patient": to_patient, "url": url}
    sent = 0
    for address, language in message_recipients(message):
        email_message(
            "message_notice",
            to=address,
            language=language,
            context=context,
            headers={"Auto-Submitted": "auto-generated"},
        ).send()
        sent += 1
    return sent


@shared_task(ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def message_notice_email(message_id: int) -> int:
    """Tell the other side of a thread that a message waits (after the sender's commit)."""
    return message_notice_send(message_id=message_id)
