"""The patient's copy of a program's texts, per language (django-modeltranslation), as in
``programs/translation.py``: ``assignment.name`` reads the active language's name, else
English."""

from modeltranslation.translator import TranslationOptions, register

from .models import Assignment


@register(Assignment)
class AssignmentTranslationOptions(TranslationOptions):
    fields = Assignment.TRANSLATED_FIELDS
