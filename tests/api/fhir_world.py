"""A patient record with something of every kind the FHIR interface emits."""

import datetime

from patients import outcomes
from patients.models import Answer, CheckIn, ExerciseLog, Session, SessionStatus
from patients.reevaluation import assignment_reevaluate
from programs.models import Exercise, Questionnaire
from programs.services import questionnaire_version_save

from ..factories import (
    AssignmentFactory,
    ExerciseFactory,
    PrescriptionItemFactory,
    outcome_response,
    psfs_answers,
)

DAY = datetime.timedelta(days=1)


def exercise(clinic, name):
    return Exercise.objects.filter(clinic=clinic, name=name).first() or ExerciseFactory(
        clinic=clinic, name=name
    )


def own_questionnaire(clinic):
    """The clinic's own questionnaire, edited once: version 1 retired, version 2 active."""
    questionnaire, created = Questionnaire.objects.get_or_create(
        clinic=clinic, code="sleep", defaults={"title": "Sleep & pain"}
    )
    if not created:
        return questionnaire.latest_version()
    for number, label in enumerate(("Not at all", "A little"), start=1):
        definition = {
            "resourceType": "Questionnaire",
            "name": "sleep",
            "title": "Sleep & pain",
            "item": [
                {
                    "linkId": "woke",
                    "type": "choice",
                    "required": True,
                    "text": "Did pain wake you <at night>?",
                    "answerOption": [
                        {"value": 0, "display": "No"},
                        {"value": number, "display": label},
                    ],
                },
                {"linkId": "note", "type": "string", "text": "Anything else?"},
            ],
            "scoring": {"method": "single", "items": ["woke"], "min": 0, "max": 2},
        }
        version = questionnaire_version_save(questionnaire=questionnaire, definition=definition)
    return version


def full_record(patient, therapist) -> dict:
    """Two programs (one paused, with a goal), sessions done and in progress, logged
    pain, a skipped exercise, check-ins, questionnaires answered (one corrected) and a
    draft: every source of every resource type."""
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
    psfs = outcome_response(active, "psfs", datetime.date(2026, 3, 2), psfs_answers(3, 5, 6))
    correction = outcomes.response_correct(response=psfs)
    correction.answers = psfs_answers(4, 5, 6)
    correction.save()
    corrected = outcomes.response_submit(response=correction, today=datetime.date(2026, 3, 3))
    own = own_questionnaire(clinic)
    sleep = outcomes.response_start(
        assignment=active, questionnaire=own.questionnaire, occasion=datetime.date(2026, 3, 4)
    )
    sleep.answers = {"woke": 2, "note": "Only <once>"}
    sleep.save()
    sleep = outcomes.response_submit(response=sleep, today=datetime.date(2026, 3, 4))
    outcome_response(paused, "nprs", datetime.date(2026, 1, 5), {"pain": 6})
    # A draft is not a resource.
    outcomes.response_start(
        assignment=paused, questionnaire=own.questionnaire, occasion=datetime.date(2026, 1, 6)
    )
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
        "response": psfs,
        "correction": corrected,
        "own_response": sleep,
        "own_questionnaire": own,
    }
