"""Import and export a clinic's exercises as CSV or JSON.

The JSON format is the one of the starter library (``programs/starter/exercises.json``): a
list of objects whose lists stay lists. CSV has the same columns, with list cells written
as text: body regions and equipment as comma-separated codes, one step per line, and one
variation per line as ``direction:key`` or ``direction:key:note``. A CSV cell that a
spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) is written with a leading quote (``clinic.spreadsheets``); the import
takes that quote off again.

An import is all or nothing: every row is checked first, and a single bad row rejects the
whole file with one message per problem ("Row 3, reps: cannot be negative."). In CSV the
row numbers are the spreadsheet's (the header is row 1); in JSON they count the objects
from 1. Rows are matched to the clinic's exercises by key: a known key updates that
exercise, a new key creates one.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.text import slugify

from clinic.jsonlimits import json_nesting_exceeds
from clinic.spreadsheets import cell_from_spreadsheet, csv_writer

from .models import (
    MAX_HOLD_SECONDS,
    MAX_REPS,
    MAX_SETS,
    BodyRegion,
    Category,
    Equipment,
    Exercise,
    ExerciseVariation,
    Intensity,
    Side,
    StartingPosition,
    VariationDirection,
    content_languages,
)
from .video import InvalidVideoURL, Video, parse_video_url

# The texts in the other languages (``name_de``, ``steps_es``...), after the English ones in
# the plain columns. Optional: a file without them imports as before, and leaves the
# translations an exercise has alone; an empty cell removes one.
TRANSLATION_COLUMNS = [
    f"{name}_{code}" for code in content_languages()[1:] for name in Exercise.TRANSLATED_FIELDS
]
COLUMNS = [*Exercise.FIELDS, "variations", *TRANSLATION_COLUMNS]
REQUIRED_COLUMNS = ["name", "category", "starting_position", "steps", "sets", "reps"]
TEXT_FIELDS = ["summary", "cues", "cautions", "stop_rule", "source"]
CHOICES = {
    "category": Category,
    "starting_position": StartingPosition,
    "side": Side,
    "intensity": Intensity,
}
# field: (smallest allowed, largest allowed, required)
NUMBERS = {
    "sets": (1, MAX_SETS, True),
    "reps": (1, MAX_REPS, True),
    "hold_seconds": (0, MAX_HOLD_SECONDS, False),
    "hold_seconds_max": (0, MAX_HOLD_SECONDS, False),
    "rest_seconds": (0, MAX_HOLD_SECONDS, False),
    "contraction_seconds": (0, 60, False),
    "contraction_seconds_max": (0, 60, False),
}
FORMATS = ("csv", "json")
# An exercise is a list of objects holding lists of objects (variations): 4 levels.
MAX_JSON_DEPTH = 6
# The longest text a cell may hold (all the steps of an exercise are one CSV cell).
MAX_CELL_CHARS = 20_000


class ImportRejected(Exception):
    """The file was refused; ``errors`` lists every problem, one message each."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


@dataclass
class _Row:
    number: int
    values: dict
    regions: list[str]
    equipment: list[str]
    variations: list[tuple[str, str, str]]  # (direction, key, note)


# Reading ---------------------------------------------------------------------------------------


def file_size_check(size: int) -> None:
    """Refuse a file larger than ``FLEXION_IMPORT_MAX_BYTES`` (before reading it)."""
    limit = settings.FLEXION_IMPORT_MAX_BYTES
    if size > limit:
        raise ImportRejected(
            [
                f"The file is {size / 1_000_000:.1f} MB; an import takes at most "
                f"{limit / 1_000_000:.1f} MB. Split it into smaller files."
            ]
        )


def text_from_bytes(data: bytes) -> str:
    """Return the text of an uploaded file, refusing what no parser should see."""
    file_size_check(len(data))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected(["The file is not UTF-8 text."]) from None
    if "\x00" in text:
        raise ImportRejected(["The file holds a NUL character: it is not a CSV or JSON text."])
    return text


def _rows_limit_check(count: int) -> None:
    limit = settings.FLEXION_IMPORT_MAX_ROWS
    if count > limit:
        raise ImportRejected(
            [f"The file holds more than {limit:,} exercises. Split it into smaller files."]
        )


def _cell_check(value: str, prefix: str) -> None:
    if "\x00" in value:
        raise ImportRejected([f"{prefix}: a cell holds a NUL character."])
    if len(value) > MAX_CELL_CHARS:
        raise ImportRejected(
            [f"{prefix}: a cell holds {len(value):,} characters, more than {MAX_CELL_CHARS:,}."]
        )


def _json_depth_check(text: str) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH before the (recursive) parser sees it."""
    if json_nesting_exceeds(text, MAX_JSON_DEPTH):
        raise ImportRejected(
            [f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep: not an export."]
        )


def rows_from_csv(text: str) -> list[dict]:
    """Return the rows of a CSV file as dicts, with their spreadsheet row number as ``_row``.

    A missing required column rejects the file at once.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [name.strip() for name in reader.fieldnames or []]
        missing = [name for name in REQUIRED_COLUMNS if name not in header]
        if missing:
            raise ImportRejected([f"Row 1: missing column “{name}”." for name in missing])
        reader.fieldnames = header
        rows = []
        for number, raw in enumerate(reader, start=2):
            _rows_limit_check(number - 1)
            row = _row_from_csv(raw, number)
            if row is not None:
                rows.append(row)
    except csv.Error as error:
        if "field limit" in str(error):  # the csv module's own limit, far above ours
            too_long = f"a cell holds more than {MAX_CELL_CHARS:,} characters."
            raise ImportRejected([f"Line {reader.line_num + 1}: {too_long}"]) from None
        raise ImportRejected(
            [f"Line {reader.line_num}: this is not valid CSV ({error})."]
        ) from None
    return rows


def _row_from_csv(raw: dict, number: int) -> dict | None:
    """Return a CSV record as an import row (None for a blank line)."""
    cells = [value for value in raw.values() if isinstance(value, str)]
    for value in cells:
        _cell_check(value, f"Row {number}")
    if not any(value.strip() for value in cells):
        return None
    row = {
        name: cell_from_spreadsheet(value or "").strip()
        for name, value in raw.items()
        if name in COLUMNS
    }
    row["body_regions"] = _split(row.get("body_regions", ""), ",")
    row["equipment"] = _split(row.get("equipment", ""), ",")
    row["steps"] = _split(row.get("steps", ""), "\n")
    for column in TRANSLATION_COLUMNS:
        if column.startswith("steps_") and column in row:
            row[column] = _split(row[column], "\n")
    row["variations"] = [
        _variation_from_text(line) for line in _split(row.get("variations", ""), "\n")
    ]
    row["_row"] = number
    return row


def rows_from_json(text: str) -> list[dict]:
    """Return the objects of a JSON file (a list of exercises), numbered from 1 as ``_row``."""
    _json_depth_check(text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportRejected(
            [f"This is not valid JSON: {error.msg} (line {error.lineno})."]
        ) from None
    except ValueError as error:  # e.g. a number of more than 4,300 digits
        raise ImportRejected([f"This is not valid JSON: {error}."]) from None
    if not isinstance(data, list):
        raise ImportRejected(["The JSON file must hold a list of exercises."])
    _rows_limit_check(len(data))
    rows = []
    for number, raw in enumerate(data, start=1):
        if not isinstance(raw, dict):
            raise ImportRejected([f"Row {number}: each exercise must be a JSON object."])
        for value in _strings_in(raw):
            _cell_check(value, f"Row {number}")
        row = dict(raw)
        row["_row"] = number
        rows.append(row)
    return rows


def _strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list):
        return [text for item in value for text in _strings_in(item)]
    return []


def rows_from_bytes(data: bytes, file_format: str) -> list[dict]:
    """Return the rows of an uploaded file, after checking it against the import's limits."""
    return rows_from_file(text_from_bytes(data), file_format)


def rows_from_file(text: str, file_format: str) -> list[dict]:
    if file_format == "csv":
        return rows_from_csv(text)
    if file_format == "json":
        return rows_from_json(text)
    raise ImportRejected([f"Unknown format “{file_format}”: use CSV or JSON."])


def _split(text: str, separator: str) -> list[str]:
    return [part.strip() for part in text.split(separator) if part.strip()]


def _variation_from_text(line: str) -> dict:
    direction, _, rest = line.partition(":")
    key, _, note = rest.partition(":")
    return {"direction": direction.strip(), "key": key.strip(), "note": note.strip()}


# Checking --------------------------------------------------------------------------------------


def _check_number(row: dict, name: str, errors: list[str], prefix: str):
    low, high, required = NUMBERS[name]
    value = row.get(name)
    if value is None or value == "":
        if required:
            errors.append(f"{prefix}, {name}: missing.")
        return None
    if isinstance(value, bool):
        errors.append(f"{prefix}, {name}: must be a whole number.")
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.append(f"{prefix}, {name}: must be a whole number, not “{value}”.")
        return None
    if number < 0:
        errors.append(f"{prefix}, {name}: cannot be negative.")
    elif number < low:
        errors.append(f"{prefix}, {name}: must be at least {low}.")
    elif number > high:
        unit = " seconds" if name.endswith("_seconds") or name.endswith("_max") else ""
        minutes = " (10 minutes)" if high == MAX_HOLD_SECONDS else ""
        errors.append(f"{prefix}, {name}: must be at most {high}{unit}{minutes}.")
    else:
        return number
    return None


def _check_list(row: dict, name: str, errors: list[str], prefix: str) -> list:
    value = row.get(name, [])
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        errors.append(f"{prefix}, {name}: must be a list.")
        return []
    return value


def _check_codes(row, name, known: set[str], errors, prefix) -> list[str]:
    codes = [str(code).strip() for code in _check_list(row, name, errors, prefix)]
    unknown = [code for code in codes if code not in known]
    if unknown:
        errors.append(
            f"{prefix}, {name}: unknown code(s) {', '.join(unknown)} "
            f"(known: {', '.join(sorted(known))})."
        )
    return codes


def _check_row(row: dict, *, regions: set[str], equipment: set[str]) -> tuple[_Row, list[str]]:
    number = row["_row"]
    prefix = f"Row {number}"
    errors: list[str] = []
    values: dict = {}
    for name in REQUIRED_COLUMNS:
        if name not in row:
            errors.append(f"{prefix}, {name}: missing.")

    name = str(row.get("name") or "").strip()
    if "name" in row and not name:
        errors.append(f"{prefix}, name: missing.")
    values["name"] = name
    key = str(row.get("key") or "").strip() or slugify(name)[:100]
    if key != slugify(key):
        errors.append(f"{prefix}, key: use only lowercase letters, digits and hyphens.")
    values["key"] = key

    for choice_name, choices in CHOICES.items():
        value = str(row.get(choice_name) or "").strip()
        if not value and choice_name in ("side", "intensity"):
            value = choices.values[0]
        if choice_name in row or value:
            if value not in choices.values:
                errors.append(
                    f"{prefix}, {choice_name}: “{value}” is not one of {', '.join(choices.values)}."
                )
            values[choice_name] = value

    for number_name in NUMBERS:
        values[number_name] = _check_number(row, number_name, errors, prefix)
    if values["rest_seconds"] is None:
        values["rest_seconds"] = 0

    steps = [str(step).strip() for step in _check_list(row, "steps", errors, prefix)]
    values["steps"] = [step for step in steps if step]
    if "steps" in row and not values["steps"]:
        errors.append(f"{prefix}, steps: at least one step is needed.")
    for text_name in TEXT_FIELDS:
        values[text_name] = str(row.get(text_name) or "").strip()

    for column in TRANSLATION_COLUMNS:
        if column not in row:
            continue
        if column.startswith("steps_"):
            steps = [str(step).strip() for step in _check_list(row, column, errors, prefix)]
            values[column] = [step for step in steps if step] or None
        else:
            values[column] = str(row[column] or "").strip() or None

    values["video_provider"], values["video_id"] = "", ""
    url = str(row.get("video_url") or "").strip()
    if url:
        try:
            video = parse_video_url(url)
        except InvalidVideoURL as error:
            errors.append(f"{prefix}, video_url: {error}")
        else:
            values["video_provider"], values["video_id"] = video.provider.value, video.id

    region_codes = _check_codes(row, "body_regions", regions, errors, prefix)
    equipment_codes = _check_codes(row, "equipment", equipment, errors, prefix)

    variations = []
    for link in _check_list(row, "variations", errors, prefix):
        if not isinstance(link, dict):
            errors.append(f"{prefix}, variations: each variation needs a direction and a key.")
            continue
        direction = str(link.get("direction") or "").strip()
        target = str(link.get("key") or "").strip()
        if direction not in VariationDirection.values:
            errors.append(
                f"{prefix}, variations: the direction “{direction}” must be easier or harder."
            )
        elif not target:
            errors.append(f"{prefix}, variations: a variation without the key of an exercise.")
        elif target == key:
            errors.append(f"{prefix}, variations: an exercise cannot be its own variation.")
        else:
            variations.append((direction, target, str(link.get("note") or "").strip()))
    return _Row(number, values, region_codes, equipment_codes, variations), errors


def _model_errors(exercise: Exercise, prefix: str) -> list[str]:
    try:
        exercise.full_clean(
            exclude=["clinic", "copied_from"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        return [
            f"{prefix}, {name}: {message}"
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return []


@transaction.atomic
def exercises_import(*, clinic, rows: list[dict]) -> ImportResult:
    """Create or update the clinic's exercises from checked rows; write nothing on any error.

    The plain columns are the English texts, whatever language the importer works in.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return _exercises_import(clinic=clinic, rows=rows)


def _exercises_import(*, clinic, rows: list[dict]) -> ImportResult:
    errors: list[str] = []
    known_regions = set(BodyRegion.objects.values_list("code", flat=True))
    known_equipment = set(Equipment.objects.values_list("code", flat=True))
    existing = {exercise.key: exercise for exercise in Exercise.objects.filter(clinic=clinic)}
    names_in_clinic = {exercise.name.casefold(): exercise.key for exercise in existing.values()}

    checked: list[_Row] = []
    seen_names: dict[str, int] = {}
    seen_keys: dict[str, int] = {}
    for row in rows:
        result, row_errors = _check_row(row, regions=known_regions, equipment=known_equipment)
        prefix = f"Row {result.number}"
        name, key = result.values["name"], result.values["key"]
        folded = name.casefold()
        if name and folded in seen_names:
            row_errors.append(
                f"{prefix}, name: “{name}” is already used in this file (row {seen_names[folded]})."
            )
        elif name and names_in_clinic.get(folded, key) != key:
            row_errors.append(f"{prefix}, name: your clinic already has an exercise “{name}”.")
        if key and key in seen_keys:
            row_errors.append(
                f"{prefix}, key: “{key}” is already used in this file (row {seen_keys[key]})."
            )
        seen_names.setdefault(folded, result.number)
        seen_keys.setdefault(key, result.number)
        if not row_errors:
            exercise = existing.get(key) or Exercise(clinic=clinic)
            for attribute, value in result.values.items():
                setattr(exercise, attribute, value)
            row_errors += _model_errors(exercise, prefix)
        errors += row_errors
        checked.append(result)

    all_keys = set(existing) | set(seen_keys)
    for result in checked:
        for _direction, target, _note in result.variations:
            if target not in all_keys:
                errors.append(
                    f"Row {result.number}, variations: no exercise with the key “{target}” "
                    "in this file or in your clinic."
                )
    if not rows:
        errors.append("The file holds no exercises.")
    if errors:
        raise ImportRejected(errors)

    outcome = ImportResult()
    by_key = dict(existing)
    regions = {region.code: region for region in BodyRegion.objects.all()}
    equipment = {item.code: item for item in Equipment.objects.all()}
    for result in checked:
        exercise = existing.get(result.values["key"]) or Exercise(clinic=clinic)
        (outcome.updated if exercise.pk else outcome.created).append(result.values["name"])
        for attribute, value in result.values.items():
            setattr(exercise, attribute, value)
        exercise.save()
        exercise.body_regions.set([regions[code] for code in result.regions])
        exercise.equipment.set([equipment[code] for code in result.equipment])
        by_key[exercise.key] = exercise
    for result in checked:
        exercise = by_key[result.values["key"]]
        exercise.variations.all().delete()
        ExerciseVariation.objects.bulk_create(
            ExerciseVariation(
                exercise=exercise,
                variation=by_key[target],
                direction=direction,
                order=order,
                note=note,
            )
            for order, (direction, target, note) in enumerate(result.variations)
        )
    return outcome


# Writing ---------------------------------------------------------------------------------------


def exercise_records(exercises) -> list[dict]:
    """Return the exercises as JSON-ready dicts in the import format (English in the plain
    columns, else the language the exercise has)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _exercise_records(exercises)


def _exercise_records(exercises) -> list[dict]:
    exercises = exercises.prefetch_related(
        "body_regions", "equipment", "variations__variation"
    ).order_by("name")
    records = []
    for exercise in exercises:
        video = exercise.video
        written = {
            "body_regions": [region.code for region in exercise.body_regions.all()],
            "equipment": [item.code for item in exercise.equipment.all()],
            "steps": list(exercise.steps),
            "video_url": Video.watch_url(video) if video else "",
        }
        records.append(
            {
                **{
                    name: written[name] if name in written else getattr(exercise, name)
                    for name in Exercise.FIELDS
                },
                "variations": [
                    {"key": link.variation.key, "direction": link.direction, "note": link.note}
                    for link in exercise.variations.all()
                ],
                **{column: getattr(exercise, column) for column in TRANSLATION_COLUMNS},
            }
        )
    return records


def exercises_to_json(exercises) -> str:
    return json.dumps(exercise_records(exercises), indent=2, ensure_ascii=False) + "\n"


def exercises_to_csv(exercises) -> str:
    output = io.StringIO()
    writer = csv_writer(output)
    writer.writerow(COLUMNS)
    for record in exercise_records(exercises):
        record["body_regions"] = ", ".join(record["body_regions"])
        record["equipment"] = ", ".join(record["equipment"])
        record["steps"] = "\n".join(record["steps"])
        for column in TRANSLATION_COLUMNS:
            if column.startswith("steps_"):
                record[column] = "\n".join(record[column] or [])
        record["variations"] = "\n".join(
            ":".join(filter(None, [link["direction"], link["key"], link["note"]]))
            for link in record["variations"]
        )
        writer.writerow(["" if record[name] is None else record[name] for name in COLUMNS])
    return output.getvalue()


def exercises_export(exercises, file_format: str) -> str:
    if file_format == "csv":
        return exercises_to_csv(exercises)
    if file_format == "json":
        return exercises_to_json(exercises)
    raise ValueError(f"Unknown format: {file_format}")
