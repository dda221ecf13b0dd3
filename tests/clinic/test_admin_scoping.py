import pytest
from django.urls import reverse

from clinic.models import StaffMember
from patients.models import Patient

pytestmark = pytest.mark.django_db


def test_alice_lists_only_patients_of_clinic_a(client, alice, carol, dave):
    client.force_login(alice)
    response = client.get(reverse("admin:patients_patient_changelist"))
    assert response.status_code == 200
    assert carol.first_name in response.text
    assert dave.first_name not in response.text


def test_alice_cannot_open_a_clinic_b_patient(client, alice, dave):
    client.force_login(alice)
    response = client.get(reverse("admin:patients_patient_change", args=[dave.pk]), follow=True)
    assert dave.first_name not in response.text
    assert "doesn’t exist" in response.text


def test_alice_cannot_change_a_clinic_b_patient(client, alice, dave):
    client.force_login(alice)
    client.post(
        reverse("admin:patients_patient_change", args=[dave.pk]),
        {"first_name": "Hacked", "last_name": "", "email": "", "timezone": "UTC"},
    )
    dave.refresh_from_db()
    assert dave.first_name == "Dave"


def test_a_patient_added_by_alice_belongs_to_clinic_a(client, alice, clinic_a):
    client.force_login(alice)
    response = client.post(
        reverse("admin:patients_patient_add"),
        {"first_name": "Fay", "last_name": "Field", "email": "fay@example.com", "timezone": "UTC"},
    )
    assert response.status_code == 302, response.text
    assert Patient.objects.get(first_name="Fay").clinic == clinic_a


def test_the_therapist_choices_offer_only_colleagues(client, alice, bob):
    client.force_login(alice)
    response = client.get(reverse("admin:patients_patient_add"))
    assert "Alice" in response.text
    assert "Bob" not in response.text


def test_a_therapist_cannot_manage_staff_but_a_clinic_admin_can(client, alice, alma, bob):
    client.force_login(alice)
    assert client.get(reverse("admin:clinic_staffmember_add")).status_code == 403
    client.force_login(alma)
    assert client.get(reverse("admin:clinic_staffmember_add")).status_code == 200
    listing = client.get(reverse("admin:clinic_staffmember_changelist"))
    assert "alice@a.example" in listing.text
    assert "bob@b.example" not in listing.text


def test_a_clinic_admin_adds_a_colleague_to_their_own_clinic(client, alma, clinic_a):
    client.force_login(alma)
    response = client.post(
        reverse("admin:clinic_staffmember_add"),
        {
            "email": "New.Colleague@A.example",
            "full_name": "New Colleague",
            "role": "therapist",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.text
    staff = StaffMember.objects.get(user__email="new.colleague@a.example")
    assert staff.clinic == clinic_a
    assert staff.user.is_staff
    assert not staff.user.has_usable_password()


def test_only_platform_operators_see_the_users_admin(client, alma):
    client.force_login(alma)
    assert client.get(reverse("admin:clinic_user_changelist")).status_code == 403
