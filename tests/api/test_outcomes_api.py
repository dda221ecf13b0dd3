"""A patient answers a questionnaire through the API; staff read the responses."""

import datetime
import zoneinfo

import pytest

from patients.models import AssignmentQuestionnaire, OutcomeResponse
from programs.models import Questionnaire
from programs.services import starter_questionnaires_load
from tests.factories import AssignmentFactory

from .conftest import client_logged_in

pytestmark = pytest.mark.django_db
URL = "/api/v1/outcome-responses/"


@pytest.fixture
def nprs_due(carol):
    starter_questionnaires_load()
    nprs = Questionnaire.objects.get(clinic=None, code="nprs")
    today = datetime.datetime.now(zoneinfo.ZoneInfo(carol.timezone)).date()
    assignment = AssignmentFactory(patient=carol, start_date=today)
    AssignmentQuestionnaire.objects.create(assignment=assignment, questionnaire=nprs)
    return assignment, nprs


def test_a_patient_starts_answers_sends_and_corrects_through_the_api(carol, alice, nprs_due):
    assignment, nprs = nprs_due
    api = client_logged_in(carol.user)
    started = api.post(URL, {"assignment": assignment.pk, "questionnaire": nprs.pk}, format="json")
    assert started.status_code == 201, started.json()
    pk = started.json()["id"]
    again = api.post(URL, {"assignment": assignment.pk, "questionnaire": nprs.pk}, format="json")
    assert again.json()["id"] == pk  # starting twice resumes

    bad = api.post(f"{URL}{pk}/answer/", {"answers": {"pain": 11}}, format="json")
    assert bad.status_code == 400
    assert bad.json()["fields"] == {"pain": ["Please choose a number from 0 to 10."]}
    unknown = api.post(f"{URL}{pk}/answer/", {"answers": {"mood": 3}}, format="json")
    assert unknown.status_code == 400
    assert OutcomeResponse.objects.get(pk=pk).answers == {}
    incomplete = api.post(f"{URL}{pk}/submit/")
    assert incomplete.status_code == 400 and "pain" in incomplete.json()["fields"]

    assert (
        api.post(f"{URL}{pk}/answer/", {"answers": {"pain": 6}}, format="json").status_code == 200
    )
    sent = api.post(f"{URL}{pk}/submit/")
    assert sent.status_code == 200 and sent.json()["score"] == 6
    assert api.post(f"{URL}{pk}/submit/").status_code == 409
    assert (
        api.post(f"{URL}{pk}/answer/", {"answers": {"pain": 1}}, format="json").status_code == 409
    )

    correction = api.post(f"{URL}{pk}/correct/")
    assert correction.status_code == 201 and correction.json()["supersedes"] == pk
    assert correction.json()["answers"] == {"pain": 6}
    assert correction.json()["definition"]["item"][0]["linkId"] == "pain"
    assert OutcomeResponse.objects.get(pk=pk).score == 6

    staff = client_logged_in(alice)
    listed = staff.get(URL, {"patient": carol.pk}).json()["results"]
    assert {row["id"] for row in listed} == {pk, correction.json()["id"]}
    assert staff.post(f"{URL}{pk}/correct/").status_code == 403  # only patients write


def test_a_questionnaire_that_is_not_due_cannot_be_started(carol, nprs_due):
    assignment, _nprs = nprs_due
    ears = Questionnaire.objects.get(clinic=None, code="ears")
    api = client_logged_in(carol.user)
    refused = api.post(URL, {"assignment": assignment.pk, "questionnaire": ears.pk}, format="json")
    assert refused.status_code == 400 and "questionnaire" in refused.json()["fields"]
    assert not OutcomeResponse.objects.exists()


def test_questionnaires_list_their_latest_definition(alice, nprs_due):
    rows = client_logged_in(alice).get("/api/v1/questionnaires/").json()["results"]
    nprs = next(row for row in rows if row["code"] == "nprs")
    assert nprs["shared"] is True and nprs["version"] == 1
    assert nprs["definition"]["scoring"]["mcid"] == 2
