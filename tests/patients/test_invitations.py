import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clinic.models import LoginLink, User
from patients.invitations import invitation_send
from patients.models import Patient
from tests.factories import PASSWORD, PatientFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "calm-stretching-every-week"


@pytest.fixture
def fiona(clinic_a):
    """A patient of clinic A without a login yet."""
    return PatientFactory(clinic=clinic_a, first_name="Fiona", email="Fiona@A.example")


def link_in(message, name):
    path = reverse(f"patients:{name}", args=["TOKEN"]).replace("TOKEN/", "")
    return re.search(rf"https?://[^\s\"]+{re.escape(path)}[^\s\"]+", message.body).group(0)


def path_of(url):
    return "/" + url.split("/", 3)[3]


def test_inviting_creates_a_patient_login_and_emails_a_link(fiona, after_commit):
    with after_commit():
        invitation_send(patient=fiona)
    fiona.refresh_from_db()
    assert fiona.user.email == "fiona@a.example"
    assert not fiona.user.is_staff
    assert not fiona.user.has_usable_password()
    (message,) = mail.outbox
    assert message.to == ["fiona@a.example"]
    assert "Clinic A invites you" in message.subject
    assert "7 days" in message.body
    assert link_in(message, "invitation") in message.alternatives[0][0]


def test_the_invitation_link_sets_a_password_and_signs_in(client, fiona, after_commit):
    with after_commit():
        invitation_send(patient=fiona)
    url = path_of(link_in(mail.outbox[0], "invitation"))
    page = client.get(url).text
    assert "Choose a password for fiona@a.example" in page
    assert "Sign out" not in page
    response = client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.url == reverse("patients:home")
    assert client.get(reverse("patients:home")).status_code == 200
    assert User.objects.get(email="fiona@a.example").check_password(NEW_PASSWORD)


def test_an_invitation_link_works_once(client, fiona, after_commit):
    with after_commit():
        invitation_send(patient=fiona)
    url = path_of(link_in(mail.outbox[0], "invitation"))
    client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    client.logout()
    again = client.get(url)
    assert again.status_code == 410
    assert "It was used already" in again.text
    other = "another-password-entirely"
    client.post(url, {"new_password1": other, "new_password2": other})
    assert User.objects.get(email="fiona@a.example").check_password(NEW_PASSWORD)


def test_an_invitation_expires_after_7_days(client, fiona, after_commit):
    with after_commit():
        invitation_send(patient=fiona)
    url = path_of(link_in(mail.outbox[0], "invitation"))
    with time_machine.travel(timezone.now() + datetime.timedelta(days=7, minutes=1)):
        response = client.get(url)
    assert response.status_code == 410
    assert "It has expired" in response.text


def test_a_made_up_link_gets_a_clear_page(client):
    response = client.get(reverse("patients:invitation", args=["made-up"]))
    assert response.status_code == 410
    assert "It is not a valid link" in response.text


def test_only_a_hash_of_the_token_is_stored(fiona, after_commit):
    with after_commit():
        invitation_send(patient=fiona)
    token = link_in(mail.outbox[0], "invitation").rstrip("/").rsplit("/", 1)[1]
    assert not LoginLink.objects.filter(token_hash=token).exists()


def test_a_staff_address_invited_as_a_patient_gets_a_patient_login_of_its_own(
    clinic_a, alice, after_commit
):
    patient = PatientFactory(clinic=clinic_a, email="alice@a.example")
    with after_commit():
        invitation_send(patient=patient)
    login = Patient.objects.get(pk=patient.pk).user
    assert login != alice
    assert not login.is_staff
    assert login.email == "alice@a.example"
    alice.refresh_from_db()
    assert alice.is_staff
    assert alice.check_password(PASSWORD)


def test_a_therapist_invites_patients_from_the_admin(client, alice, fiona, clinic_a, after_commit):
    no_email = PatientFactory(clinic=clinic_a, email="")
    client.force_login(alice)
    changelist = reverse("admin:patients_patient_changelist")
    assert "invite_to_patient_site" in client.get(changelist).text
    with after_commit():
        response = client.post(
            changelist,
            {"action": "invite_to_patient_site", "_selected_action": [fiona.pk, no_email.pk]},
            follow=True,
        )
    assert [message.to for message in mail.outbox] == [["fiona@a.example"]]
    assert "Invited 1 patient." in response.text
    assert "has no email address" in response.text


def test_a_therapist_cannot_invite_another_clinics_patient(client, alice, dave):
    client.force_login(alice)
    client.post(
        reverse("admin:patients_patient_changelist"),
        {"action": "invite_to_patient_site", "_selected_action": [dave.pk]},
    )
    assert mail.outbox == []


def test_a_sign_in_link_is_emailed_and_a_get_does_not_sign_in(client, carol, after_commit):
    with after_commit():
        response = client.post(
            reverse("patients:sign_in_link_request"), {"email": "CAROL@a.example"}
        )
    assert "a sign-in link is on its way" in response.text
    (message,) = mail.outbox
    assert "15 minutes" in message.body
    url = path_of(link_in(message, "sign_in_link"))
    page = client.get(url)
    assert "This link signs you in" in page.text
    assert "carol@a.example" not in page.text
    assert "_auth_user_id" not in client.session
    assert client.post(url).url == reverse("patients:home")
    assert client.session["_auth_user_id"] == str(carol.user.pk)


def test_a_sign_in_link_works_once(client, carol, after_commit):
    with after_commit():
        client.post(reverse("patients:sign_in_link_request"), {"email": "carol@a.example"})
    url = path_of(link_in(mail.outbox[0], "sign_in_link"))
    client.post(url)
    client.logout()
    response = client.post(url)
    assert response.status_code == 410
    assert "It was used already" in response.text
    assert "_auth_user_id" not in client.session


def test_a_sign_in_link_expires_after_15_minutes(client, carol, after_commit):
    with after_commit():
        client.post(reverse("patients:sign_in_link_request"), {"email": "carol@a.example"})
    url = path_of(link_in(mail.outbox[0], "sign_in_link"))
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=16)):
        response = client.post(url)
    assert response.status_code == 410
    assert "It has expired" in response.text
    assert "_auth_user_id" not in client.session


def test_unknown_and_staff_addresses_get_the_same_answer_and_no_email(client, alice, after_commit):
    for email in ("nobody@example.com", "alice@a.example"):
        with after_commit():
            response = client.post(reverse("patients:sign_in_link_request"), {"email": email})
        assert "a sign-in link is on its way" in response.text
    assert mail.outbox == []


def test_the_password_login_still_works_after_an_invitation(client, carol):
    response = client.post(
        reverse("patients:login"), {"username": "carol@a.example", "password": PASSWORD}
    )
    assert response.status_code == 302
