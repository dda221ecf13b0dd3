"""One row of every patient-linked model for a patient, for the privacy and sweep tests."""

import datetime

from django.utils import timezone

from clinic.login_links import login_link_create
from clinic.models import LoginLinkPurpose
from patients import outcomes
from patients.models import (
    Answer,
    AssignmentQuestionnaire,
    ChangeKind,
    CheckIn,
    ExerciseLog,
    Message,
    ProgramWeek,
    Reminder,
    Session,
    SessionStatus,
    StageChange,
)
from programs.models import Questionnaire
from programs.services import starter_questionnaires_load
from reports.models import AttentionReview
from tests.factories import AssignmentFactory, PrescriptionItemFactory


def patient_records(patient, *, marker: str) -> dict:
    """Create an assignment with an item, a session with a log and a check-in, a stage
    change, a reminder, a program week, an attention review, a message and a sign-in link
    for the patient; every free text contains marker."""
    assignment = AssignmentFactory(
        patient=patient, goal=f"{marker} goal", education=f"{marker} education"
    )
    item = PrescriptionItemFactory(assignment=assignment, note=f"{marker} item note")
    session = Session.objects.create(
        assignment=assignment,
        patient=patient,
        performed_on=datetime.date(2026, 3, 2),
        status=SessionStatus.COMPLETED,
        completed_at=timezone.now(),
        effort=4,
    )
    message = Message.objects.create(
        clinic=patient.clinic,
        patient=patient,
        author=patient.user,
        from_patient=True,
        body=f"{marker} session note",
        session=session,
    )
    log = ExerciseLog.objects.create(
        session=session, item=item, sets_done=1, reps_done=2, pain=3, skip_reason=f"{marker} skip"
    )
    checkin = CheckIn.objects.create(
        session=session, patient=patient, answer=Answer.FINE, answered_on=datetime.date(2026, 3, 3)
    )
    change = StageChange.objects.create(
        assignment=assignment,
        effective_on=datetime.date(2026, 3, 9),
        from_stage="start",
        to_stage="build",
        kind=ChangeKind.PROMOTION,
        reason="Both sessions done and fine the next day.",
    )
    reminder = Reminder.objects.create(
        patient=patient,
        local_date=datetime.date(2026, 3, 2),
        due_at=timezone.now(),
        last_error=f"{marker} error for {patient.email}",
    )
    week = ProgramWeek.objects.create(
        assignment=assignment,
        starts_on=datetime.date(2026, 3, 2),
        ends_on=datetime.date(2026, 3, 8),
        stage="start",
        planned=2,
        planned_days=["2026-03-02", "2026-03-05"],
    )
    review = AttentionReview.objects.create(assignment=assignment)
    starter_questionnaires_load()
    psfs = Questionnaire.objects.get(clinic=None, code="psfs")
    schedule = AssignmentQuestionnaire.objects.create(assignment=assignment, questionnaire=psfs)
    response = outcomes.response_start(
        assignment=assignment, questionnaire=psfs, occasion=assignment.start_date
    )
    response.answers = {
        f"activity-{n}-{part}": value
        for n, name in enumerate(
            (f"{marker} walking with {patient.first_name}", "Stairs", "Lifting"), start=1
        )
        for part, value in (("name", name), ("score", 4))
    }
    response.save()
    response = outcomes.response_submit(response=response, today=assignment.start_date)
    if patient.user is not None:
        login_link_create(user=patient.user, purpose=LoginLinkPurpose.SIGN_IN)
    return {
        "assignment": assignment,
        "week": week,
        "review": review,
        "item": item,
        "session": session,
        "log": log,
        "checkin": checkin,
        "stage_change": change,
        "reminder": reminder,
        "message": message,
        "questionnaire_schedule": schedule,
        "outcome_response": response,
    }
