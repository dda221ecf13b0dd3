"""Every email's subject is plain text on one line, whatever a clinic or a patient is named.

The walk sends each email the app sends and checks that together they rendered every
subject template there is: a new email with its own subject template must be added here.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils import timezone

from clinic.invitations import staff_invitation_email_send
from clinic.mail import header_text, render_subject
from clinic.password_reset import password_reset_email_send
from patients.emails import reminder_message, therapist_alert_message
from patients.invitations import (
    email_change_notices_send,
    invitation_email_send,
    sign_in_link_send,
)
from patients.messages import message_notice_send, message_send
from patients.models import ChangeKind, Reminder, StageChange
from tests.factories import AssignmentFactory, StaffFactory

pytestmark = pytest.mark.django_db

CLINIC = "Smith & O'Brien\nPhysio"
ONE_LINE = "Smith & O'Brien Physio"
PATIENT = 'Ann "Nan" <O\'Neil>'
ASSIGNMENT = "Hips & back"


def subject_templates() -> set[str]:
    root = Path(settings.BASE_DIR) / "templates"
    return {str(path.relative_to(root)) for path in root.rglob("*subject*.txt")}


@pytest.fixture
def hostile(clinic_a, carol, alice):
    clinic_a.name = CLINIC
    clinic_a.save()
    carol.first_name, carol.last_name = PATIENT, ""
    carol.save()
    return AssignmentFactory(patient=carol, therapist=alice.staff, name=ASSIGNMENT)


@pytest.fixture
def rendered():
    names: list[str] = []

    def record(sender, template, **kwargs):
        names.append(template.name)

    template_rendered.connect(record)
    yield names
    template_rendered.disconnect(record)


def invite(client, alma, patients, capture) -> None:
    """Run the admin's invite action, then what its queued tasks run."""
    client.force_login(alma)
    with capture() as queued:
        response = client.post(
            reverse("admin:patients_patient_changelist"),
            {"action": "invite_to_patient_site", "_selected_action": [p.pk for p in patients]},
        )
    assert response.status_code == 302
    assert len(queued) == len(patients)
    for patient in patients:
        invitation_email_send(patient_id=patient.pk)


def send_every_email(assignment, alma, alice, erin, capture) -> None:
    """Each email the app sends, as its task or its caller sends it."""
    carol = assignment.patient
    invite(Client(), alma, [carol, erin], capture)
    sign_in_link_send(email=carol.email)
    email_change_notices_send(patient_id=carol.pk, old="old@a.example", new=carol.email)
    reminder = Reminder.objects.create(
        patient=carol,
        local_date=datetime.date(2026, 3, 2),
        due_at=timezone.now(),
        items=[{"kind": "session", "assignment": assignment.pk, "name": ASSIGNMENT}],
    )
    reminder_message(reminder).send()
    change = StageChange.objects.create(
        assignment=assignment,
        effective_on=datetime.date(2026, 3, 2),
        to_stage="start",
        kind=ChangeKind.ALERT,
        reason="Sketchy & painful",
        alert_therapist=True,
    )
    therapist_alert_message(change).send()
    password_reset_email_send(email=alice.email)
    # A message each way: the patient to her therapist, and the reply.
    carol.therapist = alice.staff
    carol.save()
    asked = message_send(patient=carol, author=carol.user, body="Q & A", from_patient=True)
    message_notice_send(message_id=asked.pk)
    answered = message_send(patient=carol, author=alice, body="A & Q", from_patient=False)
    message_notice_send(message_id=answered.pk)
    invited = StaffFactory(clinic=assignment.clinic, user__email="gina@a.example")
    invited.user.set_unusable_password()
    invited.user.save()
    staff_invitation_email_send(staff_id=invited.pk)


def test_every_email_has_a_plain_one_line_subject(
    hostile, alma, alice, erin, mailoutbox, rendered, django_capture_on_commit_callbacks
):
    send_every_email(hostile, alma, alice, erin, django_capture_on_commit_callbacks)
    assert subject_templates() <= set(rendered), "an email whose subject this walk does not send"
    assert len(mailoutbox) == 11
    for message in mailoutbox:
        assert "\n" not in message.subject and "\r" not in message.subject
        assert "&amp;" not in message.subject and "&#" not in message.subject, message.subject
        assert "&amp;" not in message.body and "&#x27;" not in message.body, message.subject
        assert "\n" not in message.from_email
        message.message()  # builds the headers: a bad one raises BadHeaderError
    subjects = [message.subject for message in mailoutbox]
    assert f"{ONE_LINE} invites you to your home exercises" in subjects
    assert f"{ONE_LINE} invites you to Flexion" in subjects
    assert f"Today's session is ready — {ONE_LINE}" in subjects
    assert f"Pain alert: {PATIENT} — {ASSIGNMENT}" in subjects
    assert f"A new message from {ONE_LINE}" in subjects
    assert "A patient sent a new message" in subjects


def test_the_invite_action_invites_every_selected_patient_of_a_clinic_with_a_newline_in_its_name(
    hostile, alma, erin, mailoutbox, django_capture_on_commit_callbacks
):
    invite(Client(), alma, [hostile.patient, erin], django_capture_on_commit_callbacks)
    assert sorted(message.to[0] for message in mailoutbox) == ["carol@a.example", "erin@a.example"]
    assert mailoutbox[0].subject == "Smith & O'Brien Physio invites you to your home exercises"


@pytest.mark.parametrize("template", sorted(subject_templates()))
def test_each_subject_template_renders_one_unescaped_line(template, hostile):
    subject = render_subject(
        template,
        {
            "clinic": hostile.clinic,
            "patient": hostile.patient,
            "assignment": hostile,
            "sessions": [ASSIGNMENT],
        },
    )
    assert subject == header_text(subject)
    assert "&amp;" not in subject and "&#x27;" not in subject and "&quot;" not in subject


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a\nb", "a b"),
        ("a\r\n\tb", "a b"),
        ("a\u2028b\u0085c", "a b c"),
        ("a\x00b\x07", "ab"),
        ("  a  ", "a"),
    ],
)
def test_header_text_is_one_line_without_control_characters(value, expected):
    assert header_text(value) == expected


def test_every_email_is_a_subject_text_and_html_trio_in_one_folder():
    emails = Path(settings.BASE_DIR) / "templates" / "emails"
    names = {path.name.removesuffix("_subject.txt") for path in emails.glob("*_subject.txt")}
    expected = {
        f"{name}{suffix}"
        for name in names
        for suffix in ("_subject.txt", "_body.txt", "_body.html")
    }
    assert {path.name for path in emails.iterdir()} == expected
    assert subject_templates() == {f"emails/{name}_subject.txt" for name in names}
