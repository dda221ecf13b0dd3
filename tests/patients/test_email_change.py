"""A patient's address and their login's are one: changed in one place, both addresses told."""

import pytest
from django.contrib.sessions.models import Session as DjangoSession
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from clinic.models import LoginLink, User
from patients.invitations import invitation_send
from patients.services import patient_email_change
from tests.factories import AssignmentFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fiona(clinic_a, after_commit):
    """A patient of clinic A invited at a mistyped address, the invitation not yet used."""
    patient = PatientFactory(
        clinic=clinic_a, first_name="Fiona", last_name="Hall", email="fiona@wrong.example"
    )
    AssignmentFactory(patient=patient, name="Hip flexor stretches for back pain")
    with after_commit():
        invitation_send(patient=patient)
    mail.outbox.clear()
    return patient


def change_in_admin(client, user, patient, email):
    client.force_login(user)
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    data = {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "email": email,
        "therapist": "",
        "timezone": patient.timezone,
        "reminder_consent": "on" if patient.reminder_consent else "",
    }
    return client.post(url, data)


def change_in_api(alice, patient, email):
    client = APIClient()
    client.force_login(alice)
    return client.patch(f"/api/v1/patients/{patient.pk}/", {"email": email}, format="json")


@pytest.mark.parametrize("path", ["admin", "api"])
def test_a_corrected_email_moves_the_login_and_kills_the_pending_invitation(
    client, alice, fiona, path, after_commit
):
    with after_commit():
        if path == "admin":
            response = change_in_admin(client, alice, fiona, "Fiona@Right.example")
            assert response.status_code == 302
        else:
            assert change_in_api(alice, fiona, "Fiona@Right.example").status_code == 200
    fiona.refresh_from_db()
    assert fiona.email == "fiona@right.example"
    assert fiona.user.email == "fiona@right.example"
    assert not User.objects.filter(email="fiona@wrong.example").exists()
    assert not LoginLink.objects.usable().filter(user=fiona.user).exists()
    assert sorted(message.to[0] for message in mail.outbox) == [
        "fiona@right.example",
        "fiona@wrong.example",
    ]


def test_the_old_address_cannot_get_in_any_more(client, alice, fiona, after_commit):
    invitation = LoginLink.objects.get(user=fiona.user)
    with after_commit():
        change_in_admin(client, alice, fiona, "fiona@right.example")
        client.logout()
        client.post(reverse("patients:sign_in_link_request"), {"email": "fiona@wrong.example"})
        client.post(reverse("password_reset"), {"email": "fiona@wrong.example"})
    invitation.refresh_from_db()
    assert invitation.used_at is not None
    sent_to_old = [m for m in mail.outbox if m.to == ["fiona@wrong.example"]]
    assert [m.subject for m in sent_to_old] == ["Your Flexion email address was changed"]


def test_the_notices_carry_no_health_data(client, alice, fiona, after_commit):
    with after_commit():
        change_in_admin(client, alice, fiona, "fiona@right.example")
    for message in mail.outbox:
        content = message.subject + message.body + message.alternatives[0][0]
        assert "Clinic A" in content
        for private in ("Fiona", "Hall", "Hip flexor", "back pain", "fiona@"):
            assert private not in content


def test_a_change_ends_the_logins_sessions_and_drops_its_password(client, alice, carol):
    patient_client = client.__class__()
    patient_client.force_login(carol.user)
    assert DjangoSession.objects.count() == 1
    patient_email_change(patient=carol, email="carol@new.example")
    carol.user.refresh_from_db()
    assert not carol.user.has_usable_password()
    assert DjangoSession.objects.count() == 0


def test_the_same_address_in_other_letters_changes_nothing(carol, after_commit):
    with after_commit():
        assert patient_email_change(patient=carol, email=" CAROL@a.example ") is False
    assert mail.outbox == []
    carol.user.refresh_from_db()
    assert carol.user.has_usable_password()


def test_logins_that_drifted_before_the_fix_are_put_back_on_the_patients_address(carol):
    import importlib

    from django.apps import apps

    from clinic.login_links import login_link_create
    from clinic.models import LoginLinkPurpose

    migration = importlib.import_module(
        "patients.migrations.0010_patient_logins_follow_patient_email"
    )
    type(carol).objects.filter(pk=carol.pk).update(email="Carol@Right.example")
    login_link_create(user=carol.user, purpose=LoginLinkPurpose.SIGN_IN)
    # It ran while LoginLink was still the patients' (it moved down to clinic since).
    historical = {("patients", "LoginLink"): LoginLink}

    class AppsOfThen:
        def get_model(self, app_label, name):
            return historical.get((app_label, name)) or apps.get_model(app_label, name)

    migration.logins_follow_patients(AppsOfThen(), None)
    carol.user.refresh_from_db()
    assert carol.user.email == "carol@right.example"
    assert not LoginLink.objects.usable().filter(user=carol.user).exists()
