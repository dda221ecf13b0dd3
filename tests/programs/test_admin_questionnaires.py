"""A clinic adds its own questionnaire in the admin; editing it makes a new version."""

import json

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from programs.models import Questionnaire, QuestionnaireVersion
from programs.services import starter_questionnaires_load

pytestmark = pytest.mark.django_db

ADD = reverse("admin:programs_questionnaire_add")


def definition(mcid=1):
    return {
        "resourceType": "Questionnaire",
        "name": "sleep",
        "title": "Sleep",
        "item": [
            {"linkId": "nights", "type": "integer", "required": True, "text": "Good nights?",
             "minValue": 0, "maxValue": 7}
        ],
        "scoring": {"method": "single", "items": ["nights"], "min": 0, "max": 7,
                    "higherIsBetter": True, "mcid": mcid},
    }  # fmt: skip


def test_a_therapist_adds_a_questionnaire_and_an_edit_makes_a_new_version(client, alice):
    client.force_login(alice)
    broken = dict(definition(), scoring={"method": "single", "items": ["nope"]})
    refused = client.post(
        ADD, {"code": "sleep", "title": "Sleep", "definition": json.dumps(broken)}
    )
    assert refused.status_code == 200
    assert "The scoring rule names items the questionnaire does not have." in refused.text
    assert not Questionnaire.objects.exists()

    client.post(ADD, {"code": "sleep", "title": "Sleep", "definition": json.dumps(definition())})
    sleep = Questionnaire.objects.get(code="sleep")
    assert sleep.clinic == alice.staff.clinic
    assert AuditEvent.objects.filter(object_id=str(sleep.pk)).exists()
    change = reverse("admin:programs_questionnaire_change", args=[sleep.pk])
    client.post(
        change, {"code": "sleep", "title": "Sleep", "definition": json.dumps(definition(2))}
    )
    versions = list(QuestionnaireVersion.objects.filter(questionnaire=sleep).order_by("number"))
    assert [(v.number, v.mcid) for v in versions] == [(1, 1), (2, 2)]
    # Saved again unchanged: no new version.
    client.post(
        change, {"code": "sleep", "title": "Sleep", "definition": json.dumps(definition(2))}
    )
    assert sleep.versions.count() == 2


def test_the_shared_instruments_are_read_only_and_another_clinics_are_not_found(client, alice, bob):
    starter_questionnaires_load()
    psfs = Questionnaire.objects.get(clinic=None, code="psfs")
    theirs = Questionnaire.objects.create(clinic=bob.staff.clinic, code="theirs", title="Theirs")
    client.force_login(alice)
    change = reverse("admin:programs_questionnaire_change", args=[psfs.pk])
    client.post(change, {"code": "psfs", "title": "Mine now", "definition": "{}"})
    assert Questionnaire.objects.get(pk=psfs.pk).title.startswith("Patient-Specific")
    assert psfs.versions.count() == 1
    page = client.get(reverse("admin:programs_questionnaire_change", args=[theirs.pk]))
    assert page.status_code in (302, 404) and "Theirs" not in page.text


def test_the_list_shows_the_languages_a_questionnaire_lacks_and_a_translated_one_is_read(
    client, alice
):
    from programs.outcomes import definition_translate

    client.force_login(alice)
    german = definition_translate(
        definition(), {"de": {"Sleep": "Schlaf", "Good nights?": "Gute Nächte?"}}
    )
    answer = client.post(
        ADD,
        {"code": "sleep", "title": "Sleep", "title_de": "Schlaf", "definition": json.dumps(german)},
    )
    assert answer.status_code == 302
    sleep = Questionnaire.objects.get(code="sleep")
    assert (sleep.title_en, sleep.title_de, sleep.title_es) == ("Sleep", "Schlaf", None)
    listing = client.get(reverse("admin:programs_questionnaire_changelist") + "?library=own")
    (row,) = listing.context["cl"].result_list
    assert listing.context["cl"].model_admin.questions_missing_translations(row) == "es"
    spanish = client.get(
        reverse("admin:programs_questionnaire_changelist") + "?library=own&missing_translation=es"
    )
    assert [q.code for q in spanish.context["cl"].result_list] == ["sleep"]


def test_a_malformed_translation_is_refused_and_nothing_is_saved(client, alice):
    client.force_login(alice)
    broken = definition()
    broken["item"][0]["_text"] = {
        "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/translation"}]
    }
    refused = client.post(
        ADD, {"code": "sleep", "title": "Sleep", "definition": json.dumps(broken)}
    )
    assert refused.status_code == 200
    assert "_text must hold translation extensions" in refused.text
    assert not Questionnaire.objects.exists()
