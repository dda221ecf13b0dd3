"""The "Hip flexor stretches for back pain" program of seed 001, built from the starter data."""

import json
from pathlib import Path

from django.conf import settings

from patients.models import Assignment, PrescriptionItem
from programs.models import Dosage, Exercise
from programs.services import starter_texts, starter_translations
from tests.factories import default_scheme

KEYS = [
    "ninety-ninety-hip-flexor-stretch",
    "ninety-ninety-hip-flexor-stretch-side-bend",
    "knee-drops",
]
FIELDS = [
    "key",
    "name",
    "category",
    "starting_position",
    "summary",
    "steps",
    "cues",
    "cautions",
    "stop_rule",
    "source",
    *Dosage.DOSAGE_FIELDS,
]


def starter_exercises() -> list[Exercise]:
    data = json.loads((Path(settings.BASE_DIR) / "programs/starter/exercises.json").read_text())
    by_key = {entry["key"]: entry for entry in data}
    translations = starter_translations()
    exercises = []
    for key in KEYS:
        entry = by_key[key]
        defaults = {name: entry[name] for name in FIELDS if name not in Exercise.TRANSLATED_FIELDS}
        defaults.update(starter_texts(Exercise, entry, "exercises", translations))
        exercise, _ = Exercise.objects.get_or_create(clinic=None, key=key, defaults=defaults)
        exercises.append(exercise)
    return exercises


def back_pain_assignment(patient, start_date, **extra) -> Assignment:
    assignment = Assignment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        name="Hip flexor stretches for back pain",
        scheme=default_scheme(),
        start_date=start_date,
        timezone=patient.timezone,
        **extra,
    )
    for order, exercise in enumerate(starter_exercises()):
        PrescriptionItem.objects.create(
            assignment=assignment, exercise=exercise, order=order, **exercise.dosage()
        )
    return assignment
