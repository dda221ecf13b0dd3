import datetime

import pytest
import time_machine
from django.urls import reverse

from patients.models import Answer, CheckIn, Session, SessionStatus

from .back_pain import back_pain_assignment

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)


def at_noon(day):
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)


def day(offset):
    return MONDAY + datetime.timedelta(days=offset)


@pytest.fixture
def assignment(carol):
    return back_pain_assignment(carol, MONDAY)


@pytest.fixture
def signed_in(client, carol):
    client.force_login(carol.user)
    return client


def completed(assignment, on):
    return Session.objects.create(
        assignment=assignment,
        patient=assignment.patient,
        performed_on=on,
        status=SessionStatus.COMPLETED,
    )


def today_page(client, on):
    with time_machine.travel(at_noon(on)):
        return client.get(reverse("patients:home")).text


def test_a_planned_day_offers_todays_session_with_the_stage_and_its_reason(signed_in, assignment):
    page = today_page(signed_in, MONDAY)
    assert "A session is planned for today." in page
    assert "This week: 0 of 2 sessions done." in page
    assert "Stage: Start" in page
    assert "2 sessions a week to start: your first week." in page
    assert "Start today's session" in page


def test_a_rest_day_says_so_and_still_allows_an_extra_session(signed_in, assignment):
    page = today_page(signed_in, day(1))
    assert "Today is a rest day." in page
    assert "Next session: Thursday." in page
    assert "Do an extra session" in page


def test_the_week_counts_completed_sessions(signed_in, assignment):
    completed(assignment, MONDAY)
    page = today_page(signed_in, MONDAY)
    assert "Today's session is done." in page
    assert "This week: 1 of 2 sessions done." in page


def test_an_unfinished_session_of_today_is_resumed(signed_in, assignment):
    session = Session.objects.create(
        assignment=assignment, patient=assignment.patient, performed_on=MONDAY
    )
    page = today_page(signed_in, MONDAY)
    assert "Resume the session" in page
    assert reverse("patients:session", args=[session.pk]) in page


def test_the_stage_reason_follows_the_progression(signed_in, assignment):
    completed(assignment, MONDAY)
    completed(assignment, day(3))
    page = today_page(signed_in, day(7))
    assert "Stage: Build" in page
    assert "3 sessions this week: last week you did both sessions" in page


def test_completed_sessions_without_an_answer_ask_for_the_check_in(signed_in, assignment):
    answered = completed(assignment, MONDAY)
    CheckIn.objects.create(
        session=answered, patient=assignment.patient, answer=Answer.FINE, answered_on=day(1)
    )
    waiting = completed(assignment, day(3))
    page = today_page(signed_in, day(4))
    assert reverse("patients:session_checkin", args=[waiting.pk]) in page
    assert reverse("patients:session_checkin", args=[answered.pk]) not in page
    assert reverse("patients:session_checkin", args=[waiting.pk]) not in today_page(
        signed_in, day(10)
    )


def test_a_patient_sees_only_their_own_programs(client, erin, assignment):
    client.force_login(erin.user)
    page = today_page(client, MONDAY)
    assert assignment.name not in page
    assert "Your therapist has not given you a program yet." in page


def test_staff_cannot_open_the_patient_site(client, alice):
    client.force_login(alice)
    assert client.get(reverse("patients:home")).status_code == 403


# The next-day check-in for a signed-in patient


def checkin_url(session):
    return reverse("patients:session_checkin", args=[session.pk])


def test_the_check_in_page_shows_the_question_and_a_get_records_nothing(signed_in, assignment):
    session = completed(assignment, MONDAY)
    with time_machine.travel(at_noon(day(1))):
        page = signed_in.get(checkin_url(session))
    assert "How do you feel today?" in page.text
    assert not CheckIn.objects.exists()


def test_the_check_in_records_one_answer_changeable_the_same_day(signed_in, assignment):
    session = completed(assignment, MONDAY)
    with time_machine.travel(at_noon(day(1))):
        signed_in.post(checkin_url(session), {"answer": Answer.FINE})
        response = signed_in.post(checkin_url(session), {"answer": Answer.SORE})
    assert "Your answer is saved" in response.text
    checkin = CheckIn.objects.get()
    assert (checkin.answer, checkin.answered_on) == (Answer.SORE, day(1))
    with time_machine.travel(at_noon(day(2))):
        # A day later the idle session has expired: the patient signs in again.
        signed_in.force_login(assignment.patient.user)
        late = signed_in.post(checkin_url(session), {"answer": Answer.PAINFUL})
    assert "can only be changed the same day" in late.text
    assert CheckIn.objects.get().answer == Answer.SORE


def test_the_check_in_waits_for_the_next_day(signed_in, assignment):
    session = completed(assignment, MONDAY)
    with time_machine.travel(at_noon(MONDAY)):
        response = signed_in.post(checkin_url(session), {"answer": Answer.FINE})
    assert "The check-in opens the day after the session." in response.text
    assert not CheckIn.objects.exists()


def test_another_patients_check_in_does_not_exist_for_them(client, erin, assignment):
    session = completed(assignment, MONDAY)
    client.force_login(erin.user)
    with time_machine.travel(at_noon(day(1))):
        assert client.get(checkin_url(session)).status_code == 404
        assert client.post(checkin_url(session), {"answer": "fine"}).status_code == 404
    assert not CheckIn.objects.exists()


# Logging a session done earlier


def log_past(client, on, performed_on, **extra):
    with time_machine.travel(at_noon(on)):
        return client.post(
            reverse("patients:session_log_past"),
            {"performed_on": performed_on.isoformat(), **extra},
        )


def test_a_session_of_an_earlier_day_can_be_logged(signed_in, assignment):
    response = log_past(signed_in, day(8), day(6), assignment=assignment.pk, effort=3)
    assert response.url == reverse("patients:home")
    session = Session.objects.get()
    assert (session.performed_on, session.status, session.logged_afterwards) == (
        day(6),
        SessionStatus.COMPLETED,
        True,
    )


@pytest.mark.parametrize(
    ("offset", "message"),
    [(1, "This date is in the future."), (-8, "Sessions can be logged up to 7 days back.")],
)
def test_a_date_in_the_future_or_too_far_back_is_refused(signed_in, assignment, offset, message):
    today = day(10)
    response = log_past(
        signed_in, today, today + datetime.timedelta(days=offset), assignment=assignment.pk
    )
    assert response.status_code == 400
    assert message in response.text
    assert not Session.objects.exists()


def test_a_date_before_the_program_started_is_refused(signed_in, assignment):
    response = log_past(signed_in, day(2), day(-2), assignment=assignment.pk)
    assert "Your program had not started on that day." in response.text
    assert not Session.objects.exists()


def test_a_session_cannot_be_logged_for_another_patients_program(client, erin, assignment):
    back_pain_assignment(erin, MONDAY)
    client.force_login(erin.user)
    response = log_past(client, day(2), day(1), assignment=assignment.pk)
    assert response.status_code == 400
    assert not Session.objects.filter(assignment=assignment).exists()
