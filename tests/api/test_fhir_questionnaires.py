"""Questionnaire (each version of an outcome measure) and QuestionnaireResponse (each sent
answer set, scored) in the FHIR interface."""

import datetime

import pytest

from api.fhir import codes
from clinic.models import Role
from clinic.tokens import api_token_issue
from patients.models import OutcomeResponse
from programs.models import Questionnaire, QuestionnaireVersion

from ..factories import PatientFactory
from .conftest import client_logged_in, client_with_token
from .fhir_world import full_record
from .test_fhir import entries, validated

SHARED = "https://flexion.health/fhir/Questionnaire"


@pytest.fixture
def record(carol, alice):
    return full_record(carol, alice.staff)


@pytest.fixture
def fhir(clinic_a_api):
    def get(path, params=None):
        return clinic_a_api.get(f"/fhir/R4/{path}", params or {})

    return get


@pytest.fixture
def clinic_b_api(clinic_b, bob):
    _token, key = api_token_issue(clinic=clinic_b, name="EHR", role=Role.THERAPIST, created_by=bob)
    return client_with_token(key)


def extension(resource: dict, url: str) -> dict:
    (found,) = [item for item in resource.get("extension", []) if item["url"] == url]
    return found


def test_each_version_is_a_questionnaire_the_latest_one_active(fhir, record, clinic_a):
    own = record["own_questionnaire"]
    first = QuestionnaireVersion.objects.get(questionnaire=own.questionnaire, number=1)

    current = validated(fhir(f"Questionnaire/{own.pk}").json())
    retired = validated(fhir(f"Questionnaire/{first.pk}").json())

    assert current["url"] == retired["url"] == f"{SHARED}/clinic-{clinic_a.pk}/sleep"
    assert (current["version"], current["status"]) == ("2", "active")
    assert (retired["version"], retired["status"]) == ("1", "retired")
    assert current["publisher"] == clinic_a.name and current["subjectType"] == ["Patient"]
    woke, note = current["item"]
    assert woke["linkId"] == "woke" and woke["type"] == "choice" and woke["required"] is True
    assert woke["text"] == "Did pain wake you <at night>?"
    assert [option["valueCoding"] for option in woke["answerOption"]] == [
        {"code": "0", "display": "No"},
        {"code": "2", "display": "A little"},
    ]
    assert woke["answerOption"][1]["extension"] == [{"url": codes.ORDINAL_VALUE, "valueDecimal": 2}]
    assert note == {"linkId": "note", "text": "Anything else?", "type": "string"}


def test_the_shared_measures_are_every_clinics_and_keep_their_groups_and_ranges(
    fhir, record, clinic_b_api
):
    psfs = record["response"].version
    seen_by_a = validated(fhir(f"Questionnaire/{psfs.pk}").json())
    seen_by_b = clinic_b_api.get(f"/fhir/R4/Questionnaire/{psfs.pk}")

    assert seen_by_b.status_code == 200 and seen_by_b.json() == seen_by_a
    assert seen_by_a["url"] == f"{SHARED}/psfs" and seen_by_a["publisher"] == "Flexion"
    assert seen_by_a["copyright"].startswith("Stratford P")
    activity = seen_by_a["item"][0]
    assert activity["type"] == "group" and len(activity["item"]) == 2
    score = activity["item"][1]
    assert score["type"] == "integer" and score["text"].startswith("How able are you")
    assert score["extension"] == [
        {"url": codes.MIN_VALUE, "valueInteger": 0},
        {"url": codes.MAX_VALUE, "valueInteger": 10},
    ]
    # Clinic B lists the shared measures and not clinic A's own.
    listed = clinic_b_api.get("/fhir/R4/Questionnaire", {"_count": 200}).json()
    urls = {resource["url"] for resource in entries(listed)}
    assert urls == {f"{SHARED}/psfs", f"{SHARED}/nprs", f"{SHARED}/ears"}


def test_a_sent_response_is_completed_and_its_correction_amended_with_the_score(
    fhir, record, carol
):
    first, correction = record["response"], record["correction"]

    sent = validated(fhir(f"QuestionnaireResponse/{first.pk}").json())
    amended = validated(fhir(f"QuestionnaireResponse/{correction.pk}").json())

    assert sent["status"] == "completed" and amended["status"] == "amended"
    assert sent["questionnaire"] == f"{SHARED}/psfs|{first.version.number}"
    assert sent["subject"] == {"reference": f"Patient/{carol.pk}"}
    assert sent["basedOn"] == [{"reference": f"CarePlan/{record['assignment'].pk}"}]
    assert sent["authored"] == first.submitted_at.astimezone(datetime.UTC).isoformat()
    assert extension(sent, codes.SCORE_EXTENSION)["valueDecimal"] == first.score == 4.67
    assert extension(amended, codes.SCORE_EXTENSION)["valueDecimal"] == correction.score == 5
    assert extension(amended, codes.REPLACES_EXTENSION)["valueReference"] == {
        "reference": f"QuestionnaireResponse/{first.pk}"
    }
    # Only the three activities named: groups 4 and 5 have no answers, so no items.
    assert [group["linkId"] for group in sent["item"]] == [
        "activity-1",
        "activity-2",
        "activity-3",
    ]
    name, rating = sent["item"][0]["item"]
    assert name["answer"] == [{"valueString": "Walking"}]
    assert rating["answer"] == [{"valueInteger": 3}]
    # Each item's text is its Questionnaire item's (with a number's end labels).
    asked = fhir(f"Questionnaire/{first.version_id}").json()["item"][0]["item"][1]
    assert rating["text"] == asked["text"] and "10 = able" in rating["text"]
    own = validated(fhir(f"QuestionnaireResponse/{record['own_response'].pk}").json())
    woke, note = own["item"]
    assert woke["answer"] == [{"valueCoding": {"code": "2", "display": "A little"}}]
    assert note["answer"] == [{"valueString": "Only <once>"}]


def test_a_draft_is_no_resource(fhir, record):
    draft = OutcomeResponse.objects.get(status="draft", patient=record["patient"])

    assert fhir(f"QuestionnaireResponse/{draft.pk}").status_code == 404
    listed = fhir("QuestionnaireResponse", {"_count": 200}).json()
    assert str(draft.pk) not in {resource["id"] for resource in entries(listed)}
    assert listed["total"] == 4


def ids(bundle: dict) -> set[str]:
    return {resource["id"] for resource in entries(bundle)}


def test_responses_are_searched_by_patient_date_questionnaire_and_last_update(
    fhir, record, carol, clinic_a
):
    other = full_record(PatientFactory(clinic=clinic_a), None)
    first, correction, own = record["response"], record["correction"], record["own_response"]
    psfs = first.version
    nprs = Questionnaire.objects.get(clinic=None, code="nprs")

    def found(**params):
        response = fhir("QuestionnaireResponse", params)
        assert response.status_code == 200, response.content
        return ids(validated(response.json()))

    carols = found(patient=carol.pk)
    assert str(first.pk) in carols and str(other["response"].pk) not in carols
    assert len(carols) == 4
    assert found(patient=carol.pk, date="2026-03-03") == {str(correction.pk)}
    assert found(patient=carol.pk, date="ge2026-03-02", questionnaire=psfs.pk) == {
        str(first.pk),
        str(correction.pk),
    }
    assert found(
        subject=f"Patient/{carol.pk}", questionnaire=f"Questionnaire/{own.version_id}"
    ) == {str(own.pk)}
    assert found(patient=carol.pk, questionnaire=f"{SHARED}/nprs") == {
        str(r.pk) for r in OutcomeResponse.objects.filter(patient=carol, questionnaire=nprs)
    }
    assert found(patient=carol.pk, questionnaire=f"{SHARED}/psfs|{psfs.number}") == {
        str(first.pk),
        str(correction.pk),
    }
    assert found(questionnaire=f"{SHARED}/psfs|{psfs.number + 1}") == set()
    assert found(questionnaire=f"{SHARED}/clinic-{clinic_a.pk}/sleep", patient=carol.pk) == {
        str(own.pk)
    }
    assert found(questionnaire="https://elsewhere.example/Questionnaire/psfs") == set()
    assert found(_id=str(first.pk)) == {str(first.pk)}
    assert found(_lastUpdated="ge2999-01-01") == set()
    for bad in ("Patient/1", "psfs", f"{SHARED}/psfs|x", "Questionnaire/"):
        response = fhir("QuestionnaireResponse", {"questionnaire": bad})
        assert response.status_code == 400, bad
        assert validated(response.json())["resourceType"] == "OperationOutcome"


def test_everything_holds_the_responses_and_the_questionnaires_answered(fhir, record, carol):
    bundle = validated(fhir(f"Patient/{carol.pk}/$everything").json())
    resources = entries(bundle)

    responses = {r["id"] for r in resources if r["resourceType"] == "QuestionnaireResponse"}
    assert responses == {
        str(pk)
        for pk in OutcomeResponse.objects.filter(patient=carol, status="submitted").values_list(
            "pk", flat=True
        )
    }
    answered = {r["id"] for r in resources if r["resourceType"] == "Questionnaire"}
    versions = OutcomeResponse.objects.filter(patient=carol, status="submitted")
    assert answered == {str(pk) for pk in versions.values_list("version_id", flat=True)}
    only = fhir(f"Patient/{carol.pk}/$everything", {"_type": "QuestionnaireResponse"}).json()
    assert {r["resourceType"] for r in entries(only)} == {"QuestionnaireResponse"}


def test_a_patient_reads_their_own_responses_only(record, carol, erin):
    full_record(erin, None)
    own = client_logged_in(carol.user).get("/fhir/R4/QuestionnaireResponse").json()

    assert own["total"] == 4
    assert {r["subject"]["reference"] for r in entries(own)} == {f"Patient/{carol.pk}"}
    # The definitions are the clinic's, not the patient's record: not listed to a patient.
    assert client_logged_in(carol.user).get("/fhir/R4/Questionnaire").json()["total"] == 0
