import datetime

import pytest
import time_machine
from django.urls import reverse

from patients.links import checkin_token, checkin_url
from patients.models import Answer, CheckIn, Session, SessionStatus, StageChange
from tests.factories import AssignmentFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)
TUESDAY_MORNING = datetime.datetime(2026, 3, 3, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture
def session(carol):
    assignment = AssignmentFactory(patient=carol, start_date=MONDAY, timezone="Europe/London")
    return Session.objects.create(
        assignment=assignment, patient=carol, performed_on=MONDAY, status=SessionStatus.COMPLETED
    )


def link(session):
    return reverse("patients:checkin_link", args=[checkin_token(session)])


@time_machine.travel(TUESDAY_MORNING)
def test_opening_the_link_shows_the_question_and_records_nothing(client, session):
    response = client.get(link(session))
    assert response.status_code == 200
    assert "How do you feel today?" in response.text
    assert "Sketchy or painful" in response.text
    assert not CheckIn.objects.exists()


@time_machine.travel(TUESDAY_MORNING)
def test_submitting_the_answer_records_it_for_the_next_day(client, session):
    response = client.post(link(session), {"answer": Answer.SORE})
    assert response.status_code == 200
    assert "Your answer is saved" in response.text
    checkin = CheckIn.objects.get(session=session)
    assert (checkin.answer, checkin.answered_on) == (Answer.SORE, MONDAY + datetime.timedelta(1))


@time_machine.travel(TUESDAY_MORNING)
def test_the_answer_can_be_changed_the_same_day(client, session):
    client.post(link(session), {"answer": Answer.FINE})
    client.post(link(session), {"answer": Answer.VERY_SORE})
    assert CheckIn.objects.get(session=session).answer == Answer.VERY_SORE


def test_the_answer_cannot_be_changed_on_a_later_day(client, session):
    with time_machine.travel(TUESDAY_MORNING):
        client.post(link(session), {"answer": Answer.FINE})
    with time_machine.travel(TUESDAY_MORNING + datetime.timedelta(days=1)):
        response = client.post(link(session), {"answer": Answer.PAINFUL})
    assert "can only be changed the same day" in response.text
    assert CheckIn.objects.get(session=session).answer == Answer.FINE


@time_machine.travel(TUESDAY_MORNING)
def test_a_painful_answer_alerts_the_therapist_at_once(client, session):
    client.post(link(session), {"answer": Answer.PAINFUL})
    change = StageChange.objects.get(assignment=session.assignment)
    assert change.alert_therapist
    assert change.effective_on == MONDAY + datetime.timedelta(days=1)


@time_machine.travel(TUESDAY_MORNING)
def test_a_missing_or_unknown_answer_is_refused_with_a_message(client, session):
    missing = client.post(link(session), {})
    assert "Please choose one of the answers" in missing.text
    unknown = client.post(link(session), {"answer": "ecstatic"})
    assert "Select a valid choice" in unknown.text
    assert not CheckIn.objects.exists()


@time_machine.travel(datetime.datetime(2026, 3, 2, 20, 0, tzinfo=datetime.UTC))
def test_the_check_in_opens_only_the_day_after(client, session):
    response = client.post(link(session), {"answer": Answer.FINE})
    assert "opens the day after" in response.text
    assert not CheckIn.objects.exists()


@time_machine.travel(TUESDAY_MORNING)
def test_an_unfinished_session_cannot_be_checked_in(client, session):
    Session.objects.filter(pk=session.pk).update(status=SessionStatus.IN_PROGRESS)
    response = client.post(link(session), {"answer": Answer.FINE})
    assert "not finished" in response.text
    assert not CheckIn.objects.exists()


def test_a_forged_or_expired_link_shows_a_clear_page(client, session):
    forged = client.get(reverse("patients:checkin_link", args=["not-a-token"]))
    assert forged.status_code == 404
    assert "This link no longer works" in forged.text
    with time_machine.travel(datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=30)):
        old = link(session)
    assert client.get(old).status_code == 404


def test_the_emailed_link_is_absolute(session, settings):
    settings.SITE_URL = "https://flexion.example.org"
    assert checkin_url(session).startswith("https://flexion.example.org/checkin/")
