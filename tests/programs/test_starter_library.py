import pytest
from django.core.management import call_command

from programs.models import Exercise, ExerciseVariation, Program, ProgressionScheme

pytestmark = pytest.mark.django_db


def test_load_starter_library_is_idempotent(capsys):
    call_command("load_starter_library")
    counts = (Exercise.objects.count(), ExerciseVariation.objects.count(), Program.objects.count())
    call_command("load_starter_library")
    assert counts == (
        Exercise.objects.count(),
        ExerciseVariation.objects.count(),
        Program.objects.count(),
    )
    assert counts[0] == 21
    assert counts[2] == 2
    assert "21 exercises, 2 programs" in capsys.readouterr().out


def test_the_starter_library_is_shared(starter_library):
    assert not Exercise.objects.filter(clinic__isnull=False).exists()
    assert not Program.objects.filter(clinic__isnull=False).exists()


def test_the_ninety_ninety_stretch_has_its_seed_dosage(starter_library):
    exercise = Exercise.objects.get(key="ninety-ninety-hip-flexor-stretch")
    assert exercise.dosage() == {
        "sets": 1,
        "reps": 2,
        "hold_seconds": 20,
        "hold_seconds_max": None,
        "rest_seconds": exercise.rest_seconds,
        "contraction_seconds": None,
        "contraction_seconds_max": None,
        "side": "per_side",
        "intensity": "light",
    }


def test_knee_drops_hold_two_to_three_seconds_each_way(starter_library):
    exercise = Exercise.objects.get(key="knee-drops")
    assert (exercise.sets, exercise.reps) == (1, 5)
    assert (exercise.hold_seconds, exercise.hold_seconds_max) == (2, 3)
    assert exercise.side == "each_way"


def test_gentle_hip_flexion_links_its_progression_and_contractions(starter_library):
    exercise = Exercise.objects.get(key="gentle-hip-flexion")
    links = {(v.variation.key, v.direction) for v in exercise.variations.all()}
    assert ("gentle-hip-flexion-knee-out", "easier") in links
    assert ("gentle-hip-flexion-past-midline", "harder") in links
    push = Exercise.objects.get(key="gentle-hip-flexion-push-back")
    assert (push.contraction_seconds, push.contraction_seconds_max) == (3, 5)


def test_seed_002_videos_are_stored_as_youtube_ids(starter_library):
    videos = Exercise.objects.exclude(video_id="")
    assert videos.count() == 13
    assert {exercise.video_provider for exercise in videos} == {"youtube"}
    assert Exercise.objects.get(video_id="sTre4xSTuto").category == "mobility"
    assert Exercise.objects.get(video_id="OQr-yE86AHk").category == "stretch"


def test_the_default_programs_use_the_default_scheme_and_keep_their_item_order(starter_library):
    scheme = ProgressionScheme.objects.get(clinic=None, is_default=True)
    program = Program.objects.get(key="hip-flexor-stretches-for-back-pain")
    assert program.scheme == scheme
    assert [item.exercise.key for item in program.items.all()] == [
        "ninety-ninety-hip-flexor-stretch",
        "ninety-ninety-hip-flexor-stretch-side-bend",
        "knee-drops",
    ]
    assert Program.objects.get(key="gentle-hip-flexion").items.count() == 3
