"""A patient record with something of every kind the FHIR interface emits."""

import datetime

from patients.models import Answer, CheckIn, ExerciseLog, Message, Session, SessionStatus
from patients.reevaluation import assignment_reevaluate
from programs.models import Exercise

from ..factories import AssignmentFactory, ExerciseFactory, PrescriptionItemFactory

DAY = datetime.timedelta(days=1)


def exercise(clinic, name):
    return Exercise.objects.filter(clinic=clinic, name=name).first() or ExerciseFactory(
        clinic=clinic, name=name
    )


def full_record(patient, therapist) -> dict:
    """Two programs (one paused, with a goal), sessions done and in progress, logged
    pain, a skipped exercise and check-ins: every source of every resource type."""
    clinic = patient.clinic
    knee, bridge = (exercise(clinic, name) for name in ("Knee drops", "Bridge"))
    active = AssignmentFactory(
        patient=patient,
        therapist=therapist,
        goal="Walk to work without back pain",
        education="Little and often <b>beats</b> a lot at once.",
        preferred_weekdays=[0, 2, 4],
        start_date=datetime.date(2026, 3, 2),
    )
    paused = AssignmentFactory(
        patient=patient, therapist=None, status="paused", start_date=datetime.date(2026, 1, 5)
    )
    knee_item = PrescriptionItemFactory(
        assignment=active, exercise=knee, hold_seconds=5, note="Slowly"
    )
    bridge_item = PrescriptionItemFactory(assignment=active, exercise=bridge, side="per_side")
    PrescriptionItemFactory(assignment=paused, exercise=knee)
    done = Session.objects.create(
        assignment=active,
        patient=patient,
        performed_on=datetime.date(2026, 3, 2),
        status=SessionStatus.COMPLETED,
        completed_at=datetime.datetime(2026, 3, 2, 18, 30, tzinfo=datetime.UTC),
        effort=6,
    )
    # The note a patient writes at the end of a session is a message of the thread.
    Message.objects.create(
        clinic=patient.clinic,
        patient=patient,
        author=patient.user,
        from_patient=True,
        body="Felt good",
        session=done,
    )
    pain_log = ExerciseLog.objects.create(
        session=done, item=knee_item, sets_done=3, reps_done=10, pain=4
    )
    skipped_log = ExerciseLog.objects.create(
        session=done, item=bridge_item, skipped=True, skip_reason="Knee hurt"
    )
    checkin = CheckIn.objects.create(
        session=done, patient=patient, answer=Answer.SORE, answered_on=done.performed_on + DAY
    )
    later = Session.objects.create(
        assignment=active, patient=patient, performed_on=datetime.date(2026, 3, 4)
    )
    ExerciseLog.objects.create(session=later, item=knee_item, sets_done=1, reps_done=5, pain=0)
    for assignment in (active, paused):
        assignment_reevaluate(assignment=assignment)
    return {
        "patient": patient,
        "assignment": active,
        "paused": paused,
        "item": knee_item,
        "session": done,
        "in_progress": later,
        "log": pain_log,
        "skipped": skipped_log,
        "checkin": checkin,
    }
