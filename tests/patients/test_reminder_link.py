"""From a reminder to today's session in one tap: the reminder's link signs a signed-out
patient in (single use, short-lived); a GET only shows a button."""

import datetime
import re
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client

from clinic.models import LoginLink, LoginLinkPurpose
from patients.models import Session

from .back_pain import back_pain_assignment

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)


@pytest.fixture
def link(carol):
    back_pain_assignment(carol, MONDAY)
    with at("2026-03-02T08:00Z"):
        call_command("send_due_reminders", at="2026-03-02T08:00Z", stdout=StringIO())
    (message,) = mail.outbox
    (url,) = re.findall(r"https?://\S+/today/[^/\s]+/", message.body)
    assert url in message.alternatives[0][0]
    return "/" + url.split("/", 3)[3]


def at(text):
    return time_machine.travel(datetime.datetime.fromisoformat(text), tick=False)


def test_the_reminder_link_is_a_reminder_login_link_that_lasts_twelve_hours(link, carol):
    stored = LoginLink.objects.get(purpose=LoginLinkPurpose.REMINDER)
    assert stored.user == carol.user
    assert stored.expires_at - stored.created_at <= datetime.timedelta(hours=12, seconds=1)


def test_a_get_shows_a_button_and_signs_nobody_in(client, link):
    with at("2026-03-02T09:00Z"):
        page = client.get(link)
        assert page.status_code == 200 and "Open today's session" in page.text
        assert "Carol" not in page.text and "carol@a.example" not in page.text
        assert "_auth_user_id" not in client.session
    assert LoginLink.objects.get(purpose=LoginLinkPurpose.REMINDER).used_at is None


def test_the_post_signs_in_and_opens_todays_session_once(client, link, carol):
    with at("2026-03-02T09:00Z"):
        response = client.post(link)
        session = Session.objects.get()
        assert response.status_code == 302 and response.url == f"/sessions/{session.pk}/"
        assert int(client.session["_auth_user_id"]) == carol.user.pk
        assert (session.patient, session.performed_on) == (carol, MONDAY)
        # Spent: on another device the same link no longer signs in.
        other = Client()
        assert other.post(link).status_code == 410
        assert "_auth_user_id" not in other.session
        # Where it already signed in, it still opens the same session.
        again = client.post(link)
        assert again.url == response.url and Session.objects.count() == 1


def test_an_expired_link_signs_nobody_in(client, link):
    with at("2026-03-02T21:00Z"):
        response = client.post(link)
    assert response.status_code == 410 and "expired" in response.text
    assert "_auth_user_id" not in client.session


def test_another_patients_session_on_the_device_is_replaced_by_the_links_owner(
    client, link, carol, erin
):
    with at("2026-03-02T09:00Z"):
        client.force_login(erin.user)
        response = client.post(link)
        assert response.status_code == 302, response.content
        assert int(client.session["_auth_user_id"]) == carol.user.pk


def test_a_made_up_token_is_a_clear_page(client, db):
    response = client.post("/today/not-a-token/")
    assert response.status_code == 410 and "not a valid link" in response.text
