"""A patient's login belongs to their clinic: no clinic learns, or blocks, another's addresses.

dave is clinic B's patient at dave@b.example. Clinic A may know the same person (or
mistype someone's address): it must neither be told the address is known nor take it
away from clinic B, and the other way round (docs/identities.md).
"""

import re

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from clinic.models import User
from patients.invitations import invitation_send
from patients.models import Patient
from tests.factories import PASSWORD, PatientFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "calm-stretching-every-week"


def invite_in_admin(client, staff, patient):
    client.force_login(staff)
    return client.post(
        reverse("admin:patients_patient_changelist"),
        {"action": "invite_to_patient_site", "_selected_action": [patient.pk]},
        follow=True,
    )


def accept(client, message, password):
    url = re.search(r"https?://[^/\s]+(/invitation/[^\s\"]+)", message.body).group(1)
    client.post(url, {"new_password1": password, "new_password2": password})
    client.logout()


def test_clinic_a_invites_clinic_bs_patients_address_without_learning_it_is_known(
    client, alice, dave, clinic_a, after_commit
):
    same_person = PatientFactory(clinic=clinic_a, first_name="Dave", email="dave@b.example")
    with after_commit():
        response = invite_in_admin(client, alice, same_person)
    assert "Invited 1 patient." in response.text
    assert "another login" not in response.text
    same_person.refresh_from_db()
    assert same_person.user not in (None, dave.user)
    dave.user.refresh_from_db()
    assert dave.user.check_password(PASSWORD)
    assert [message.to for message in mail.outbox] == [["dave@b.example"]]


def test_clinic_as_invitation_does_not_squat_the_address_for_clinic_b(
    client, alice, bob, clinic_a, clinic_b, after_commit
):
    first = PatientFactory(clinic=clinic_a, first_name="Gina", email="gina@example.com")
    with after_commit():
        invitation_send(patient=first)
    later = PatientFactory(clinic=clinic_b, first_name="Gina", email="gina@example.com")
    with after_commit():
        response = invite_in_admin(client, bob, later)
    assert "Invited 1 patient." in response.text
    assert "another login" not in response.text
    first.refresh_from_db()
    later.refresh_from_db()
    assert first.user != later.user
    assert [message.to for message in mail.outbox] == [["gina@example.com"]] * 2


def test_each_clinics_login_at_one_address_signs_into_its_own_records(
    client, alice, bob, clinic_a, clinic_b, after_commit
):
    at_a = PatientFactory(clinic=clinic_a, first_name="Gina", email="gina@example.com")
    at_b = PatientFactory(clinic=clinic_b, first_name="Gina", email="gina@example.com")
    with after_commit():
        invitation_send(patient=at_a)
        invitation_send(patient=at_b)
    accept(client, mail.outbox[0], "password-for-clinic-a")
    accept(client, mail.outbox[1], "password-for-clinic-b")
    for password, patient in (("password-for-clinic-a", at_a), ("password-for-clinic-b", at_b)):
        client.post(
            reverse("patients:login"), {"username": "gina@example.com", "password": password}
        )
        assert client.session["_auth_user_id"] == str(patient.user_id)
        client.logout()


def test_a_sign_in_link_request_sends_one_link_per_clinic_naming_it(
    client, clinic_a, clinic_b, after_commit
):
    for clinic in (clinic_a, clinic_b):
        patient = PatientFactory(clinic=clinic, first_name="Gina", email="gina@example.com")
        with after_commit():
            invitation_send(patient=patient)
    mail.outbox.clear()
    with after_commit():
        client.post(reverse("patients:sign_in_link_request"), {"email": "gina@example.com"})
    assert sorted("Clinic A" in m.body for m in mail.outbox) == [False, True]
    assert sorted("Clinic B" in m.body for m in mail.outbox) == [False, True]


@pytest.mark.parametrize("direction", ["a_uses_bs_address", "b_uses_as_address"])
def test_the_api_creates_and_invites_with_another_clinics_address(
    direction, alice, bob, carol, dave, after_commit
):
    staff, address = (alice, dave.email) if direction == "a_uses_bs_address" else (bob, carol.email)
    api = APIClient()
    api.force_login(staff)
    response = api.post(
        "/api/v1/patients/", {"first_name": "Same", "email": address}, format="json"
    )
    assert response.status_code == 201, response.json()
    created = Patient.objects.get(pk=response.json()["id"])
    with after_commit():
        invitation_send(patient=created)
    assert User.objects.filter(email=address).count() == 2


def test_a_staff_address_stays_unique_among_staff(clinic_a, alice):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="staff login with this email"):
        User(email="alice@a.example", is_staff=True).validate_constraints()


def test_a_clinic_admin_adds_staff_at_another_clinics_patients_address_without_learning_it(
    client, alma, dave
):
    client.force_login(alma)
    response = client.post(
        reverse("admin:clinic_staffmember_add"),
        {"email": "dave@b.example", "full_name": "Dave", "role": "therapist", "is_active": "on"},
    )
    assert response.status_code == 302, response.text
    assert User.objects.filter(email="dave@b.example", is_staff=True).exists()
    dave.user.refresh_from_db()
    assert not dave.user.is_staff
