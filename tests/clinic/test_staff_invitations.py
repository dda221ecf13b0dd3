"""A clinic admin adds a colleague, who gets a single-use invitation to choose a password."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clinic.invitations import staff_invitation_send
from clinic.models import AuditAction, AuditEvent, LoginLink, StaffMember, User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-colleague-chose-this-one"


def invitation_path(message) -> str:
    url = re.search(r"https?://\S+/admin/invitation/\S+/", message.body).group(0)
    return "/" + url.split("/", 3)[3]


def add_colleague(client, email="gina@a.example", role="therapist"):
    data = {"email": email, "full_name": "Gina", "role": role, "is_active": "on"}
    return client.post(reverse("admin:clinic_staffmember_add"), data)


@pytest.fixture
def gina(client, alma, after_commit):
    """A therapist alma added to clinic A: invited, no password yet."""
    client.force_login(alma)
    with after_commit():
        add_colleague(client)
    client.logout()
    return StaffMember.objects.get(user__email="gina@a.example")


def test_adding_a_colleague_emails_them_an_invitation(client, alma, after_commit):
    client.force_login(alma)
    with after_commit():
        response = add_colleague(client)
    assert response.status_code == 302
    gina = User.objects.get(email="gina@a.example")
    assert gina.is_staff and not gina.has_usable_password()
    (message,) = mail.outbox
    assert message.to == ["gina@a.example"]
    assert message.subject == "Clinic A invites you to Flexion"
    assert "3 days" in message.body
    assert invitation_path(message) in message.alternatives[0][0]
    event = AuditEvent.objects.get(action=AuditAction.INVITE)
    assert (event.actor, event.object_id) == (alma, str(gina.staff.pk))


def test_the_invitation_sets_a_password_then_asks_for_the_second_factor(client, gina):
    path = invitation_path(mail.outbox[0])
    page = client.get(path).text
    assert "Clinic A added gina@a.example" in page
    assert "at least 12 characters" in page  # read from AUTH_PASSWORD_VALIDATORS
    response = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.url == reverse("mfa_setup") + "?next=%2Fadmin%2F"
    assert client.get(response.url).status_code == 200
    assert User.objects.get(email="gina@a.example").check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action=AuditAction.INVITE_ACCEPT, actor=gina.user).exists()


def test_a_too_short_password_is_refused_with_the_validators_words(client, gina):
    path = invitation_path(mail.outbox[0])
    response = client.post(path, {"new_password1": "short-pw", "new_password2": "short-pw"})
    assert response.status_code == 200
    assert "This password is too short. It must contain at least 12 characters." in response.text
    assert LoginLink.objects.usable().filter(user=gina.user).exists()


def test_an_invitation_works_once(client, gina):
    path = invitation_path(mail.outbox[0])
    client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    client.logout()
    again = client.get(path)
    assert again.status_code == 410
    assert "It was used already" in again.text
    other = "someone-else-tries-this"
    assert client.post(path, {"new_password1": other, "new_password2": other}).status_code == 410
    assert User.objects.get(email="gina@a.example").check_password(NEW_PASSWORD)


def test_an_invitation_expires_after_3_days(client, gina):
    path = invitation_path(mail.outbox[0])
    with time_machine.travel(timezone.now() + datetime.timedelta(days=3, minutes=1)):
        response = client.get(path)
    assert response.status_code == 410
    assert "It has expired" in response.text


def test_a_made_up_invitation_gets_a_clear_page(client):
    response = client.get(reverse("staff_invitation", args=["made-up"]))
    assert response.status_code == 404
    assert "It is not a valid invitation" in response.text


def test_a_patients_invitation_does_not_open_the_staff_page(client, carol):
    from clinic.login_links import login_link_create
    from clinic.models import LoginLinkPurpose

    token = login_link_create(user=carol.user, purpose=LoginLinkPurpose.INVITATION)
    assert client.get(reverse("staff_invitation", args=[token])).status_code == 404


def test_sending_again_withdraws_the_earlier_invitation(client, alma, gina, after_commit):
    first = invitation_path(mail.outbox[0])
    client.force_login(alma)
    with after_commit():
        client.post(
            reverse("admin:clinic_staffmember_changelist"),
            {"action": "invite_again", "_selected_action": [gina.pk]},
        )
    second = invitation_path(mail.outbox[1])
    client.logout()
    withdrawn = client.get(first)
    assert withdrawn.status_code == 410
    assert "It was withdrawn" in withdrawn.text
    assert client.get(second).status_code == 200


def test_a_withdrawn_invitation_no_longer_works(client, alma, gina):
    client.force_login(alma)
    client.post(
        reverse("admin:clinic_staffmember_changelist"),
        {"action": "revoke_invitation", "_selected_action": [gina.pk]},
    )
    assert AuditEvent.objects.filter(action=AuditAction.INVITE_REVOKE).count() == 1
    client.logout()
    assert client.get(invitation_path(mail.outbox[0])).status_code == 410


def test_a_therapist_can_neither_invite_nor_withdraw(client, alice, gina, after_commit):
    client.force_login(alice)
    with after_commit():
        response = client.post(
            reverse("admin:clinic_staffmember_changelist"),
            {"action": "invite_again", "_selected_action": [gina.pk]},
        )
    assert response.status_code == 200  # the list again: the action is not theirs
    assert len(mail.outbox) == 1
    assert not AuditEvent.objects.filter(action=AuditAction.INVITE, actor=alice).exists()


def test_another_clinics_admin_cannot_resend_to_our_colleague(client, gina, clinic_b):
    from tests.factories import StaffFactory

    boris = StaffFactory(clinic=clinic_b, role="clinic_admin").user
    client.force_login(boris)
    client.post(
        reverse("admin:clinic_staffmember_changelist"),
        {"action": "revoke_invitation", "_selected_action": [gina.pk]},
    )
    assert LoginLink.objects.usable().filter(user=gina.user).exists()


def test_a_colleague_who_chose_a_password_is_not_invited_again(alice):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="already chose a password"):
        staff_invitation_send(staff=alice.staff)


def test_deactivating_a_colleague_withdraws_their_invitation(client, alma, gina):
    client.force_login(alma)
    client.post(
        reverse("admin:clinic_staffmember_change", args=[gina.pk]),
        {"email": "gina@a.example", "full_name": "Gina", "role": "therapist"},
    )
    assert not LoginLink.objects.usable().filter(user=gina.user).exists()
