"""The API's people and a small world of rows in two clinics.

alma's integration token (clinic admin rights) and alice's browser session act
for clinic A; carol acts as a patient of clinic A. Everything of clinic B (bob,
dave) and of erin (carol's fellow patient) must stay out of their reach.
"""

import datetime

import pytest
from rest_framework.test import APIClient

from clinic.models import Role
from clinic.tokens import api_token_issue
from patients import outcomes
from patients.models import (
    Answer,
    AssignmentQuestionnaire,
    CheckIn,
    ExerciseLog,
    Message,
    Reminder,
    Session,
    SessionStatus,
)
from patients.reevaluation import assignment_reevaluate
from programs.models import BodyRegion, ProgressionScheme, Questionnaire, SchemeStage
from programs.services import questionnaire_version_save

from ..factories import (
    AssignmentFactory,
    ExerciseFactory,
    PrescriptionItemFactory,
    ProgramFactory,
    ProgramItemFactory,
)

DAY = datetime.timedelta(days=1)


@pytest.fixture
def token_of_clinic_a(alma):
    return api_token_issue(
        clinic=alma.staff.clinic, name="EHR sync", role=Role.CLINIC_ADMIN, created_by=alma
    )


def client_with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def client_logged_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def clinic_a_api(token_of_clinic_a):
    """clinic A's integration, with clinic admin rights."""
    return client_with_token(token_of_clinic_a[1])


@pytest.fixture
def alice_api(alice):
    return client_logged_in(alice)


@pytest.fixture
def carol_api(carol):
    return client_logged_in(carol.user)


def clinic_rows(clinic, patient, *, suffix: str) -> dict:
    """One row of every kind the API serves, for one clinic and one of its patients."""
    scheme = ProgressionScheme.objects.create(clinic=clinic, name=f"Scheme {suffix}")
    SchemeStage.objects.create(
        scheme=scheme, order=1, code="start", name="Start", planned_sessions=2, max_sessions=2
    )
    exercise = ExerciseFactory(clinic=clinic, name=f"Knee drops {suffix}", key=f"kd-{suffix}")
    exercise.body_regions.add(BodyRegion.objects.first())
    program = ProgramFactory(clinic=clinic, name=f"Hips {suffix}")
    item = ProgramItemFactory(program=program, exercise=exercise)
    questionnaire = clinic_questionnaire(clinic, suffix)
    return {
        "scheme": scheme,
        "exercise": exercise,
        "program": program,
        "programitem": item,
        "questionnaire": questionnaire,
        **patient_rows(patient, exercise=exercise, program=program, questionnaire=questionnaire),
    }


def clinic_questionnaire(clinic, suffix: str):
    """A clinic's own one-question pain scale."""
    questionnaire = Questionnaire.objects.create(
        clinic=clinic, code=f"pain-{suffix.lower()}", title=f"Pain {suffix}"
    )
    questionnaire_version_save(
        questionnaire=questionnaire,
        definition={
            "resourceType": "Questionnaire",
            "name": "pain",
            "title": f"Pain {suffix}",
            "item": [
                {
                    "linkId": "pain",
                    "type": "integer",
                    "required": True,
                    "text": "Pain?",
                    "minValue": 0,
                    "maxValue": 10,
                }
            ],
            "scoring": {
                "method": "single",
                "items": ["pain"],
                "min": 0,
                "max": 10,
                "higherIsBetter": False,
                "mcid": 2,
            },
        },
    )
    return questionnaire


def patient_rows(patient, *, exercise, program, questionnaire) -> dict:
    """A patient's assignment with one item, a completed session with its log,
    the next-day check-in, a reminder, a message and a sent questionnaire response."""
    assignment = AssignmentFactory(patient=patient, program=program, therapist=None)
    prescribed = PrescriptionItemFactory(assignment=assignment, exercise=exercise)
    session = Session.objects.create(
        assignment=assignment,
        patient=patient,
        performed_on=assignment.start_date,
        status=SessionStatus.COMPLETED,
    )
    log = ExerciseLog.objects.create(session=session, item=prescribed, sets_done=1, reps_done=2)
    checkin = CheckIn.objects.create(
        session=session,
        patient=patient,
        answer=Answer.FINE,
        answered_on=session.performed_on + DAY,
    )
    assignment_reevaluate(assignment=assignment)  # what the reports read
    reminder = Reminder.objects.create(
        patient=patient,
        local_date=session.performed_on,
        due_at=datetime.datetime(2026, 3, 2, 8, tzinfo=datetime.UTC),
    )
    message = Message.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        author=patient.user,
        from_patient=True,
        body="How long should the stretch hurt?",
        session=session,
    )
    AssignmentQuestionnaire.objects.create(assignment=assignment, questionnaire=questionnaire)
    response = outcomes.response_start(
        assignment=assignment, questionnaire=questionnaire, occasion=assignment.start_date
    )
    response.answers = {"pain": 4}
    response.save()
    outcomes.response_submit(response=response, today=assignment.start_date)
    return {
        "outcomeresponse": response,
        "patient": patient,
        "assignment": assignment,
        "prescriptionitem": prescribed,
        "session": session,
        "exerciselog": log,
        "checkin": checkin,
        "reminder": reminder,
        "message": message,
    }


@pytest.fixture
def rows_of_clinic_a(clinic_a, carol):
    return clinic_rows(clinic_a, carol, suffix="A")


@pytest.fixture
def rows_of_clinic_b(clinic_b, dave, bob):
    return {**clinic_rows(clinic_b, dave, suffix="B"), "therapist": bob.staff}


@pytest.fixture
def rows_of_erin(erin, rows_of_clinic_a):
    return patient_rows(
        erin,
        exercise=rows_of_clinic_a["exercise"],
        program=rows_of_clinic_a["program"],
        questionnaire=rows_of_clinic_a["questionnaire"],
    )
