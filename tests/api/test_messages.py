"""The messages API: the same thread, rules and emails as the patient site and the admin."""

import pytest
from django.core import mail

from patients.models import Message

pytestmark = pytest.mark.django_db

MESSAGES = "/api/v1/messages/"


def test_a_patient_writes_to_her_own_thread_and_reads_it(carol_api, carol, after_commit):
    with after_commit():
        response = carol_api.post(MESSAGES, {"body": "Can I swim?"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["from_patient"] is True and response.json()["patient"] == carol.pk
    listed = carol_api.get(MESSAGES).json()["results"]
    assert [row["body"] for row in listed] == ["Can I swim?"]


def test_a_therapist_replies_to_a_patient_of_her_clinic(alice_api, carol, after_commit):
    with after_commit():
        response = alice_api.post(
            MESSAGES, {"patient": carol.pk, "body": "Yes, gently."}, format="json"
        )
    assert response.status_code == 201, response.json()
    assert Message.objects.get().from_patient is False
    (email,) = mail.outbox
    assert email.to == [carol.email] and "gently" not in email.body


@pytest.mark.parametrize("body", ["", "   ", "x" * 100_000])
def test_an_empty_or_huge_message_is_a_400_and_saves_nothing(carol_api, body):
    response = carol_api.post(MESSAGES, {"body": body}, format="json")
    assert response.status_code == 400
    assert "body" in response.json()["fields"]
    assert not Message.objects.exists()


def test_staff_must_name_the_patient(alice_api):
    response = alice_api.post(MESSAGES, {"body": "Hello"}, format="json")
    assert response.status_code == 400 and "patient" in response.json()["fields"]
