"""The benchmark runner's plumbing: its command line, ab's output and the markdown it writes.

No timing here: the figures are made up, the runner is what is checked.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def runner():
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


AB_OUTPUT = """
Complete requests:      400
Failed requests:        12
   (Connect: 0, Receive: 0, Length: 12, Exceptions: 0)
Non-2xx responses:      0
Requests per second:    61.23 [#/sec] (mean)
Percentage of the requests served within a certain time (ms)
  50%     150
  66%     160
  95%     240
  99%     300
 100%     410 (longest request)
"""


def load(p50, p95, rps):
    figures = {"requests": 100, "rps": rps, "p50": p50, "p95": p95, "p99": p95, "errors": 0}
    return {str(clients): dict(figures, non_2xx=0) for clients in (1, 10, 50)}


def rounds(floor_p50s, today_p50s, today_p95):
    """Five interleaved rounds at 10 clients: the floor's, today's and the player's figures."""

    def page(p50s, p95):
        figures = [{"p50": p50, "p95": p95, "rps": 100.0} for p50 in p50s]
        return {"rounds": figures, "p50": sorted(p50s)[2], "p95": p95, "rps": 100.0}

    return {
        "floor_signed_in": page(floor_p50s, 9),
        "today": page(today_p50s, today_p95),
        "player": page([10] * 5, 90),
        "questionnaire": page([9] * 5, 60),
    }


def fhir_figure(median_ms, resources, total, queries=9):
    return {
        "path": "/fhir/R4/…",
        "median_ms": median_ms,
        "min_ms": median_ms - 1,
        "queries": queries,
        "resources": resources,
        "total": total,
        "kib": resources // 2,
    }


def dataset(patients, today_p95, home_queries=11):
    exports = [
        {"mode": mode, "rows": rows, "count": 1000, "rows_per_second": rps, "extra_memory_mib": 4}
        for rows in ("week", "patient")
        for mode, rps in (("csv", 40_000), ("copy", 100_000), ("fetchall", 60_000))
    ]
    return {
        "name": f"flexion_bench_{patients}x26",
        "patients": patients,
        "weeks": 26,
        "generate_seconds": 12.5,
        "sessions": 10,
        "exercise_logs": 30,
        "checkins": 5,
        "reminders": 7,
        "database_mib": 99,
        "queries": {
            "floor": 1,
            "floor_signed_in": 3,
            "today": 9,
            "player": 7,
            "patients": 8,
            "home": home_queries,
            "home_all": 11,
            "story": 16,
            "questionnaire": 6,
        },
        "caseload": {"home": patients // 100, "home_all": patients // 5, "story": 40},
        "load": {
            "floor": load(2, 4, 900.0),
            "floor_signed_in": load(5, 9, 400.0),
            "today": load(12, today_p95, 60.0),
            "player": load(10, 90, 70.0),
            "patients": load(60, 200, 15.0),
            "home": load(90, 250, 12.0),
            "home_all": load(200, 420, 5.0),
            "story": load(40, 120, 20.0),
            "questionnaire": load(9, 60, 80.0),
        },
        # Today's third round falls in a slow moment: 40 ms against the floor's 5 ms.
        "rounds": rounds([5, 5, 5, 6, 4], [12, 13, 40, 11, 12], today_p95),
        "reports": {
            "report_sql_clinic": {"patients": 1858, "median_ms": 1043, "min_ms": 990},
            "report_sql_all": {"patients": 9289, "median_ms": 3000, "min_ms": 2900},
            "report_page_clinic": {"median_ms": 450, "queries": 9},
            "needs_attention_clinic": {"median_ms": 300, "listed": 20},
            "outcome_report_clinic": {"median_ms": 610, "min_ms": 600, "rows": 40, "pairs": 3000},
            "exports": exports,
        },
        "fhir": {
            "patient": {"sessions": 70, "history_weeks": 26},
            "everything": fhir_figure(120 + patients // 100, 1450, 1450, queries=17),
            "observation_first_page": fhir_figure(20, 50, 980),
            "observation_last_page": fhir_figure(22, 30, 980),
            "observation_clinic_week": fhir_figure(90, 50, 12_000),
        },
    }


RESULTS = {
    "date": "2026-11-22 07:00 UTC",
    "commit": "abc1234",
    "quick": False,
    "seconds": 1200,
    "machine": {
        "cpus": 2,
        "cpu_model": "Example CPU",
        "memory_gib": 23.5,
        "os": "Linux",
        "python": "3.11.7",
        "postgresql": "15.20",
        "redis": "7.0.15",
        "gunicorn": "23.0.0",
        "gunicorn_workers": 3,
        "ab": "ApacheBench, Version 2.3",
        "load_average": 3.2,
    },
    "datasets": [dataset(1000, 100), dataset(10_000, 180)],
    "report_target": {
        "patients": 2000,
        "weeks": 12,
        "report_sql_clinic": {"patients": 2000, "median_ms": 240, "min_ms": 230},
        "report_page_clinic": {"median_ms": 140, "queries": 9},
        "outcome_report_clinic": {"median_ms": 120, "min_ms": 110, "rows": 30, "pairs": 3400},
    },
    "dispatch": [
        {
            "assignments": 10_000,
            "dispatch_seconds": 0.2,
            "dispatch_queries": 4,
            "claim_seconds": 2.0,
            "claim_queries": 450,
        },
        {
            "assignments": 100_000,
            "dispatch_seconds": 1.7,
            "dispatch_queries": 4,
            "claim_seconds": 20.0,
            "claim_queries": 4500,
            "celery_pass_seconds": 35.8,
            "celery_processes": 2,
        },
    ],
}


def test_the_runner_explains_itself():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "--quick" in result.stdout
    assert "BENCHMARKS.md" in result.stdout


def test_ab_figures_are_read_and_varying_lengths_are_not_errors():
    figures = runner().ab_parse(AB_OUTPUT)
    assert figures == {
        "requests": 400,
        "rps": 61.2,
        "p50": 150.0,
        "p95": 240.0,
        "p99": 300.0,
        "errors": 0,
        "non_2xx": 0,
    }


def test_a_refused_connection_counts_as_an_error():
    output = AB_OUTPUT.replace("Connect: 0", "Connect: 3")
    assert runner().ab_parse(output)["errors"] == 3


def test_the_report_has_every_section_with_the_figures():
    markdown = runner().render_markdown(RESULTS)
    for heading in (
        "## Machine",
        "## Targets",
        "## FHIR interface",
        "## Data sets",
        "## Pages under load",
        "## SQL queries per request",
        "## Adherence report and CSV export",
        "## Reminder dispatch pass",
        "## Growth from 1,000 to 10,000 patients",
    ):
        assert heading in markdown
    assert "commit `abc1234`" in markdown
    assert "| 2 × Example CPU |" in markdown
    assert "gunicorn 23.0.0 with `gunicorn.conf.py` (3 sync workers)" in markdown
    assert "| patient today page `/` | 10 | 12 / 100 | 60 | 12 / 180 | 60 |" in markdown
    assert "| 100,000 | 1.7 s | 4 | 20.0 s | 4500 | 21.7 s | 35.8 s (2 processes) |" in markdown
    assert "### The patient pages against the floor, in rounds" in markdown
    assert "| 3 | 5 / 9 | 40 / 180 | 10 / 90 | 9 / 60 | 8.0× | 2.0× |" in markdown
    assert "| median | 5 / 9 | 12 / 180 | 10 / 90 | 9 / 60 | 2.4× | 2.0× |" in markdown
    assert "| outcome report SQL, largest clinic | 610 ms (3,000 pairs) | 610 ms" in markdown
    assert (
        "| Observation search, the patient's last page | 22 ms, 30 of 980 resources, 9 queries "
        "| 22 ms, 30 of 980 resources, 9 queries |"
    ) in markdown
    assert "| the patient | 70 sessions over 26 weeks | 70 sessions over 26 weeks |" in markdown


def test_the_fhir_target_is_everything_for_a_patient_of_26_weeks_under_300_ms():
    rows = {target: (figure, verdict) for target, figure, verdict in runner().targets(RESULTS)}
    label = "FHIR `Patient/$everything` < 300 ms, a patient with 26 weeks of history"
    assert rows[label] == ("220 ms for 1,450 resources (725 KiB, 17 queries)", "met")
    slow = {**RESULTS, "datasets": [*RESULTS["datasets"][:-1], dict(RESULTS["datasets"][-1])]}
    slow["datasets"][-1]["fhir"] = {
        **slow["datasets"][-1]["fhir"],
        "everything": fhir_figure(310, 1450, 1450),
    }
    assert {t: v for t, _, v in runner().targets(slow)}[label] == "**not met**"


def test_the_targets_say_which_are_met():
    rows = {target: verdict for target, _, verdict in runner().targets(RESULTS)}
    today = "patient today page `/`"
    assert rows[f"{today}: p95 < 150 ms at 10 clients (10,000 patients)"] == "**not met**"
    # The medians of the rounds: 12 ms against the signed-in floor's 5 ms (the anonymous one
    # answers in 2 ms), though one round alone was 8×.
    assert rows[f"{today}: p50 within 3× the signed-in floor at 10 clients"] == "met"
    measured = {target: figure for target, figure, _ in runner().targets(RESULTS)}
    assert measured[f"{today}: p50 within 3× the signed-in floor at 10 clients"] == (
        "12 ms vs 5 ms = 2.4× (medians of 5 rounds; per round 1.8–8.0×)"
    )
    assert rows["CSV export ≥ 30,000 rows/s"] == "met"
    assert rows["CSV export within 3× of COPY"] == "met"
    assert rows["dispatch pass for 100,000 assignments < 30 s"] == (
        "met in one process; as production runs it (with the send tasks): **not met**"
    )
    assert rows["clinic report, one clinic of 2,000 patients × 12 weeks < 500 ms"] == "met"
    largest = (
        "clinic report, largest clinic of the 10,000-patient set (1,858 patients, last 12 of "
        "26 weeks) < 500 ms"
    )
    assert rows[largest] == "**not met**"  # every row at once takes 1,043 ms there


def test_the_therapists_pages_have_their_targets_latency_and_constant_queries():
    results = dict(RESULTS, datasets=[dataset(1000, 100), dataset(10_000, 180, home_queries=12)])
    measured = {target: (figure, verdict) for target, figure, verdict in runner().targets(results)}
    home = "therapist's home `/admin/` (her caseload)"
    assert measured[f"{home}: p95 < 300 ms at 10 clients (10,000 patients)"] == (
        "250 ms (p50 90 ms; 100 active programs listed)",
        "met",
    )
    everyone = "clinic admin's home `/admin/?scope=all` (the whole clinic)"
    assert measured[f"{everyone}: p95 < 300 ms at 10 clients (10,000 patients)"][1] == (
        "**not met**"
    )
    # 11 queries for 10 programs, 12 for 100: not constant.
    assert measured[f"{home}: queries constant in the caseload"] == (
        "11 queries (10 active programs listed) vs 12 queries (100 active programs listed)",
        "**not met**",
    )
    story = "a patient's story page `/admin/patients/patient/<id>/story/`"
    assert measured[f"{story}: queries constant in the caseload"][1] == "met"


def test_the_outcome_targets_of_issue_20_are_reported():
    rows = {target: (figure, verdict) for target, figure, verdict in runner().targets(RESULTS)}
    questionnaire = "patient questionnaire screen `/questionnaires/<id>/`"
    figure, verdict = rows[f"{questionnaire}: p95 < 150 ms at 10 clients (10,000 patients)"]
    assert (figure, verdict) == ("60 ms (median of 5 rounds; 60–60)", "met")
    assert f"{questionnaire}: p50 within 3× the signed-in floor at 10 clients" not in rows
    figure, verdict = rows["outcome report, one clinic of 2,000 patients × 12 weeks < 500 ms"]
    assert verdict == "met" and "(3,400 pairs): 120 ms" in figure
    largest = (
        "outcome report, largest clinic of the 10,000-patient set (1,858 patients, last 12 of "
        "26 weeks) < 500 ms"
    )
    assert rows[largest][1] == "**not met**"
