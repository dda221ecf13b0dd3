"""Stopping reminders from the email: a confirm page, and RFC 8058 one-click."""

import pytest
from django.test import Client
from django.urls import reverse

from patients.links import unsubscribe_token
from patients.reminders import reminder_assignments
from tests.factories import AssignmentFactory

pytestmark = pytest.mark.django_db


def url(patient):
    return reverse("patients:unsubscribe", args=[unsubscribe_token(patient)])


def test_opening_the_link_asks_for_confirmation_and_changes_nothing(client, carol):
    response = client.get(url(carol))
    assert response.status_code == 200
    assert "Stop email reminders?" in response.text
    assert "Clinic A will no longer email you" in response.text
    carol.refresh_from_db()
    assert carol.reminders_opted_out_at is None


def test_the_confirm_button_stops_the_reminders(client, carol):
    AssignmentFactory(patient=carol)
    response = client.post(url(carol))
    assert "Reminders stopped" in response.text
    carol.refresh_from_db()
    assert carol.reminders_opted_out_at is not None
    assert not reminder_assignments().filter(patient=carol).exists()


def test_a_mail_providers_one_click_post_works_without_a_csrf_token(carol):
    provider = Client(enforce_csrf_checks=True)
    response = provider.post(
        url(carol), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    carol.refresh_from_db()
    assert carol.reminders_opted_out_at is not None


def test_a_second_click_keeps_the_first_opt_out_time(client, carol):
    client.post(url(carol))
    carol.refresh_from_db()
    first = carol.reminders_opted_out_at
    client.post(url(carol))
    carol.refresh_from_db()
    assert carol.reminders_opted_out_at == first


def test_a_forged_or_altered_token_unsubscribes_nobody(client, carol, erin):
    forged = reverse("patients:unsubscribe", args=[unsubscribe_token(carol)[:-2] + "xx"])
    assert client.post(forged).status_code == 404
    assert client.post(reverse("patients:unsubscribe", args=[str(erin.pk)])).status_code == 404
    carol.refresh_from_db()
    erin.refresh_from_db()
    assert carol.reminders_opted_out_at is None is erin.reminders_opted_out_at
