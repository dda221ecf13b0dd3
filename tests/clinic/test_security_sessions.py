import datetime

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from clinic.security import user_sessions_end
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
STAFF_PAGE = "/admin/"


def minutes(n):
    return datetime.timedelta(minutes=n)


def test_a_staff_session_expires_after_fifteen_idle_minutes(client, alice):
    with time_machine.travel(NOW, tick=False) as clock:
        client.force_login(alice)
        assert client.get(STAFF_PAGE).status_code == 200
        clock.shift(minutes(14))
        assert client.get(STAFF_PAGE).status_code == 200
        clock.shift(minutes(16))
        response = client.get(STAFF_PAGE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    assert "_auth_user_id" not in client.session


def test_activity_keeps_a_staff_session_alive_until_its_absolute_lifetime(client, alice, settings):
    with time_machine.travel(NOW, tick=False) as clock:
        client.force_login(alice)
        client.get(STAFF_PAGE)
        for _ in range(settings.FLEXION_STAFF_SESSION_HOURS * 6 - 1):
            clock.shift(minutes(10))
            assert client.get(STAFF_PAGE).status_code == 200
        clock.shift(minutes(11))
        assert client.get(STAFF_PAGE).status_code == 302


def test_a_patient_session_lasts_longer_when_idle_but_not_forever(client, carol, settings):
    home = reverse("patients:home")
    with time_machine.travel(NOW, tick=False) as clock:
        client.force_login(carol.user)
        client.get(home)
        clock.shift(minutes(settings.FLEXION_PATIENT_IDLE_MINUTES - 1))
        assert client.get(home).status_code == 200
        clock.shift(minutes(settings.FLEXION_PATIENT_IDLE_MINUTES + 1))
        response = client.get(home)
    assert response.status_code == 302
    assert response.url.startswith(reverse("patients:login"))


def test_the_limits_come_from_the_settings(client, alice, settings):
    settings.FLEXION_STAFF_IDLE_MINUTES = 5
    with time_machine.travel(NOW, tick=False) as clock:
        client.force_login(alice)
        client.get(STAFF_PAGE)
        clock.shift(minutes(6))
        assert client.get(STAFF_PAGE).status_code == 302


def test_signing_in_gives_a_new_session_key(client, carol):
    client.get(reverse("patients:login"))
    client.session.save()
    before = client.session.session_key
    client.post(reverse("patients:login"), {"username": "carol@a.example", "password": PASSWORD})
    assert client.session.session_key != before
    assert client.session["_auth_user_id"] == str(carol.user.pk)


def test_a_password_change_ends_the_users_other_sessions(carol):
    phone, laptop = Client(), Client()
    phone.force_login(carol.user)
    laptop.force_login(carol.user)
    carol.user.set_password("a new long passphrase for carol")
    carol.user.save()
    assert phone.get(reverse("patients:home")).status_code == 302
    assert laptop.get(reverse("patients:home")).status_code == 302


def test_a_deactivated_user_is_signed_out_of_every_session(carol):
    phone = Client()
    phone.force_login(carol.user)
    carol.user.is_active = False
    carol.user.save()
    assert phone.get(reverse("patients:home")).status_code == 302


def test_ending_a_users_sessions_deletes_them_and_only_them(carol, erin):
    for user in (carol.user, carol.user, erin.user):
        Client().force_login(user)
    assert user_sessions_end(user=carol.user) == 2
    remaining = [session.get_decoded()["_auth_user_id"] for session in Session.objects.all()]
    assert remaining == [str(erin.user.pk)]


def test_deactivating_a_colleague_in_the_admin_ends_their_sessions(client, alice, alma):
    colleague = Client()
    colleague.force_login(alice)
    client.force_login(alma)
    response = client.post(
        reverse("admin:clinic_staffmember_change", args=[alice.staff.pk]),
        {"email": alice.email, "full_name": "Alice", "role": "therapist"},
    )
    assert response.status_code == 302, response.text
    alice.refresh_from_db()
    assert not alice.is_active
    sessions = [session.get_decoded().get("_auth_user_id") for session in Session.objects.all()]
    assert str(alice.pk) not in sessions
    assert colleague.get(STAFF_PAGE).status_code == 302


def test_signing_in_again_restarts_an_expired_session(client, carol):
    """Django keeps the session's data when the same user signs in again; the clocks restart."""
    client.force_login(carol.user)
    assert client.get(reverse("patients:home")).status_code == 200
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)):
        client.force_login(carol.user)
        assert client.get(reverse("patients:home")).status_code == 200
