"""A patient's recent days as the patient site records them, for the home and story tests."""

import datetime

import time_machine

from patients.checkins import checkin_record
from patients.player import exercise_log_save, session_finish, session_start
from tests.patients.back_pain import back_pain_assignment

SKIP_REASON = "My knee hurt on the floor"
NOTE = "The side bend hurt my knee"


def noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)


def a_painful_session(patient, *, today: datetime.date, therapist=None):
    """Two days ago: a session with pain 8/10 on one exercise, one skipped with a reason and a
    note; yesterday: a "sketchy or painful" check-in (a back-off and a pain alert)."""
    assignment = back_pain_assignment(
        patient,
        today - datetime.timedelta(days=9),
        therapist=therapist,
        goal="Bend to tie my shoes without pain",
        education="Stretch gently: mild pulling is fine, sharp pain is not.",
    )
    first, second, third = assignment.items.order_by("order")
    with time_machine.travel(noon(today - datetime.timedelta(days=2)), tick=False):
        session = session_start(assignment=assignment)
        exercise_log_save(session=session, item=first, sets_done=2, reps_done=3, pain=8)
        exercise_log_save(session=session, item=second, skipped=True, skip_reason=SKIP_REASON)
        exercise_log_save(session=session, item=third, sets_done=1, reps_done=10, pain=2)
        session_finish(session=session, effort=6, note=NOTE)
    with time_machine.travel(noon(today - datetime.timedelta(days=1)), tick=False):
        checkin_record(session=session, answer="painful")
    return assignment, session
