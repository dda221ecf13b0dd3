"""The player's prescribed exercises are cached per assignment, and every change is a new key."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import Assignment
from patients.player import session_items, session_start
from patients.privacy import patient_erase
from tests.factories import ExerciseFactory, PrescriptionItemFactory

from .back_pain import back_pain_assignment

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)
MONDAY_NOON = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def assignment(carol):
    return back_pain_assignment(carol, MONDAY)


@pytest.fixture
def session(assignment):
    with time_machine.travel(MONDAY_NOON):
        return session_start(assignment=assignment)


@pytest.fixture
def player(client, carol, session):
    """The player page as the patient sees it now."""
    client.force_login(carol.user)
    url = reverse("patients:session", args=[session.pk])

    def get():
        with time_machine.travel(MONDAY_NOON):
            response = client.get(url)
        assert response.status_code == 200
        return response.text

    return get


def items_version(assignment):
    return Assignment.objects.values_list("items_version", flat=True).get(pk=assignment.pk)


def test_the_warm_player_reads_no_items(player):
    player()
    with CaptureQueriesContext(connection) as queries:
        page = player()
    assert "<h1>90-90 hip flexor stretch</h1>" in page
    assert not [q for q in queries.captured_queries if "patients_prescriptionitem" in q["sql"]]
    assert not [q for q in queries.captured_queries if "programs_exercise" in q["sql"]]


def test_a_changed_dosage_shows_at_once(player, assignment):
    assert "2 reps each side, hold 20 s, light" in player()
    item = assignment.items.order_by("order").first()
    item.reps, item.hold_seconds = 4, 30
    item.save()
    assert "4 reps each side, hold 30 s, light" in player()


def test_an_added_or_deleted_exercise_shows_at_once(player, assignment):
    assert "Exercise 1 of 3" in player()
    added = PrescriptionItemFactory(assignment=assignment, order=9)
    assert "Exercise 1 of 4" in player()
    assert added.exercise.name in player()
    added.delete()
    assert "Exercise 1 of 3" in player()


def test_an_exercise_edited_in_the_library_shows_at_once_in_every_prescription(
    player, assignment, erin
):
    other = back_pain_assignment(erin, MONDAY)
    before = items_version(other)
    assert "<h1>90-90 hip flexor stretch</h1>" in player()
    exercise = assignment.items.order_by("order").first().exercise
    exercise.name = "Kneeling hip flexor stretch"
    exercise.save()
    assert "<h1>Kneeling hip flexor stretch</h1>" in player()
    assert items_version(other) != before  # the same library exercise, another patient


def test_a_new_exercise_changes_no_prescription(assignment):
    before = items_version(assignment)
    ExerciseFactory(clinic=assignment.clinic)
    assert items_version(assignment) == before


def test_erasure_gives_the_prescriptions_a_new_version(carol, alice, assignment):
    before = items_version(assignment)
    patient_erase(patient=carol, by=alice)
    assert items_version(assignment) != before


def test_the_items_are_cached_per_user(carol, dave, session):
    """A user who may not see the session finds nothing, and leaves the patient's entry alone."""
    session = type(session).objects.select_related("assignment").get(pk=session.pk)
    assert session_items(dave.user, session) == []
    assert len(session_items(carol.user, session)) == 3
