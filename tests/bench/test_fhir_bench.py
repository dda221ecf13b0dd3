"""The FHIR benchmark measures what it says, on a small generated data set (no timing)."""

import datetime
import importlib.util
import sys
from pathlib import Path

import pytest

from bench.dataset import load_data_generate

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def bench_fhir():
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("bench_fhir", ROOT / "bench" / "bench_fhir.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_everything_and_the_observation_pages_of_the_longest_history(settings):
    settings.FLEXION_REQUIRE_STAFF_MFA = False
    load_data_generate(patients=12, weeks=6, seed=3, today=datetime.date.today())

    figures = bench_fhir().fhir_timings(repeat=1)

    assert figures["patient"]["history_weeks"] >= 5 and figures["patient"]["sessions"] > 0
    everything = figures["everything"]
    # Observations of every session at least, with the patient, plans and prescriptions.
    assert everything["resources"] == everything["total"] > figures["patient"]["sessions"]
    first, last = figures["observation_first_page"], figures["observation_last_page"]
    assert first["total"] == last["total"] > 50
    assert first["resources"] == 50 and 0 < last["resources"] <= 50
    # A page costs the same queries wherever it is, and the whole record a constant few.
    assert first["queries"] == last["queries"]
    assert figures["observation_clinic_week"]["resources"] > 0
