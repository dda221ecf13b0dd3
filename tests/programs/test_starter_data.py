"""The starter exercise library and default programs (programs/starter/*.json) as plain data.

No Django: these checks guard the data files themselves, before any loader touches them.
"""

import json
from itertools import pairwise
from pathlib import Path

import pytest

from programs.video import VideoProvider, parse_video_url

STARTER = Path(__file__).resolve().parents[2] / "programs" / "starter"

CATEGORIES = {"stretch", "mobility", "strengthening", "contract_relax"}
BODY_REGIONS = {
    "hip",
    "hip_flexors",
    "glutes",
    "hamstrings",
    "quadriceps",
    "lower_back",
    "spine",
    "ankle",
    "hip_rotators",
    "psoas",
    "piriformis",
}
STARTING_POSITIONS = {
    "lying_on_back",
    "lying_on_front",
    "side_lying",
    "kneeling",
    "half_kneeling",
    "sitting",
    "chair",
    "standing",
}
EQUIPMENT = {"strap", "belt", "towel", "chair", "mat", "wall"}
SIDES = {"none", "per_side", "each_way"}
INTENSITIES = {"light", "moderate", "hard"}
DIRECTIONS = {"easier", "harder"}

DOSAGE_FIELDS = {
    "sets",
    "reps",
    "hold_seconds",
    "hold_seconds_max",
    "rest_seconds",
    "contraction_seconds",
    "contraction_seconds_max",
    "side",
    "intensity",
}
TEXT_FIELDS = {"key", "name", "summary", "cues", "cautions", "stop_rule", "source", "video_url"}
EXERCISE_FIELDS = {
    *TEXT_FIELDS,
    *DOSAGE_FIELDS,
    "category",
    "body_regions",
    "starting_position",
    "equipment",
    "steps",
    "variations",
}
REQUIRED_TEXT = TEXT_FIELDS - {"video_url"}
INT_FIELDS = {"sets", "reps", "rest_seconds"}
OPTIONAL_INT_FIELDS = {
    "hold_seconds",
    "hold_seconds_max",
    "contraction_seconds",
    "contraction_seconds_max",
}
MAX_HOLD_SECONDS = 600

# Seed 002, in the order of the note: (video id, category).
SEED_002_VIDEOS = [
    ("sTre4xSTuto", "mobility"),  # "Stop stretching your hip flexors!" (education, untitled)
    ("KCADorwJ6Ik", "mobility"),
    ("S4q2KfF7z1E", "mobility"),
    ("OQr-yE86AHk", "stretch"),
    ("ZEqRoCJ6UAY", "stretch"),
    ("-2vO8QfdLFg", "stretch"),
    ("9zvEWGKt3xw", "stretch"),
    ("SoFxooQZVlQ", "stretch"),
    ("6aOs23v4hNs", "stretch"),
    ("FaQiDy9ci04", "stretch"),
    ("VHfaGtkJz2o", "mobility"),
    ("888Fod2Fcmo", "mobility"),
    ("IikP_teeLkI", "mobility"),
]

SEED_001_DOSAGE = {
    "ninety-ninety-hip-flexor-stretch": {
        "sets": 1,
        "reps": 2,
        "hold_seconds": 20,
        "hold_seconds_max": None,
        "side": "per_side",
        "intensity": "light",
    },
    "ninety-ninety-hip-flexor-stretch-side-bend": {
        "sets": 1,
        "reps": 2,
        "hold_seconds": 20,
        "hold_seconds_max": None,
        "side": "per_side",
        "intensity": "light",
    },
    "knee-drops": {
        "sets": 1,
        "reps": 5,
        "hold_seconds": 2,
        "hold_seconds_max": 3,
        "side": "each_way",
        "intensity": "light",
    },
}

LEG_POSITION_PROGRESSION = [
    "gentle-hip-flexion-knee-out",
    "gentle-hip-flexion",
    "gentle-hip-flexion-past-midline",
]
CONTRACT_RELAX_VARIANTS = ["gentle-hip-flexion-push-back", "gentle-hip-flexion-pull-in"]


def load(name):
    return json.loads((STARTER / name).read_text(encoding="utf-8"))


EXERCISES = load("exercises.json")
PROGRAMS = load("programs.json")
BY_KEY = {exercise["key"]: exercise for exercise in EXERCISES}


def exercise_ids(exercises):
    return [exercise["key"] for exercise in exercises]


def effective_dosage(item):
    exercise = BY_KEY[item["exercise"]]
    return {field: item.get(field, exercise[field]) for field in DOSAGE_FIELDS}


# Files ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["exercises.json", "programs.json"])
def test_the_files_are_pretty_printed_utf8_json(name):
    text = (STARTER / name).read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


# Exercises ------------------------------------------------------------------------------------


def test_every_exercise_key_is_unique():
    keys = exercise_ids(EXERCISES)
    assert len(keys) == len(set(keys))


def test_every_exercise_name_is_unique():
    names = [exercise["name"] for exercise in EXERCISES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("exercise", EXERCISES, ids=exercise_ids(EXERCISES))
def test_every_exercise_has_exactly_the_expected_fields(exercise):
    assert set(exercise) == EXERCISE_FIELDS


@pytest.mark.parametrize("exercise", EXERCISES, ids=exercise_ids(EXERCISES))
def test_every_exercise_key_is_a_lowercase_slug(exercise):
    key = exercise["key"]
    assert key == key.strip("-")
    assert all(ch.isascii() and (ch.islower() or ch.isdigit() or ch == "-") for ch in key)
    assert "--" not in key


@pytest.mark.parametrize("exercise", EXERCISES, ids=exercise_ids(EXERCISES))
def test_every_exercise_has_its_texts_filled_in(exercise):
    for field in REQUIRED_TEXT:
        assert isinstance(exercise[field], str), field
        assert exercise[field].strip(), field
    assert isinstance(exercise["video_url"], str)
    assert exercise["steps"], "at least one step"
    assert all(isinstance(step, str) and step.strip() for step in exercise["steps"])


@pytest.mark.parametrize("exercise", EXERCISES, ids=exercise_ids(EXERCISES))
def test_every_exercise_uses_only_known_codes(exercise):
    assert exercise["category"] in CATEGORIES
    assert exercise["starting_position"] in STARTING_POSITIONS
    assert exercise["body_regions"], "at least one body region"
    assert set(exercise["body_regions"]) <= BODY_REGIONS
    assert set(exercise["equipment"]) <= EQUIPMENT
    assert len(exercise["body_regions"]) == len(set(exercise["body_regions"]))
    assert len(exercise["equipment"]) == len(set(exercise["equipment"]))
    assert exercise["side"] in SIDES
    assert exercise["intensity"] in INTENSITIES


@pytest.mark.parametrize("exercise", EXERCISES, ids=exercise_ids(EXERCISES))
def test_every_dosage_is_made_of_sensible_whole_numbers(exercise):
    for field in INT_FIELDS:
        value = exercise[field]
        assert type(value) is int, field
        assert value >= 0, field
    assert exercise["sets"] >= 1
    assert exercise["reps"] >= 1
    for field in OPTIONAL_INT_FIELDS:
        value = exercise[field]
        assert value is None or (type(value) is int and value > 0), field
    for low, high in [
        ("hold_seconds", "hold_seconds_max"),
        ("contraction_seconds", "contraction_seconds_max"),
    ]:
        if exercise[high] is not None:
            assert exercise[low] is not None, f"{high} without {low}"
            assert exercise[high] > exercise[low], f"{high} must be above {low}"
        if exercise[low] is not None:
            assert exercise[low] <= MAX_HOLD_SECONDS
            assert (exercise[high] or 0) <= MAX_HOLD_SECONDS


@pytest.mark.parametrize("exercise", EXERCISES, ids=exercise_ids(EXERCISES))
def test_every_variation_points_at_another_existing_exercise(exercise):
    targets = [variation["key"] for variation in exercise["variations"]]
    assert exercise["key"] not in targets
    assert len(targets) == len(set(targets))
    for variation in exercise["variations"]:
        assert set(variation) == {"key", "direction", "note"}
        assert variation["key"] in BY_KEY
        assert variation["direction"] in DIRECTIONS
        assert variation["note"].strip()


@pytest.mark.parametrize("exercise", EXERCISES, ids=exercise_ids(EXERCISES))
def test_every_variation_is_mirrored_in_the_other_direction(exercise):
    opposite = {"easier": "harder", "harder": "easier"}
    for variation in exercise["variations"]:
        back_links = {
            (link["key"], link["direction"]) for link in BY_KEY[variation["key"]]["variations"]
        }
        assert (exercise["key"], opposite[variation["direction"]]) in back_links


@pytest.mark.parametrize("exercise", EXERCISES, ids=exercise_ids(EXERCISES))
def test_every_video_url_is_empty_or_parses(exercise):
    if exercise["video_url"]:
        parse_video_url(exercise["video_url"])


@pytest.mark.parametrize("exercise", EXERCISES, ids=exercise_ids(EXERCISES))
def test_no_exercise_advertises_or_links_anywhere(exercise):
    for field in REQUIRED_TEXT | {"steps"}:
        text = json.dumps(exercise[field]).lower()
        for word in ("http", "www.", "patreon", "healthy hips", "money-back"):
            assert word not in text, (field, word)


# Seed 000: gentle hip flexion -----------------------------------------------------------------


def test_gentle_hip_flexion_is_a_knee_to_chest_stretch_lying_on_the_back_with_props():
    exercise = BY_KEY["gentle-hip-flexion"]
    assert exercise["starting_position"] == "lying_on_back"
    assert {"strap", "belt", "towel"} <= set(exercise["equipment"])
    assert "front of the hip" in exercise["stop_rule"]
    assert "pelvis" in exercise["cautions"]


@pytest.mark.parametrize("key", CONTRACT_RELAX_VARIANTS)
def test_the_contract_relax_variants_contract_for_3_to_5_seconds(key):
    exercise = BY_KEY[key]
    assert exercise["category"] == "contract_relax"
    assert exercise["contraction_seconds"] == 3
    assert exercise["contraction_seconds_max"] == 5
    assert exercise["side"] == "per_side"


def test_the_contract_relax_variants_work_the_right_muscles():
    assert {"glutes", "hamstrings"} <= set(BY_KEY["gentle-hip-flexion-push-back"]["body_regions"])
    assert "hip_flexors" in BY_KEY["gentle-hip-flexion-pull-in"]["body_regions"]


def links(key):
    return [(link["key"], link["direction"]) for link in BY_KEY[key]["variations"]]


def test_the_leg_position_progression_is_linked_in_order():
    for easier, harder in pairwise(LEG_POSITION_PROGRESSION):
        assert (harder, "harder") in links(easier)
        assert (easier, "easier") in links(harder)


def test_the_easiest_leg_position_has_no_easier_variation_and_the_hardest_no_harder_one():
    first, last = LEG_POSITION_PROGRESSION[0], LEG_POSITION_PROGRESSION[-1]
    assert all(link["direction"] == "harder" for link in BY_KEY[first]["variations"])
    assert all(link["direction"] == "easier" for link in BY_KEY[last]["variations"])


# Seed 001: hip flexor stretches for back pain -------------------------------------------------


@pytest.mark.parametrize(("key", "dosage"), SEED_001_DOSAGE.items())
def test_the_seed_001_exercises_have_exactly_the_seed_dosage(key, dosage):
    exercise = BY_KEY[key]
    assert {field: exercise[field] for field in dosage} == dosage


# Seed 002: videos -----------------------------------------------------------------------------


def video_exercises():
    return [exercise for exercise in EXERCISES if exercise["video_url"]]


def test_there_is_one_entry_per_seed_002_video_in_the_order_of_the_note():
    ids = [parse_video_url(exercise["video_url"]).id for exercise in video_exercises()]
    assert ids == [video_id for video_id, _ in SEED_002_VIDEOS]


@pytest.mark.parametrize(("video_id", "category"), SEED_002_VIDEOS)
def test_every_seed_002_video_has_its_category_and_a_youtube_watch_url(video_id, category):
    (exercise,) = [e for e in video_exercises() if parse_video_url(e["video_url"]).id == video_id]
    assert exercise["category"] == category
    assert exercise["video_url"] == f"https://www.youtube.com/watch?v={video_id}"
    assert parse_video_url(exercise["video_url"]).provider is VideoProvider.YOUTUBE
    assert "Stretches for hip pain" in exercise["source"]


@pytest.mark.parametrize("exercise", video_exercises(), ids=exercise_ids(video_exercises()))
def test_every_video_entry_is_done_once_as_a_follow_along(exercise):
    assert exercise["sets"] == 1
    assert exercise["reps"] == 1
    assert exercise["hold_seconds"] is None
    assert exercise["side"] == "none"
    assert exercise["intensity"] == "light"


def test_the_three_untitled_videos_are_named_as_education():
    names = [exercise["name"] for exercise in video_exercises()[:3]]
    assert names == [
        f"Why stretching hip flexors alone is not enough (video {n} of 3)" for n in (1, 2, 3)
    ]


# Programs -------------------------------------------------------------------------------------


def program(key):
    (found,) = [p for p in PROGRAMS if p["key"] == key]
    return found


def test_both_default_programs_are_present():
    assert {p["name"] for p in PROGRAMS} == {
        "Gentle hip flexion",
        "Hip flexor stretches for back pain",
    }
    assert len({p["key"] for p in PROGRAMS}) == len(PROGRAMS)


@pytest.mark.parametrize("prog", PROGRAMS, ids=[p["key"] for p in PROGRAMS])
def test_every_program_has_a_goal_education_and_items(prog):
    assert set(prog) == {"key", "name", "goal", "education", "items"}
    assert prog["goal"].strip()
    paragraphs = [p for p in prog["education"].split("\n\n") if p.strip()]
    assert len(paragraphs) >= 2
    assert prog["items"]
    for word in ("http", "www.", "patreon", "healthy hips", "money-back"):
        assert word not in prog["education"].lower()


@pytest.mark.parametrize("prog", PROGRAMS, ids=[p["key"] for p in PROGRAMS])
def test_every_program_item_references_an_existing_exercise_with_valid_overrides(prog):
    for item in prog["items"]:
        assert item["exercise"] in BY_KEY
        assert item["note"].strip()
        assert set(item) <= {"exercise", "note", *DOSAGE_FIELDS}
        dosage = effective_dosage(item)
        assert dosage["side"] in SIDES
        assert dosage["intensity"] in INTENSITIES
        for field in INT_FIELDS:
            assert type(dosage[field]) is int
            assert dosage[field] >= 0
        for field in OPTIONAL_INT_FIELDS:
            value = dosage[field]
            assert value is None or (type(value) is int and 0 < value <= MAX_HOLD_SECONDS)


def test_the_gentle_hip_flexion_program_has_the_stretch_and_its_contract_relax_variants():
    prog = program("gentle-hip-flexion")
    assert [item["exercise"] for item in prog["items"]] == [
        "gentle-hip-flexion",
        *CONTRACT_RELAX_VARIANTS,
    ]
    education = prog["education"].lower()
    assert "2 sessions in the first week" in education
    assert "sketchy or painful the next day" in education


def test_the_back_pain_program_has_the_seed_001_exercises_in_order_with_their_dosage():
    prog = program("hip-flexor-stretches-for-back-pain")
    assert [item["exercise"] for item in prog["items"]] == list(SEED_001_DOSAGE)
    for item in prog["items"]:
        dosage = effective_dosage(item)
        expected = SEED_001_DOSAGE[item["exercise"]]
        assert {field: dosage[field] for field in expected} == expected
