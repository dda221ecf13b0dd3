"""The adherence report's proxy of an assignment, registered with django-modeltranslation
(no fields of its own): the assignment's texts are per language (``patients/translation.py``),
and a proxy of a registered model must be registered too, or its queries fail."""

from modeltranslation.translator import TranslationOptions, register

from .models import AdherenceReport


@register(AdherenceReport)
class AdherenceReportTranslationOptions(TranslationOptions):
    fields = ()
