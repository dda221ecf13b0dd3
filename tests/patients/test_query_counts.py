"""Patient pages cost the same number of queries however big the program or the history."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import Answer, CheckIn, ExerciseLog, Session, SessionStatus
from tests.factories import AssignmentFactory, PrescriptionItemFactory

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 1, 5)
TODAY = datetime.date(2026, 3, 18)
NOW = datetime.datetime(2026, 3, 18, 12, tzinfo=datetime.UTC)
MAX_QUERIES = 15


def build(patient, exercises, sessions, logged=None):
    assignment = AssignmentFactory(patient=patient, start_date=START)
    items = [PrescriptionItemFactory(assignment=assignment) for _ in range(exercises)]
    for n in range(sessions):
        session = Session.objects.create(
            assignment=assignment,
            patient=patient,
            performed_on=TODAY - datetime.timedelta(days=sessions - n),
            status=SessionStatus.COMPLETED,
        )
        for item in items:
            ExerciseLog.objects.create(session=session, item=item, sets_done=1, reps_done=2, pain=2)
        CheckIn.objects.create(
            session=session,
            patient=patient,
            answer=Answer.FINE,
            answered_on=session.performed_on + datetime.timedelta(days=1),
        )
    current = Session.objects.create(assignment=assignment, patient=patient, performed_on=TODAY)
    for item in items[: exercises // 2 if logged is None else logged]:
        ExerciseLog.objects.create(session=current, item=item, sets_done=1, reps_done=2)
    return current


def queries_for(client, url, max_queries):
    with CaptureQueriesContext(connection) as captured, time_machine.travel(NOW):
        response = client.get(url)
    assert response.status_code == 200
    assert len(captured) <= max_queries
    return len(captured)


PAGES = {
    "today": lambda session: reverse("patients:home"),
    "player": lambda session: reverse("patients:session", args=[session.pk]),
    "history": lambda session: reverse("patients:history"),
    "checkin": lambda session: reverse(
        "patients:session_checkin", args=[session.assignment.sessions.last().pk]
    ),
    "log earlier": lambda session: reverse("patients:session_log_past"),
}


@pytest.mark.parametrize("page", PAGES)
def test_a_patient_page_needs_as_many_queries_for_12_exercises_and_30_sessions_as_for_2(
    client, carol, erin, page, django_assert_max_num_queries
):
    small = build(carol, exercises=2, sessions=2)
    large = build(erin, exercises=12, sessions=30)
    client.force_login(carol.user)
    small_count = queries_for(client, PAGES[page](small), MAX_QUERIES)
    client.force_login(erin.user)
    url = PAGES[page](large)
    with django_assert_max_num_queries(small_count):
        queries_for(client, url, MAX_QUERIES)


def test_the_finish_page_needs_as_many_queries_for_12_exercises_as_for_2(
    client, carol, erin, django_assert_max_num_queries
):
    small = build(carol, exercises=2, sessions=2, logged=2)
    large = build(erin, exercises=12, sessions=30, logged=12)
    client.force_login(carol.user)
    url = reverse("patients:session", args=[small.pk])
    small_count = queries_for(client, url, MAX_QUERIES)
    client.force_login(erin.user)
    url = reverse("patients:session", args=[large.pk])
    with django_assert_max_num_queries(small_count):
        assert "Last step" in client.get(url).text
