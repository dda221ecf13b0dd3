"""The handout benchmark measures a real 10-exercise handout and real pictures served."""

import importlib.util
import sys
from pathlib import Path

import pytest

from clinic.models import Clinic
from programs.models import Exercise, ExercisePicture

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def bench_handout():
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location(
        "bench_handout", ROOT / "bench" / "bench_handout.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_handout_bench_renders_ten_exercises_serves_pictures_and_cleans_up(settings):
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    result = bench_handout().measure(repeat=1, picture_requests=12)
    assert result["exercises"] == 10
    assert result["handout_bytes"] > 10_000
    assert result["handout_ms"] > 0
    assert result["pictures_served"] == 12
    assert result["pictures_per_second"] > 0
    assert not Clinic.objects.filter(slug="bench-handout").exists()
    assert not Exercise.objects.filter(key__startswith="bench-").exists()
    assert not ExercisePicture.objects.exists()


def test_the_bench_targets_state_the_handouts_time_and_pictures_per_second():
    from .test_runner import RESULTS, runner

    results = {
        **RESULTS,
        "handout": {
            "exercises": 10,
            "handout_ms": 640,
            "handout_ms_max": 700,
            "handout_bytes": 300_000,
            "repeat": 7,
            "pictures_per_second": 850,
        },
    }
    rows = {target: (figure, verdict) for target, figure, verdict in runner().targets(results)}
    figure, verdict = rows["handout PDF of a 10-exercise program < 1 s"]
    assert verdict == "met"
    assert "640 ms" in figure and "850/s" in figure
    assert "handout PDF of a 10-exercise program < 1 s" not in {
        target for target, _, _ in runner().targets(RESULTS)
    }
