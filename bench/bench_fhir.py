"""Benchmark of the FHIR interface on a loaded data set (run by bench/run.py per data set).

    .venv/bin/python bench/bench_fhir.py --url postgres://…/flexion_bench_1000x26 [--repeat 5]

In the clinic ``load-1``, as its clinic admin (a session; the interface answers tokens and
sessions alike), it times through Django's test client:

- ``Patient/{id}/$everything`` for the patient with the longest history (the most
  sessions): the whole record, every resource of theirs in one Bundle;
- a paged Observation search: that patient's first page and last page of 50, and the
  clinic's first page of 50 of the last 7 days (what a record system's nightly sync asks).

Medians of ``--repeat`` runs after a warm one, with each request's SQL queries. A
benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PAGE = 50


def measure(client, path: str, repeat: int) -> dict:
    """Median and least time of ``repeat`` requests (after a warm one), queries, size."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)
    runs = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(path)
            runs.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.content[:300]}")
    bundle = response.json()
    return {
        "path": path,
        "median_ms": round(1000 * statistics.median(runs)),
        "min_ms": round(1000 * min(runs)),
        "queries": len(queries),
        "resources": len(bundle.get("entry", [])),
        "total": bundle.get("total", 0),
        "kib": round(len(response.content) / 1024),
    }


def fhir_timings(repeat: int) -> dict:
    from django.db.models import Count, Min
    from django.test import Client
    from django.utils import timezone

    from clinic.models import User
    from patients.models import Patient

    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(email="admin@load-1.flexion.test"))
    patient = (
        Patient.objects.filter(clinic__slug="load-1")
        .annotate(sessions_count=Count("sessions"), first_session=Min("sessions__performed_on"))
        .filter(sessions_count__gt=0)
        .order_by("-sessions_count", "pk")
        .first()
    )
    today = timezone.localdate()
    history_weeks = (today - patient.first_session).days // 7 + 1
    everything = measure(client, f"/fhir/R4/Patient/{patient.pk}/$everything", repeat)
    first = measure(client, f"/fhir/R4/Observation?patient={patient.pk}&_count={PAGE}", repeat)
    last_offset = max(first["total"] - PAGE, 0)
    last = measure(
        client,
        f"/fhir/R4/Observation?patient={patient.pk}&_count={PAGE}&_offset={last_offset}",
        repeat,
    )
    week_ago = (today - datetime.timedelta(days=7)).isoformat()
    clinic = measure(client, f"/fhir/R4/Observation?date=ge{week_ago}&_count={PAGE}", repeat)
    return {
        "patient": {
            "sessions": patient.sessions_count,
            "history_weeks": history_weeks,
        },
        "everything": everything,
        "observation_first_page": first,
        "observation_last_page": last,
        "observation_clinic_week": clinic,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="a database loaded by generate_load_data")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--output", type=Path, help="also write the results as JSON here")
    options = parser.parse_args()

    from bench_reports import django_setup

    django_setup(options.url)
    results = fhir_timings(options.repeat)
    print(json.dumps(results, indent=2))
    if options.output:
        options.output.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
