"""The emails of progression and reminders: one function per email, three templates each."""

from __future__ import annotations

from email.utils import formataddr, parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from clinic.mail import email_message, header_text

from .invitations import reminder_link_url
from .links import absolute_url, checkin_url, today_url, unsubscribe_token
from .models import Reminder, Session, StageChange


def _from_clinic(clinic_name: str) -> str:
    """Send from the configured address under the clinic's name, so patients know who writes."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((header_text(clinic_name), address))


def reminder_message_id(reminder: Reminder) -> str:
    """Return the same Message-ID for every attempt, so a duplicate is recognisable."""
    host = urlsplit(settings.SITE_URL).hostname or "flexion"
    return f"<reminder-{reminder.pk}-{reminder.local_date:%Y%m%d}@{host}>"


def unsubscribe_url(patient) -> str:
    return absolute_url(reverse("patients:unsubscribe", args=[unsubscribe_token(patient)]))


def reminder_message(reminder: Reminder) -> EmailMultiAlternatives:
    """Build the day's reminder: today's sessions and the next-day check-in questions."""
    patient, clinic = reminder.patient, reminder.patient.clinic
    session_ids = [item["session"] for item in reminder.items if item["kind"] == "checkin"]
    sessions = Session.objects.in_bulk(session_ids)
    checkins = [
        {"name": item["name"], "url": checkin_url(sessions[item["session"]])}
        for item in reminder.items
        if item["kind"] == "checkin" and item["session"] in sessions
    ]
    sessions = [item["name"] for item in reminder.items if item["kind"] == "session"]
    context = {
        "patient": patient,
        "clinic": clinic,
        "sessions": sessions,
        "checkins": checkins,
        "questionnaires": any(item["kind"] == "questionnaire" for item in reminder.items),
        "today_url": reminder_link_url(patient) if sessions else today_url(),
        "unsubscribe_url": unsubscribe_url(patient),
    }
    return email_message(
        "reminder",
        to=patient.email,
        language=patient.language,
        context=context,
        from_email=_from_clinic(clinic.name),
        headers={
            "Message-ID": reminder_message_id(reminder),
            # RFC 8058: mail providers offer an unsubscribe button that POSTs here.
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


def therapist_alert_message(change: StageChange) -> EmailMultiAlternatives | None:
    """Build the therapist's email about a sketchy or painful check-in (None: nobody to tell)."""
    assignment = change.assignment
    patient = assignment.patient
    therapist = assignment.therapist or patient.therapist
    if therapist is None or not therapist.user.email:
        return None
    context = {
        "change": change,
        "assignment": assignment,
        "patient": patient,
        "clinic": assignment.clinic,
        "admin_url": absolute_url(
            reverse("admin:patients_assignment_change", args=[assignment.pk])
        ),
    }
    return email_message(
        "therapist_alert",
        to=therapist.user.email,
        language=therapist.user.email_language,
        context=context,
        from_email=_from_clinic(assignment.clinic.name),
        headers={"Auto-Submitted": "auto-generated"},
    )
