"""A questionnaire version's parsed definition is kept a process per version and language,
and never read stale: a definition changed under the same version is parsed again."""

import copy
from unittest import mock

import pytest
from django.utils import translation

from programs import models
from programs.models import Questionnaire, QuestionnaireVersion
from programs.outcomes import definition_translate
from programs.services import questionnaire_version_save
from tests.patients.test_content_languages import PAIN

pytestmark = pytest.mark.django_db

GERMAN = {"de": {"How much does it hurt now?": "Wie stark schmerzt es jetzt?"}}


@pytest.fixture
def version(clinic_a):
    pain = Questionnaire.objects.create(clinic=clinic_a, code="pain-now", title="Pain now")
    return questionnaire_version_save(
        questionnaire=pain, definition=definition_translate(PAIN, GERMAN)
    )


def question(version):
    return version.parsed.questions[0].text


def test_a_version_is_parsed_once_for_every_page_that_reads_it(version):
    with mock.patch.object(models, "definition_parse", wraps=models.definition_parse) as parse:
        for _page in range(3):
            assert question(QuestionnaireVersion.objects.get(pk=version.pk)) == (
                "How much does it hurt now?"
            )
    assert parse.call_count == 1


def test_each_language_reads_its_own_translation(version):
    assert question(version) == "How much does it hurt now?"
    with translation.override("de"):
        assert question(version) == "Wie stark schmerzt es jetzt?"
    assert question(version) == "How much does it hurt now?"


def test_a_definition_changed_under_the_same_version_is_parsed_again(version):
    assert question(version) == "How much does it hurt now?"
    changed = copy.deepcopy(version.definition)
    changed["item"][0]["text"] = "Where does it hurt?"
    QuestionnaireVersion.objects.filter(pk=version.pk).update(definition=changed)
    assert question(QuestionnaireVersion.objects.get(pk=version.pk)) == "Where does it hurt?"


def test_a_definition_changed_in_place_is_parsed_again(version):
    assert question(version) == "How much does it hurt now?"
    version.definition["item"][0]["text"] = "Where does it hurt?"
    assert question(version) == "Where does it hurt?"
