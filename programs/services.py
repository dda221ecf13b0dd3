"""Workflows of the exercise library and of programs that span several models."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q

from clinic.images import STORED_EXTENSION
from clinic.models import Clinic

from .models import (
    BodyRegion,
    Dosage,
    Equipment,
    Exercise,
    ExercisePicture,
    ExerciseVariation,
    Program,
    ProgramItem,
    ProgramQuestionnaire,
    ProgressionScheme,
    Questionnaire,
    QuestionnaireVersion,
    content_languages,
)
from .outcomes import definition_translate
from .pictures import PreparedPicture
from .video import parse_video_url

STARTER_DIR = Path(__file__).resolve().parent / "starter"
OVERRIDE_FIELDS = list(Dosage.DOSAGE_FIELDS)


def _starter(name: str) -> list[dict]:
    return json.loads((STARTER_DIR / name).read_text(encoding="utf-8"))


def starter_translations() -> dict[str, dict]:
    """The starter library's texts in each other language: ``translations/<code>.json``,
    ``{"exercises": {key: {field: text}}, "programs": {key: {field: text}},
    "body_regions": {code: name}, "equipment": {code: name},
    "questionnaires": {code: {English text: translation}}}``."""
    return {
        code: json.loads((STARTER_DIR / "translations" / f"{code}.json").read_text("utf-8"))
        for code in content_languages()[1:]
    }


def starter_texts(model, data: dict, kind: str, translations: dict[str, dict]) -> dict:
    """The per-language columns of a starter row: English from the data, others translated."""
    default = settings.LANGUAGE_CODE
    texts = {f"{name}_{default}": data[name] for name in model.TRANSLATED_FIELDS}
    for code, catalog in translations.items():
        translated = catalog[kind].get(data["key"], {})
        texts.update({f"{name}_{code}": translated.get(name) for name in model.TRANSLATED_FIELDS})
    return texts


def _named_with_translations(model, kind: str, translations: dict[str, dict]) -> dict:
    """The body regions or equipment by code, their names translated from the starter data.

    Wording the operator gave a language in the admin is kept; only empty names are filled.
    """
    rows = {row.code: row for row in model.objects.all()}
    for row in rows.values():
        changed = False
        for code, catalog in translations.items():
            name = catalog.get(kind, {}).get(row.code)
            if name and not getattr(row, f"name_{code}"):
                setattr(row, f"name_{code}", name)
                changed = True
        if changed:
            row.save()
    return rows


@transaction.atomic
def starter_library_load() -> tuple[int, int]:
    """Create or refresh the shared starter exercises and default programs; return their counts.

    Idempotent: rows are matched by key, so running it again updates them in place and
    never duplicates anything. Clinics' own copies are left alone.
    """
    exercises = _starter("exercises.json")
    translations = starter_translations()
    regions = _named_with_translations(BodyRegion, "body_regions", translations)
    equipment = _named_with_translations(Equipment, "equipment", translations)
    by_key: dict[str, Exercise] = {}
    for data in exercises:
        defaults = {
            name: data[name]
            for name in Exercise.VALUE_FIELDS
            if name not in Exercise.TRANSLATED_FIELDS
        }
        defaults.update(starter_texts(Exercise, data, "exercises", translations))
        video = parse_video_url(data["video_url"]) if data["video_url"] else None
        defaults["video_provider"] = video.provider.value if video else ""
        defaults["video_id"] = video.id if video else ""
        exercise, _ = Exercise.objects.update_or_create(
            clinic=None, key=data["key"], defaults=defaults
        )
        exercise.body_regions.set([regions[code] for code in data["body_regions"]])
        exercise.equipment.set([equipment[code] for code in data["equipment"]])
        by_key[data["key"]] = exercise
    for data in exercises:
        exercise = by_key[data["key"]]
        exercise.variations.all().delete()
        ExerciseVariation.objects.bulk_create(
            ExerciseVariation(
                exercise=exercise,
                variation=by_key[link["key"]],
                direction=link["direction"],
                order=order,
                note=link["note"],
            )
            for order, link in enumerate(data["variations"])
        )

    scheme = ProgressionScheme.objects.get(clinic=None, is_default=True)
    programs = _starter("programs.json")
    for data in programs:
        program, _ = Program.objects.update_or_create(
            clinic=None,
            key=data["key"],
            defaults={"scheme": scheme, **starter_texts(Program, data, "programs", translations)},
        )
        program.items.all().delete()
        ProgramItem.objects.bulk_create(
            ProgramItem(
                program=program,
                exercise=by_key[item["exercise"]],
                order=order,
                note=item["note"],
                **{name: item[name] for name in OVERRIDE_FIELDS if name in item},
            )
            for order, item in enumerate(data["items"], start=1)
        )
    return len(exercises), len(programs)


# Every starter program asks for these at its start and every four weeks.
STARTER_SCHEDULE = (
    ("psfs", {"at_start": True, "every_weeks": 4}),
    ("nprs", {"at_start": True, "every_weeks": 4}),
)


def questionnaire_version_save(
    *, questionnaire: Questionnaire, definition: dict
) -> QuestionnaireVersion:
    """Store `definition` as the questionnaire's next version, unless it is its latest already.

    Versions are never edited: responses keep the version they answered. Raise
    ``outcomes.DefinitionError`` for a definition that cannot be scored.
    """
    latest = questionnaire.latest_version()
    if latest is not None and latest.definition == definition:
        return latest
    version = QuestionnaireVersion.from_definition(
        questionnaire, (latest.number + 1) if latest else 1, definition
    )
    version.save()
    return version


@transaction.atomic
def starter_questionnaires_load() -> int:
    """Create or refresh the shared outcome measures and the starter programs' schedules.

    Idempotent: a changed definition becomes a new version, an unchanged one is left alone.
    The texts' translations (``translations/<code>.json``) are added to each definition
    FHIR's way (``outcomes.definition_translate``); a definition that gains translations is
    a new version, and responses to the older one keep reading it.
    """
    definitions = _starter("questionnaires.json")
    translations = starter_translations()
    by_code = {}
    for english in definitions:
        catalogues = {
            code: catalog.get("questionnaires", {}).get(english["name"], {})
            for code, catalog in translations.items()
        }
        definition = definition_translate(english, catalogues)
        titles = {f"title_{settings.LANGUAGE_CODE}": english["title"]}
        titles.update(
            {f"title_{code}": catalog.get(english["title"]) for code, catalog in catalogues.items()}
        )
        questionnaire, _ = Questionnaire.objects.update_or_create(
            clinic=None, code=english["name"], defaults=titles
        )
        questionnaire_version_save(questionnaire=questionnaire, definition=definition)
        by_code[questionnaire.code] = questionnaire
    keys = [data["key"] for data in _starter("programs.json")]
    for program in Program.objects.filter(clinic=None, key__in=keys):
        for code, times in STARTER_SCHEDULE:
            ProgramQuestionnaire.objects.get_or_create(
                program=program, questionnaire=by_code[code], defaults=times
            )
    return len(definitions)


def _free_name(model, clinic: Clinic, name: str, field: str = "name") -> str:
    """Return ``name``, or "name (copy)", "name (copy 2)"… whichever the clinic has not used."""
    taken = set(
        model.objects.filter(clinic=clinic, **{f"{field}__startswith": name}).values_list(
            field, flat=True
        )
    )
    if name not in taken:
        return name
    candidate, number = f"{name} (copy)", 2
    while candidate in taken:
        candidate, number = f"{name} (copy {number})", number + 1
    return candidate


def _copy_texts(model, clinic: Clinic, source) -> dict:
    """The texts of a copy in every language, each language's name free in the clinic."""
    texts = source.translations()
    for code in content_languages():
        if texts[f"name_{code}"]:
            texts[f"name_{code}"] = _free_name(model, clinic, texts[f"name_{code}"], f"name_{code}")
    return texts


def _free_key(clinic: Clinic, key: str) -> str:
    taken = set(
        Exercise.objects.filter(clinic=clinic, key__startswith=key).values_list("key", flat=True)
    )
    candidate, number = key, 2
    while candidate in taken:
        candidate, number = f"{key}-{number}"[:100], number + 1
    return candidate


@transaction.atomic
def exercise_copy_to_clinic(*, exercise: Exercise, clinic: Clinic) -> tuple[Exercise, bool]:
    """Copy a shared exercise into a clinic, which may then edit its copy.

    Return the copy and whether it was created: a clinic that already copied the exercise
    gets its existing copy back. Variation links are carried over where the clinic has a
    copy of the other exercise too, in both directions, so copying a progression one
    exercise at a time links it up. The pictures are copied too, as new files of the
    clinic's (deleting the copy's pictures must not touch the shared exercise's).
    """
    existing = Exercise.objects.filter(clinic=clinic, copied_from=exercise).first()
    if existing is not None:
        return existing, False
    copy = Exercise(
        clinic=clinic,
        copied_from=exercise,
        key=_free_key(clinic, exercise.key),
        video_provider=exercise.video_provider,
        video_id=exercise.video_id,
        **{
            name: getattr(exercise, name)
            for name in Exercise.VALUE_FIELDS
            if name not in Exercise.TRANSLATED_FIELDS
        },
        **_copy_texts(Exercise, clinic, exercise),
    )
    copy.save()
    copy.body_regions.set(exercise.body_regions.all())
    copy.equipment.set(exercise.equipment.all())
    _pictures_copy(source=exercise, copy=copy)

    copies = {
        source_id: copy_id
        for copy_id, source_id in Exercise.objects.filter(
            clinic=clinic, copied_from__isnull=False
        ).values_list("pk", "copied_from_id")
    }
    links = ExerciseVariation.objects.filter(Q(exercise=exercise) | Q(variation=exercise))
    new_links = []
    for link in links:
        if link.exercise_id == exercise.pk and link.variation_id in copies:
            new_links.append((copy.pk, copies[link.variation_id], link))
        elif link.variation_id == exercise.pk and link.exercise_id in copies:
            new_links.append((copies[link.exercise_id], copy.pk, link))
    ExerciseVariation.objects.bulk_create(
        [
            ExerciseVariation(
                exercise_id=source,
                variation_id=target,
                direction=link.direction,
                order=link.order,
                note=link.note,
            )
            for source, target, link in new_links
        ],
        ignore_conflicts=True,
    )
    return copy, True


@transaction.atomic
def program_copy(*, program: Program, clinic: Clinic, created_by=None) -> Program:
    """Copy a program with its items into a clinic (its own, or from the shared library).

    The items keep pointing at the same exercises: shared exercises may be used by every
    clinic as they are.
    """
    copy = Program.objects.create(
        clinic=clinic,
        scheme=program.scheme,
        created_by=created_by,
        **_copy_texts(Program, clinic, program),
    )
    ProgramItem.objects.bulk_create(
        ProgramItem(
            program=copy,
            exercise_id=item.exercise_id,
            order=item.order,
            note=item.note,
            **{name: getattr(item, name) for name in OVERRIDE_FIELDS},
        )
        for item in program.items.all()
    )
    return copy


def _pictures_copy(*, source: Exercise, copy: Exercise) -> None:
    for picture in source.pictures.all():
        try:
            with default_storage.open(picture.large.name, "rb") as large:
                large_bytes = large.read()
            with default_storage.open(picture.thumb.name, "rb") as thumb:
                thumb_bytes = thumb.read()
        except OSError:
            continue  # a picture whose file is gone shows nowhere: nothing to copy
        exercise_picture_add(
            exercise=copy,
            prepared=PreparedPicture(
                large=large_bytes, thumb=thumb_bytes, width=picture.width, height=picture.height
            ),
            alt_text=picture.alt_text,
            order=picture.order,
        )


def picture_files_store(*, clinic_id: int | None, prepared: PreparedPicture) -> tuple[str, str]:
    """Write a checked picture's two sizes under new, unguessable names; return the names."""
    folder = f"exercise-pictures/{clinic_id or 'shared'}"
    stem = uuid.uuid4().hex
    large = default_storage.save(f"{folder}/{stem}.{STORED_EXTENSION}", ContentFile(prepared.large))
    thumb = default_storage.save(
        f"{folder}/{stem}-thumb.{STORED_EXTENSION}", ContentFile(prepared.thumb)
    )
    return large, thumb


def exercise_picture_add(
    *, exercise: Exercise, prepared: PreparedPicture, alt_text: str, order: int = 0
) -> ExercisePicture:
    """Store a checked picture of an exercise; its files are removed if the row is not saved."""
    large, thumb = picture_files_store(clinic_id=exercise.clinic_id, prepared=prepared)
    try:
        with transaction.atomic():
            return ExercisePicture.objects.create(
                exercise=exercise,
                order=order,
                alt_text=alt_text,
                large=large,
                thumb=thumb,
                width=prepared.width,
                height=prepared.height,
            )
    except Exception:
        picture_files_delete([large, thumb])
        raise


def picture_files_delete(names: list[str]) -> None:
    for name in names:
        if name:
            default_storage.delete(name)
