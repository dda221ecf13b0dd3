"""The rest of what a patient reads in their language: questionnaires (their texts
translated in the definition, FHIR's way), body regions, equipment, picture descriptions and
the name of the program they were given."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import translation

from patients.models import AssignmentQuestionnaire, OutcomeResponse
from patients.services import assignment_create
from programs.models import BodyRegion, Equipment, ExercisePicture, Questionnaire
from programs.outcomes import definition_translate
from programs.services import (
    questionnaire_version_save,
    starter_library_load,
    starter_questionnaires_load,
)
from tests.factories import AssignmentFactory, ExerciseFactory, ProgramFactory

pytestmark = pytest.mark.django_db

PAIN = {
    "resourceType": "Questionnaire",
    "name": "pain-now",
    "title": "Pain now",
    "item": [
        {
            "linkId": "pain",
            "type": "integer",
            "required": True,
            "minValue": 0,
            "maxValue": 10,
            "text": "How much does it hurt now?",
        }
    ],
    "scoring": {"method": "single", "items": ["pain"], "min": 0, "max": 10},
}


def today():
    return datetime.datetime.now(zoneinfo.ZoneInfo("Europe/London")).date()


def due(patient, questionnaire):
    assignment = AssignmentFactory(patient=patient, start_date=today())
    AssignmentQuestionnaire.objects.create(
        assignment=assignment, questionnaire=questionnaire, at_start=True
    )
    return assignment


def started(client, assignment, questionnaire):
    url = reverse("patients:questionnaire_start", args=[assignment.pk, questionnaire.pk])
    return client.post(url).url


def speaking(patient, language):
    patient.language = language
    patient.save(update_fields=["language"])
    return patient


def test_a_german_patient_reads_the_psfs_in_german(client, carol):
    starter_questionnaires_load()
    psfs = Questionnaire.objects.get(clinic=None, code="psfs")
    assignment = due(speaking(carol, "de"), psfs)
    client.force_login(carol.user)
    home = client.get(reverse("patients:home")).content.decode()
    assert "Patientenspezifische Funktionsskala (PSFS)" in home
    page = client.get(started(client, assignment, psfs)).content.decode()
    assert "Aktivität 1" in page
    assert "Wie gut können Sie diese Aktivität heute ausführen?" in page
    assert "0 = Sie können die Aktivität nicht ausführen" in page
    assert "How able are you" not in page


def test_a_spanish_patient_reads_the_ears_answers_in_spanish(client, carol):
    starter_questionnaires_load()
    ears = Questionnaire.objects.get(clinic=None, code="ears")
    assignment = due(speaking(carol, "es"), ears)
    client.force_login(carol.user)
    page = client.get(started(client, assignment, ears)).content.decode()
    assert "Hago mis ejercicios con la frecuencia recomendada." in page
    assert "Totalmente de acuerdo" in page and "Completely agree" not in page


def test_every_text_of_the_shipped_questionnaires_is_in_german_and_spanish(db):
    starter_questionnaires_load()
    for questionnaire in Questionnaire.objects.filter(clinic=None):
        assert questionnaire.missing_translations == [], questionnaire.code
        assert questionnaire.latest_version().missing_translations == [], questionnaire.code


def test_a_clinics_own_questionnaire_without_translation_reads_in_english(client, carol):
    own = Questionnaire.objects.create(clinic=carol.clinic, code="pain-now", title="Pain now")
    questionnaire_version_save(questionnaire=own, definition=PAIN)
    assignment = due(speaking(carol, "de"), own)
    client.force_login(carol.user)
    page = client.get(started(client, assignment, own)).content.decode()
    assert "How much does it hurt now?" in page
    assert own.latest_version().missing_translations == ["de", "es"]


def test_adding_translations_keeps_an_older_response_readable_in_its_own_words(client, carol):
    own = Questionnaire.objects.create(clinic=carol.clinic, code="pain-now", title="Pain now")
    first = questionnaire_version_save(questionnaire=own, definition=PAIN)
    assignment = due(speaking(carol, "de"), own)
    client.force_login(carol.user)
    url = started(client, assignment, own)
    response = OutcomeResponse.objects.get()

    translated = definition_translate(
        PAIN, {"de": {"How much does it hurt now?": "Wie stark schmerzt es jetzt?"}}
    )
    second = questionnaire_version_save(questionnaire=own, definition=translated)

    assert second.number == first.number + 1 and response.version == first
    assert "How much does it hurt now?" in client.get(url).content.decode()
    got = client.post(url + "?screen=1", {"pain": "4"})
    assert got.status_code == 302
    response.refresh_from_db()
    assert response.answers == {"pain": 4} and response.version == first
    with translation.override("de"):
        assert second.parsed.questions[0].text == "Wie stark schmerzt es jetzt?"
        assert first.parsed.questions[0].text == "How much does it hurt now?"


def test_loading_the_starter_questionnaires_twice_makes_no_new_version(db):
    starter_questionnaires_load()
    numbers = dict(Questionnaire.objects.values_list("code", "versions__number"))
    starter_questionnaires_load()
    assert dict(Questionnaire.objects.values_list("code", "versions__number")) == numbers


def test_body_regions_and_equipment_of_the_starter_library_read_in_each_language(db):
    starter_library_load()
    assert not [region.code for region in BodyRegion.objects.all() if region.missing_translations]
    assert not [item.code for item in Equipment.objects.all() if item.missing_translations]
    with translation.override("de"):
        assert BodyRegion.objects.get(code="glutes").name == "Gesäß"
        assert Equipment.objects.get(code="towel").name == "Handtuch"
    with translation.override("es"):
        assert BodyRegion.objects.get(code="glutes").name == "Glúteos"
    assert BodyRegion.objects.get(code="glutes").name == "Glutes"


def test_the_starter_loader_keeps_an_operators_own_wording(db):
    towel = Equipment.objects.get(code="towel")
    towel.name_de = "Frotteetuch"
    towel.save()
    starter_library_load()
    towel.refresh_from_db()
    assert (towel.name_de, towel.name_es) == ("Frotteetuch", "Toalla")


def test_a_pictures_description_reads_in_the_patients_language_else_english(clinic_a):
    exercise = ExerciseFactory(clinic=clinic_a)
    picture = ExercisePicture.objects.create(
        exercise=exercise,
        alt_text_en="Lying on the back, knees bent",
        alt_text_de="In Rückenlage, Knie gebeugt",
        large="x.webp",
        thumb="x-thumb.webp",
        width=10,
        height=10,
    )
    with translation.override("de"):
        assert picture.alt_text == "In Rückenlage, Knie gebeugt"
    with translation.override("es"):
        assert picture.alt_text == "Lying on the back, knees bent"
    assert picture.missing_translations == ["es"]


def test_a_german_patient_given_a_program_by_an_english_therapist_reads_its_german_name(
    client, carol, alice
):
    program = ProgramFactory(
        clinic=carol.clinic, name_en="Back pain: hip stretches", name_de="Rückenschmerz: Dehnungen"
    )
    speaking(carol, "de")
    with translation.override("en"):
        assignment = assignment_create(
            patient=carol, program=program, therapist=alice.staff, start_date=today()
        )
    client.force_login(carol.user)
    home = client.get(reverse("patients:home")).content.decode()
    assert "Rückenschmerz: Dehnungen" in home
    assert "Back pain: hip stretches" not in home
    with translation.override("en"):
        assert assignment.name == "Back pain: hip stretches"  # the therapist reads English
