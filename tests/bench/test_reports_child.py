"""The export benchmark's three ways of reading the report rows agree, on the real database."""

import datetime
import importlib.util
import sys
from pathlib import Path

import pytest

from bench.dataset import load_data_generate

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def bench_reports():
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location(
        "bench_reports", ROOT / "bench" / "bench_reports.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("rows", ["week", "patient"])
def test_csv_copy_and_fetchall_count_the_same_rows(rows):
    load_data_generate(patients=20, weeks=6, seed=3, today=datetime.date.today())
    module = bench_reports()
    counts = {
        mode: module.child(mode, rows, "all")["count"] for mode in ("csv", "copy", "fetchall")
    }
    assert counts["csv"] > 0
    assert counts["csv"] == counts["copy"] == counts["fetchall"], counts


def test_the_outcome_report_is_timed_on_generated_responses():
    from patients.models import OutcomeResponse

    load_data_generate(patients=30, weeks=9, seed=3, today=datetime.date.today())
    module = bench_reports()
    figures = module.outcome_timings(repeat=2)
    # Every patient answers most of their questionnaires (start, weeks 4 and 8): most have a
    # first and a latest score of both the pain scale and the PSFS.
    assert OutcomeResponse.objects.filter(status="submitted", score__isnull=False).count() > 100
    assert 30 <= figures["pairs"] <= 60
    assert figures["rows"] > 4 and figures["median_ms"] >= 0
