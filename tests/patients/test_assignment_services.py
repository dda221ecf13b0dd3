import datetime

import pytest
from django.core.exceptions import ValidationError

from patients.models import AssignmentStatus
from patients.services import assignment_create
from programs.models import Exercise, Program
from tests.factories import ExerciseFactory, ProgramFactory, ProgramItemFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)


@pytest.fixture
def program(clinic_a):
    program = ProgramFactory(clinic=clinic_a, name="Knee rehab", goal="Knee pain", education="Go")
    ProgramItemFactory(
        program=program, order=1, exercise__reps=10, exercise__hold_seconds=None, note="First"
    )
    ProgramItemFactory(program=program, order=2, reps=4, hold_seconds=45, side="per_side")
    return program


def test_assigning_copies_the_program_and_its_items_with_their_resolved_dosage(
    carol, alice, program
):
    assignment = assignment_create(
        patient=carol, program=program, therapist=alice.staff, start_date=MONDAY
    )
    assert assignment.clinic == carol.clinic
    assert assignment.status == AssignmentStatus.ACTIVE
    assert (assignment.name, assignment.goal, assignment.education) == (
        "Knee rehab",
        "Knee pain",
        "Go",
    )
    assert assignment.scheme == program.scheme
    assert assignment.timezone == carol.timezone
    first, second = assignment.items.all()
    assert (first.reps, first.hold_seconds, first.note) == (10, None, "First")
    assert (second.reps, second.hold_seconds, second.side) == (4, 45, "per_side")
    assert second.sets == second.exercise.sets  # not overridden: the exercise's default


def test_editing_the_program_or_the_exercise_afterwards_does_not_change_the_assignment(
    carol, alice, program
):
    assignment = assignment_create(
        patient=carol, program=program, therapist=alice.staff, start_date=MONDAY
    )
    before = [item.dosage() for item in assignment.items.all()]
    item = program.items.first()
    item.reps = 99
    item.save()
    Exercise.objects.filter(pk=item.exercise_id).update(sets=5, hold_seconds=120)
    program.items.last().delete()
    ProgramItemFactory(program=program, order=3)
    Program.objects.filter(pk=program.pk).update(name="Renamed", education="New text")
    assignment.refresh_from_db()
    assert [item.dosage() for item in assignment.items.all()] == before
    assert (assignment.name, assignment.education) == ("Knee rehab", "Go")


def test_a_patient_may_hold_more_than_one_active_assignment(carol, alice, program, clinic_a):
    other = ProgramFactory(clinic=clinic_a)
    ProgramItemFactory(program=other)
    for template in (program, other, program):
        assignment_create(patient=carol, program=template, therapist=None, start_date=MONDAY)
    assert carol.assignments.filter(status=AssignmentStatus.ACTIVE).count() == 3


def test_a_shared_program_can_be_assigned_to_any_clinics_patient(dave, bob, clinic_b):
    shared = ProgramFactory(clinic=None, name="Shared")
    ProgramItemFactory(program=shared, exercise=ExerciseFactory(clinic=None))
    assignment = assignment_create(
        patient=dave, program=shared, therapist=bob.staff, start_date=MONDAY
    )
    assert assignment.clinic == clinic_b
    assert assignment.items.count() == 1


def test_another_clinics_program_or_therapist_is_refused(carol, bob, alice, clinic_b, program):
    bobs_program = ProgramFactory(clinic=clinic_b)
    with pytest.raises(ValidationError):
        assignment_create(patient=carol, program=bobs_program, therapist=None, start_date=MONDAY)
    with pytest.raises(ValidationError):
        assignment_create(patient=carol, program=program, therapist=bob.staff, start_date=MONDAY)
    assert not carol.assignments.exists()


def test_the_time_zone_weekdays_and_advanced_flag_are_kept(carol, program):
    assignment = assignment_create(
        patient=carol,
        program=program,
        therapist=None,
        start_date=MONDAY,
        reminder_time=datetime.time(18, 30),
        timezone="America/New_York",
        advanced=True,
        preferred_weekdays=[4, 0, 4],
    )
    assignment.refresh_from_db()
    assert assignment.reminder_time == datetime.time(18, 30)
    assert assignment.timezone == "America/New_York"
    assert assignment.advanced
    assert assignment.preferred_weekdays == [0, 4]
