import datetime

import pytest
from django.core.exceptions import ValidationError

from patients.models import Answer, ChangeKind, CheckIn, Session, SessionStatus, StageChange
from patients.progress import (
    assignment_progress,
    scheme_of,
    schemes_of,
)
from patients.reevaluation import assignment_reevaluate
from patients.services import stage_override
from tests.factories import AssignmentFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)


def completed_session(assignment, on, answer=None, answered_on=None):
    session = Session.objects.create(
        assignment=assignment,
        patient=assignment.patient,
        performed_on=on,
        status=SessionStatus.COMPLETED,
    )
    if answer:
        CheckIn.objects.create(
            session=session,
            patient=assignment.patient,
            answer=answer,
            answered_on=answered_on or on + datetime.timedelta(days=1),
        )
    return session


def test_two_tolerated_sessions_in_week_one_make_week_two_build(carol):
    assignment = AssignmentFactory(patient=carol, start_date=MONDAY)
    completed_session(assignment, MONDAY, Answer.FINE)
    completed_session(assignment, MONDAY + datetime.timedelta(days=3), Answer.SORE)
    progress = assignment_progress(assignment, MONDAY + datetime.timedelta(days=7))
    assert progress.current_stage.code == "build"
    assert progress.current_week.planned == 3


def test_in_progress_sessions_do_not_count(carol):
    assignment = AssignmentFactory(patient=carol, start_date=MONDAY)
    completed_session(assignment, MONDAY, Answer.FINE)
    Session.objects.create(assignment=assignment, patient=carol, performed_on=MONDAY)
    progress = assignment_progress(assignment, MONDAY + datetime.timedelta(days=7))
    assert progress.current_stage.code == "start"


def test_recording_the_changes_twice_stores_each_once(carol):
    assignment = AssignmentFactory(patient=carol, start_date=MONDAY)
    completed_session(assignment, MONDAY, Answer.FINE)
    completed_session(assignment, MONDAY + datetime.timedelta(days=3), Answer.FINE)
    first = assignment_reevaluate(assignment=assignment, today=MONDAY + datetime.timedelta(days=7))
    second = assignment_reevaluate(assignment=assignment, today=MONDAY + datetime.timedelta(days=7))
    assert [change.kind for change in first] == [ChangeKind.PROMOTION]
    assert second == []
    assert "last week" in first[0].reason


def test_a_painful_check_in_is_recorded_as_an_alert_for_the_therapist(carol):
    assignment = AssignmentFactory(patient=carol, start_date=MONDAY)
    completed_session(assignment, MONDAY, Answer.PAINFUL)
    (change,) = assignment_reevaluate(
        assignment=assignment, today=MONDAY + datetime.timedelta(days=1)
    )
    assert change.alert_therapist
    assert change.effective_on == MONDAY + datetime.timedelta(days=1)


def test_a_therapist_override_sets_the_stage_and_is_recorded(carol, alice):
    assignment = AssignmentFactory(patient=carol, start_date=MONDAY, advanced=True)
    on = MONDAY + datetime.timedelta(days=2)
    change = stage_override(assignment=assignment, stage_code="build", by=alice, on=on)
    assert change.kind == ChangeKind.OVERRIDE
    assert change.created_by == alice
    assert (change.from_stage, change.to_stage) == ("start", "build")
    assert "therapist" in change.reason
    assert assignment_progress(assignment, on).current_stage.code == "build"
    assert StageChange.objects.filter(assignment=assignment).count() == 1


def test_an_override_to_an_unknown_stage_is_refused(carol, alice):
    assignment = AssignmentFactory(patient=carol, start_date=MONDAY)
    with pytest.raises(ValidationError):
        stage_override(assignment=assignment, stage_code="olympic", by=alice, on=MONDAY)
    assert not StageChange.objects.exists()


def test_progress_needs_a_constant_number_of_queries(carol, django_assert_max_num_queries):
    assignment = AssignmentFactory(patient=carol, start_date=MONDAY)
    for week in range(8):
        completed_session(assignment, MONDAY + datetime.timedelta(days=7 * week), Answer.FINE)
    with django_assert_max_num_queries(5):
        assignment_progress(assignment, MONDAY + datetime.timedelta(days=60))


def test_schemes_of_reads_many_schemes_in_one_query_as_scheme_of_reads_one(
    carol, django_assert_num_queries
):
    assignment = AssignmentFactory(patient=carol, start_date=MONDAY)
    with django_assert_num_queries(1):
        schemes = schemes_of([assignment.scheme_id, assignment.scheme_id])
    assert schemes == {assignment.scheme_id: scheme_of(assignment)}
