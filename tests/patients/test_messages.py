"""The patient's side of the thread: write from the today page or at the end of a session,
read the clinic's replies, unread counts, and the email that carries no content."""

import pytest
from django.core import mail
from django.urls import reverse

from clinic.models import AuditAction, AuditEvent
from patients.messages import message_send
from patients.models import Message

from .back_pain import back_pain_assignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, carol):
    client.force_login(carol.user)
    return client


def test_a_patient_writes_from_the_today_page_and_her_therapist_is_emailed_without_content(
    signed_in, carol, alice, after_commit
):
    carol.therapist = alice.staff
    carol.save()
    with after_commit():
        response = signed_in.post(
            reverse("patients:messages"), {"body": "My knee clicks when I stretch", "next": "home"}
        )
    assert response.status_code == 302 and response.url == reverse("patients:home")
    message = Message.objects.get()
    assert (message.patient, message.author, message.from_patient) == (carol, carol.user, True)
    assert AuditEvent.objects.filter(
        action=AuditAction.ADD, object_type="patients.message"
    ).exists()
    (email,) = mail.outbox
    assert email.to == [alice.email]
    everything = email.subject + email.body + email.alternatives[0][0]
    assert "knee" not in everything and "Carol" not in everything
    assert reverse("patient_story", args=[carol.pk]) in email.body


def test_three_messages_in_a_row_make_one_email(signed_in, carol, alice, after_commit):
    carol.therapist = alice.staff
    carol.save()
    for text in ("One", "Two", "Three"):
        with after_commit():
            signed_in.post(reverse("patients:messages"), {"body": text})
    assert Message.objects.count() == 3 and len(mail.outbox) == 1


@pytest.mark.parametrize("body", ["", "   ", "x" * 100_000])
def test_an_empty_or_huge_message_is_refused_with_a_message_and_saves_nothing(signed_in, body):
    response = signed_in.post(reverse("patients:messages"), {"body": body})
    assert response.status_code == 400
    assert "empty" in response.text or "at most 2000 characters" in response.text
    assert not Message.objects.exists()


def test_the_today_page_shows_the_clinics_reply_as_new_once_and_about_your_program(
    signed_in, carol, alice
):
    back_pain_assignment(
        carol,
        carol.created_at.date(),
        goal="Bend to tie my shoes",
        education="Mild pulling is fine; sharp pain is not.",
    )
    message_send(patient=carol, author=alice, body="Well done this week!", from_patient=False)
    page = signed_in.get(reverse("patients:home")).text
    assert "Well done this week!" in page and "1 new" in page
    assert "About your program" in page
    assert "Bend to tie my shoes" in page and "Mild pulling is fine" in page
    assert Message.objects.get().read_at is not None
    assert "1 new" not in signed_in.get(reverse("patients:home")).text


def test_the_thread_shows_only_the_patients_own_messages(signed_in, carol, erin, dave, alice):
    message_send(patient=erin, author=alice, body="For Erin only", from_patient=False)
    message_send(patient=dave, author=None, body="Dave's words", from_patient=True)
    message_send(patient=carol, author=alice, body="For Carol", from_patient=False)
    page = signed_in.get(reverse("patients:messages")).text
    assert "For Carol" in page
    assert "For Erin only" not in page and "Dave's words" not in page
    assert Message.objects.get(body="For Erin only").read_at is None


def test_staff_cannot_use_the_patients_thread(client, alice):
    client.force_login(alice)
    assert client.get(reverse("patients:messages")).status_code == 403
