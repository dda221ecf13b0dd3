"""Benchmark of the adherence report and its CSV export, beside PostgreSQL's own COPY.

    .venv/bin/python bench/bench_reports.py --patients 2000 --weeks 12

Creates (once) a database ``<DATABASE_URL's name>_bench_<patients>x<weeks>``, loads it with
``generate_load_data`` (seed 1), then measures:

- the clinic report (the SQL behind the admin page: per-patient rows and the weekly chart)
  for the largest clinic, and the admin page itself through the test client;
- the CSV export (one row per patient-week and one per patient, over every clinic): rows per
  second and peak memory, each in a fresh subprocess (ru_maxrss growth while exporting);
- the same rows through ``COPY (query) TO STDOUT`` as the floor, measured the same way.

A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bench_url(base: str, patients: int, weeks: int) -> str:
    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/')}_bench_{patients}x{weeks}"
    return urlunsplit(parts._replace(path=f"/{name}"))


def database_ensure(url: str) -> bool:
    """Create the benchmark database if missing; return True when it was created."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    return not exists


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flexion.settings")
    os.environ["FLEXION_BENCH_APPS"] = "true"  # generate_load_data
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def scope_of(kind: str):
    """The report's scope, the last 12 weeks: 'clinic' = the largest clinic, 'all' = all."""
    import datetime

    from clinic.models import Clinic
    from patients.models import Assignment
    from reports.adherence import ReportScope, clinic_today

    clinic = Clinic.objects.filter(slug="load-1").get()
    today = clinic_today(clinic.timezone)
    assignments = (
        Assignment.objects.for_clinic(clinic.pk) if kind == "clinic" else Assignment.objects.all()
    )
    return ReportScope(assignments, today - datetime.timedelta(weeks=12), today, today)


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


class PeakRss:
    """Sample the resident set every few milliseconds: ru_maxrss would include import peaks."""

    def __init__(self):
        self.baseline = self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_bytes())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def growth_mib(self) -> float:
        return round((self.peak - self.baseline) / 2**20, 1)


def child(mode: str, rows: str, kind: str) -> dict:
    """Run one export in this (fresh) process; print rows, seconds and memory growth."""
    import psycopg
    from django.db import connection

    from reports import adherence, exports

    scope = scope_of(kind)
    sql, params = (
        adherence.week_rows_sql(scope) if rows == "week" else adherence.patient_rows_sql(scope)
    )
    with connection.cursor() as cursor:  # connect and warm up before the baseline
        cursor.execute("SELECT 1")
    memory = PeakRss()
    with memory:
        started = time.perf_counter()
        count = 0
        written = 0
        if mode == "csv":
            with open(os.devnull, "w") as sink:
                for chunk in exports.csv_chunks(scope, rows):
                    sink.write(chunk)
                    written += len(chunk)
                    count += chunk.count("\n")
            count -= 1  # the header
        elif mode == "fetchall":
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                count = len(cursor.fetchall())
        else:  # copy
            with connection.cursor() as cursor:
                # COPY takes no bound parameters: they are written into the query, as the
                # client-side binding cursor does (the app's cursors bind on the server).
                query = psycopg.ClientCursor(connection.connection).mogrify(sql, params)
                with cursor.cursor.copy(
                    f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)"
                ) as copy:
                    for data in copy:
                        written += len(data)
                        count += bytes(data).count(b"\n")
            count -= 1
        seconds = time.perf_counter() - started
    return {
        "mode": mode,
        "rows": rows,
        "scope": kind,
        "count": count,
        "seconds": round(seconds, 3),
        "rows_per_second": round(count / seconds),
        "extra_memory_mib": memory.growth_mib,
        "bytes": written,
    }


def run_child(url: str, mode: str, rows: str, kind: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, rows, kind, "--url", url],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def report_timings(repeat: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from clinic.models import User
    from reports import adherence

    results = {}
    for kind in ("clinic", "all"):
        scope = scope_of(kind)
        adherence.patient_rows(scope)  # warm the caches: the figures are for a running server
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            rows = adherence.patient_rows(scope)
            adherence.weekly_adherence(scope)
            runs.append(time.perf_counter() - started)
        results[f"report_sql_{kind}"] = {
            "patients": len(rows),
            "median_ms": round(1000 * statistics.median(runs)),
            "min_ms": round(1000 * min(runs)),
        }
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(email="admin@load-1.flexion.test"))
    client.get("/admin/reports/adherencereport/")
    runs = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get("/admin/reports/adherencereport/")
            runs.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    results["report_page_clinic"] = {
        "median_ms": round(1000 * statistics.median(runs)),
        "queries": len(queries),
    }
    attention = []
    for _ in range(repeat):
        started = time.perf_counter()
        items = adherence.needs_attention(scope_of("clinic").assignments, scope_of("clinic").today)
        attention.append(time.perf_counter() - started)
    results["needs_attention_clinic"] = {
        "median_ms": round(1000 * statistics.median(attention)),
        "listed": len(items),
    }
    results["outcome_report_clinic"] = outcome_timings(repeat)
    return results


def outcome_timings(repeat: int) -> dict:
    """The outcome report of the largest clinic, last 12 weeks: every level in one query."""
    from reports import outcomes

    scope = scope_of("clinic")
    outcomes.outcome_rows(scope)  # warm, as for the adherence report
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        rows = outcomes.outcome_rows(scope)
        runs.append(time.perf_counter() - started)
    clinic_rows = [row for row in rows if row.level == outcomes.Level.CLINIC]
    return {
        "median_ms": round(1000 * statistics.median(runs)),
        "min_ms": round(1000 * min(runs)),
        "rows": len(rows),
        "pairs": sum(row.pairs for row in clinic_rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--url", help="benchmark database (default: derived from DATABASE_URL)")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "ROWS", "SCOPE"))
    parser.add_argument("--output", type=Path, help="also write the results as JSON here")
    options = parser.parse_args()

    if options.child:
        django_setup(options.url)
        print(json.dumps(child(*options.child)))
        return

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/flexion")
    url = options.url or bench_url(base, options.patients, options.weeks)
    created = database_ensure(url)
    django_setup(url)
    from django.core.management import call_command

    results: dict = {
        "patients": options.patients,
        "weeks": options.weeks,
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        ),
    }
    call_command("migrate", verbosity=0)
    from clinic.models import Clinic

    if options.output and options.output.exists():
        # Loading is measured once, when the database is created; keep that figure.
        previous = json.loads(options.output.read_text())
        if "generate_seconds" in previous:
            results["generate_seconds"] = previous["generate_seconds"]
    if created or not Clinic.objects.filter(slug="load-1").exists():
        started = time.perf_counter()
        call_command(
            "generate_load_data",
            patients=options.patients,
            weeks=options.weeks,
            seed=1,
            verbosity=0,
        )
        results["generate_seconds"] = round(time.perf_counter() - started, 1)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        results["postgresql"] = cursor.fetchone()[0]

    results.update(report_timings(options.repeat))
    exports = []
    for rows in ("week", "patient"):
        for mode in ("csv", "copy", "fetchall"):
            exports.append(run_child(url, mode, rows, "all"))
    results["exports"] = exports
    print(markdown(results))
    if options.output:
        options.output.write_text(json.dumps(results, indent=2) + "\n")


def markdown(results: dict) -> str:
    lines = [
        f"### Reports at {results['patients']:,} patients × {results['weeks']} weeks",
        "",
        f"Machine: {results['machine']}; PostgreSQL {results['postgresql']}.",
    ]
    if "generate_seconds" in results:
        lines.append(f"generate_load_data: {results['generate_seconds']} s.")
    clinic, every = results["report_sql_clinic"], results["report_sql_all"]
    page, attention = results["report_page_clinic"], results["needs_attention_clinic"]
    lines += [
        "",
        "| measure | figure |",
        "|---|---|",
        f"| clinic report SQL, largest clinic ({clinic['patients']:,} patients), median "
        f"| {clinic['median_ms']} ms |",
        f"| report SQL over every clinic ({every['patients']:,} patients), median "
        f"| {every['median_ms']} ms |",
        f"| admin report page, largest clinic, median | {page['median_ms']} ms, "
        f"{page['queries']} queries |",
        f"| needs-attention list, largest clinic ({attention['listed']} listed), median "
        f"| {attention['median_ms']} ms |",
        *(
            [
                f"| outcome report SQL, largest clinic ({outcome['pairs']:,} first/latest "
                f"pairs, {outcome['rows']:,} rows), median | {outcome['median_ms']} ms |"
            ]
            if (outcome := results.get("outcome_report_clinic"))
            else []
        ),
        "",
        "| export (every clinic, last 12 weeks) | rows | rows/s | extra memory |",
        "|---|---|---|---|",
    ]
    names = {
        "csv": "CSV, streamed (server-side cursor)",
        "copy": "PostgreSQL `COPY (query) TO STDOUT`",
        "fetchall": "the same query fetched at once (for contrast)",
    }
    for export in results["exports"]:
        lines.append(
            f"| {names[export['mode']]}, one row per {export['rows']} | {export['count']:,} "
            f"| {export['rows_per_second']:,} | {export['extra_memory_mib']} MiB |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
