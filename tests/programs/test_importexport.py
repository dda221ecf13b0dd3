import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from programs.importexport import (
    TRANSLATION_COLUMNS,
    ImportRejected,
    exercises_import,
    exercises_to_csv,
    exercises_to_json,
    rows_from_csv,
    rows_from_json,
)
from programs.models import Exercise
from tests.factories import ExerciseFactory

pytestmark = pytest.mark.django_db


def good_row(**changes):
    row = {
        "key": "wall-calf-stretch",
        "name": "Wall calf stretch",
        "category": "stretch",
        "body_regions": ["ankle"],
        "starting_position": "standing",
        "equipment": ["wall"],
        "summary": "Stretch the calf against a wall.",
        "steps": ["Stand facing a wall.", "Step one foot back.", "Lean in."],
        "cues": "A pull in the calf.",
        "cautions": "",
        "stop_rule": "Stop if the heel hurts.",
        "sets": 2,
        "reps": 3,
        "hold_seconds": 30,
        "hold_seconds_max": None,
        "rest_seconds": 10,
        "contraction_seconds": None,
        "contraction_seconds_max": None,
        "side": "per_side",
        "intensity": "light",
        "video_url": "https://youtu.be/dQw4w9WgXcQ",
        "source": "Clinic handout",
        "variations": [],
    }
    row.update(changes)
    return row


def as_json(*rows):
    return rows_from_json(json.dumps(list(rows)))


def test_a_good_json_file_creates_the_exercises_with_regions_equipment_and_video(clinic_a):
    easier = good_row(
        key="wall-calf-stretch-easy",
        name="Easy calf stretch",
        variations=[{"key": "wall-calf-stretch", "direction": "harder", "note": "Next"}],
    )
    result = exercises_import(clinic=clinic_a, rows=as_json(good_row(), easier))
    assert sorted(result.created) == ["Easy calf stretch", "Wall calf stretch"]
    exercise = Exercise.objects.get(clinic=clinic_a, key="wall-calf-stretch")
    assert [r.code for r in exercise.body_regions.all()] == ["ankle"]
    assert [e.code for e in exercise.equipment.all()] == ["wall"]
    assert (exercise.video_provider, exercise.video_id) == ("youtube", "dQw4w9WgXcQ")
    link = Exercise.objects.get(key="wall-calf-stretch-easy").variations.get()
    assert (link.variation, link.direction, link.note) == (exercise, "harder", "Next")


def test_importing_a_known_key_again_updates_the_exercise(clinic_a):
    exercises_import(clinic=clinic_a, rows=as_json(good_row()))
    result = exercises_import(clinic=clinic_a, rows=as_json(good_row(reps=8)))
    assert result.updated == ["Wall calf stretch"]
    assert Exercise.objects.get(clinic=clinic_a).reps == 8


def test_an_export_imports_into_another_clinic_unchanged(clinic_a, clinic_b, starter_library):
    exercises = Exercise.objects.filter(clinic__isnull=True)
    for text, reader in (
        (exercises_to_json(exercises), rows_from_json),
        (exercises_to_csv(exercises), rows_from_csv),
    ):
        Exercise.objects.filter(clinic=clinic_b).delete()
        exercises_import(clinic=clinic_b, rows=reader(text))
        copies = Exercise.objects.filter(clinic=clinic_b)
        assert exercises_to_json(copies) == exercises_to_json(exercises)


def test_the_csv_export_has_one_step_per_line_and_variations_as_direction_key_note(
    starter_library,
):
    exercise = Exercise.objects.filter(key="gentle-hip-flexion-knee-out")
    (row,) = csv.DictReader(io.StringIO(exercises_to_csv(exercise)))
    assert row["steps"].count("\n") == len(exercise.get().steps) - 1
    assert row["variations"].startswith("harder:gentle-hip-flexion:")
    assert set(row["body_regions"].split(", ")) == {"hip", "glutes"}


BAD_ROWS = [
    ({"reps": -3}, "Row 1, reps: cannot be negative."),
    ({"reps": "three"}, "Row 1, reps: must be a whole number, not “three”."),
    ({"sets": 0}, "Row 1, sets: must be at least 1."),
    ({"hold_seconds": 601}, "Row 1, hold_seconds: must be at most 600 seconds (10 minutes)."),
    (
        {"video_url": "https://example.com/watch?v=dQw4w9WgXcQ"},
        "Row 1, video_url: Only YouTube and Vimeo links are accepted.",
    ),
    (
        {"variations": [{"key": "wall-calf-stretch", "direction": "easier"}]},
        "Row 1, variations: an exercise cannot be its own variation.",
    ),
    (
        {"variations": [{"key": "nowhere", "direction": "easier"}]},
        "Row 1, variations: no exercise with the key “nowhere” in this file or in your clinic.",
    ),
    ({"body_regions": ["knee"]}, "Row 1, body_regions: unknown code(s) knee"),
    ({"equipment": ["rope"]}, "Row 1, equipment: unknown code(s) rope"),
    ({"category": "yoga"}, "Row 1, category: “yoga” is not one of stretch"),
    ({"steps": []}, "Row 1, steps: at least one step is needed."),
    ({"name": ""}, "Row 1, name: missing."),
    (
        {"hold_seconds": 20, "hold_seconds_max": 10},
        "Row 1, hold_seconds_max: The upper value needs a lower value below it.",
    ),
]


@pytest.mark.parametrize(("changes", "message"), BAD_ROWS, ids=[m for _, m in BAD_ROWS])
def test_a_bad_row_rejects_the_whole_file_with_its_message(clinic_a, changes, message):
    other = good_row(key="other", name="Other exercise")
    with pytest.raises(ImportRejected) as rejected:
        exercises_import(clinic=clinic_a, rows=as_json(good_row(**changes), other))
    assert any(error.startswith(message) for error in rejected.value.errors), rejected.value.errors
    assert not Exercise.objects.filter(clinic=clinic_a).exists()


def test_a_missing_json_field_is_reported_with_its_row(clinic_a):
    row = good_row()
    del row["reps"]
    with pytest.raises(ImportRejected) as rejected:
        exercises_import(clinic=clinic_a, rows=as_json(good_row(key="a", name="A"), row))
    assert "Row 2, reps: missing." in rejected.value.errors
    assert not Exercise.objects.exists()


def test_a_missing_csv_column_rejects_the_file():
    text = "name,category,starting_position,steps,sets\nA,stretch,standing,Do it,1\n"
    with pytest.raises(ImportRejected) as rejected:
        rows_from_csv(text)
    assert rejected.value.errors == ["Row 1: missing column “reps”."]


def test_csv_rows_are_numbered_like_the_spreadsheet(clinic_a):
    text = (
        "name,category,starting_position,steps,sets,reps\n"
        "Good one,stretch,standing,Do it,1,2\n"
        "Bad one,stretch,standing,Do it,1,-2\n"
    )
    with pytest.raises(ImportRejected) as rejected:
        exercises_import(clinic=clinic_a, rows=rows_from_csv(text))
    assert rejected.value.errors == ["Row 3, reps: cannot be negative."]
    assert not Exercise.objects.exists()


def test_a_name_used_twice_in_the_file_is_refused(clinic_a):
    with pytest.raises(ImportRejected) as rejected:
        exercises_import(
            clinic=clinic_a,
            rows=as_json(good_row(), good_row(key="again", name="wall CALF stretch")),
        )
    assert rejected.value.errors == [
        "Row 2, name: “wall CALF stretch” is already used in this file (row 1)."
    ]


def test_a_name_the_clinic_already_uses_is_refused(clinic_a):
    ExerciseFactory(clinic=clinic_a, key="calf", name="Wall calf stretch")
    with pytest.raises(ImportRejected) as rejected:
        exercises_import(clinic=clinic_a, rows=as_json(good_row()))
    assert rejected.value.errors == [
        "Row 1, name: your clinic already has an exercise “Wall calf stretch”."
    ]
    assert Exercise.objects.get(clinic=clinic_a).key == "calf"


def test_another_clinics_names_do_not_count_as_duplicates(clinic_a, clinic_b):
    ExerciseFactory(clinic=clinic_b, key="calf", name="Wall calf stretch")
    exercises_import(clinic=clinic_a, rows=as_json(good_row()))
    assert Exercise.objects.filter(name="Wall calf stretch").count() == 2


def test_the_commands_export_and_import_a_clinics_own_exercises(
    clinic_a, clinic_b, starter_library, tmp_path, capsys
):
    exercises_import(clinic=clinic_a, rows=as_json(good_row()))
    call_command("export_exercises", "--clinic", "clinic-a", "--format", "csv")
    exported = capsys.readouterr().out
    assert "Wall calf stretch" in exported
    assert "Knee drops" not in exported  # the shared library is not the clinic's own
    path = tmp_path / "calf.csv"
    path.write_text(exported, encoding="utf-8")
    call_command("import_exercises", "--clinic", "clinic-b", str(path))
    assert Exercise.objects.get(clinic=clinic_b).name == "Wall calf stretch"


def test_the_import_command_lists_every_problem_and_writes_nothing(clinic_a, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([good_row(reps=-1, hold_seconds=900)]), encoding="utf-8")
    with pytest.raises(CommandError) as failed:
        call_command("import_exercises", "--clinic", "clinic-a", str(path))
    assert "Row 1, reps: cannot be negative." in str(failed.value)
    assert "Row 1, hold_seconds: must be at most 600 seconds" in str(failed.value)
    assert not Exercise.objects.exists()


def test_the_export_has_each_language_in_its_own_columns(clinic_a, starter_library):
    exercises = Exercise.objects.filter(clinic__isnull=True, key="knee-drops")
    [record] = json.loads(exercises_to_json(exercises))
    assert (record["name"], record["name_de"], record["name_es"]) == (
        "Knee drops",
        "Knie fallen lassen",
        "Caída de rodillas",
    )
    header = next(csv.reader(io.StringIO(exercises_to_csv(exercises))))
    assert header[-len(TRANSLATION_COLUMNS) :] == TRANSLATION_COLUMNS
    assert "steps_de" in header and "stop_rule_es" in header


def test_a_csv_with_german_columns_imports_them_and_english_stays_in_the_plain_ones(clinic_a):
    exercises_import(clinic=clinic_a, rows=as_json(good_row()))
    text = exercises_to_csv(Exercise.objects.filter(clinic=clinic_a))
    rows = rows_from_csv(text)
    rows[0]["name_de"] = "Wadendehnung an der Wand"
    rows[0]["steps_de"] = ["Stellen Sie sich vor eine Wand.", "Lehnen Sie sich an."]
    with translation.override("de"):  # a German therapist imports
        exercises_import(clinic=clinic_a, rows=rows)
    exercise = Exercise.objects.get(clinic=clinic_a)
    assert (exercise.name_en, exercise.name_de, exercise.steps_de[1]) == (
        "Wall calf stretch",
        "Wadendehnung an der Wand",
        "Lehnen Sie sich an.",
    )
    assert exercise.missing_translations == ["de", "es"]  # summary, cues... not yet German


def test_a_file_in_the_old_format_keeps_the_translations_an_exercise_has(clinic_a):
    exercises_import(clinic=clinic_a, rows=as_json(good_row()))
    Exercise.objects.filter(clinic=clinic_a).update(name_es="Estiramiento de gemelo")
    exercises_import(clinic=clinic_a, rows=as_json(good_row(reps=6)))  # no *_es columns
    exercise = Exercise.objects.get(clinic=clinic_a)
    assert (exercise.reps, exercise.name_es) == (6, "Estiramiento de gemelo")


def test_a_translated_step_list_that_is_not_a_list_is_refused(clinic_a):
    with pytest.raises(ImportRejected) as refused:
        exercises_import(clinic=clinic_a, rows=as_json(good_row(steps_de="Stehen.")))
    assert refused.value.errors == ["Row 1, steps_de: must be a list."]
    assert not Exercise.objects.filter(clinic=clinic_a).exists()
