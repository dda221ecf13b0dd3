"""The library's content per language (django-modeltranslation): what a patient reads.

Each field listed here gets one column per language in ``settings.LANGUAGES``
(``name_en``, ``name_de``, ``name_es``). Reading ``exercise.name`` gives the active
language's text, else the first of ``MODELTRANSLATION_FALLBACK_LANGUAGES`` that has one:
a patient sees English where a clinic's own text has no translation. The plain column
(``name``) keeps the text of the first language that has one, English first, for the
unique names and the search (``programs.models.TranslatedContent``).
"""

from django.conf import settings
from modeltranslation.translator import TranslationOptions, register

from .models import BodyRegion, Equipment, Exercise, ExercisePicture, Program, Questionnaire


@register(Exercise)
class ExerciseTranslationOptions(TranslationOptions):
    fields = Exercise.TRANSLATED_FIELDS
    # An empty name is no name (NULL), so the per-language unique names never collide on "".
    empty_values = {"name": None}


@register(Program)
class ProgramTranslationOptions(TranslationOptions):
    fields = Program.TRANSLATED_FIELDS
    empty_values = {"name": None}


@register(Questionnaire)
class QuestionnaireTranslationOptions(TranslationOptions):
    fields = Questionnaire.TRANSLATED_FIELDS


@register(BodyRegion)
class BodyRegionTranslationOptions(TranslationOptions):
    fields = BodyRegion.TRANSLATED_FIELDS


@register(Equipment)
class EquipmentTranslationOptions(TranslationOptions):
    fields = Equipment.TRANSLATED_FIELDS


@register(ExercisePicture)
class ExercisePictureTranslationOptions(TranslationOptions):
    fields = ExercisePicture.TRANSLATED_FIELDS


# modeltranslation repeats each unique name per language. The default language's copy says
# again what the plain column's constraint says (that column holds the English name when
# there is one), and would give every duplicate two identical errors: it is dropped.
for _model in (Exercise, Program):
    _model._meta.constraints = [
        constraint
        for constraint in _model._meta.constraints
        if not constraint.name.endswith(f"-{settings.LANGUAGE_CODE}")
    ]
    _model._meta.original_attrs["constraints"] = _model._meta.constraints
