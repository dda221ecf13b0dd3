"""`make bench`: Flexion at clinic-chain scale, measured end to end, written to BENCHMARKS.md.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/run.py [--quick]

On PostgreSQL and Redis only (never SQLite). For each data set (1,000 and 10,000 patients
× 26 weeks; --quick: 200 and 1,000 × 8) it

1. creates a dedicated database ``<DATABASE_URL's name>_bench_<patients>x<weeks>`` and loads
   it with ``generate_load_data --seed 1`` (kept between runs; --fresh reloads it);
2. starts the app under gunicorn with production settings (DEBUG off, WhiteNoise with
   collected static files, CSP and session middleware on). Only two things differ from
   production, both for the load tool's sake: staff two-factor (FLEXION_REQUIRE_STAFF_MFA)
   and the django-axes lockout (AXES_ENABLED) are off, and SECURE_SSL_REDIRECT is off
   because the benchmark speaks plain HTTP to 127.0.0.1;
3. loads the patient today page, the session player, the therapist's admin patient list and
   the framework floor with ApacheBench at 1, 10 and 50 concurrent clients, each with a
   signed-in session cookie. The floor is /healthz (every middleware plus one ``SELECT 1``),
   asked twice: anonymously, and with the patient's cookie, which makes Django load the
   session and the user as it does for every signed-in page; the patient pages are
   compared with the signed-in floor. gunicorn runs with gunicorn.conf.py, as deployed.
   For the targets, the signed-in floor and the patient pages are then loaded again at 10
   clients, one after the other, in 5 rounds; the targets use each page's median;
4. counts the SQL queries per request of those pages (Django's test client on the same data);
5. runs bench/bench_reports.py (clinic report, CSV export vs COPY, peak memory);
6. runs bench/bench_fhir.py (the FHIR interface: ``Patient/$everything`` for the patient
   with the longest history, and a paged Observation search);

then times one reminder dispatch pass (and its claim batches) at 10,000 and 100,000 active
assignments with ``bench_dispatch`` and writes BENCHMARKS.md with the machine and the commit.

A benchmark, not a test: nothing here asserts a time; the targets are reported, met or not.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

VAR = ROOT / "var" / "bench"
# Another port for a second run on the same machine: BENCH_PORT=8766.
PORT = int(os.environ.get("BENCH_PORT", "8765"))
CONCURRENCY = (1, 10, 50)
# (patients, weeks) of the two data sets, and the active assignments of the dispatch passes.
# The clinic report's target is for one clinic of 2,000 patients × 12 weeks: measured on its own
# data set of that size too.
FULL = {
    "sizes": [(1000, 26), (10000, 26)],
    "report": (2000, 12),
    "dispatch": [10_000, 100_000],
    "requests": 1.0,
}
QUICK = {
    "sizes": [(200, 8), (1000, 8)],
    "report": (200, 8),
    "dispatch": [1_000, 10_000],
    "requests": 0.3,
}
# The patient pages' targets compare them with the floor at 10 clients. On a shared machine a
# single run of each can fall in a slow or a fast moment, so they are also measured in rounds,
# the floor and the pages one after the other in each round, and the targets use the medians.
TARGET_PAGES = ("floor_signed_in", "today", "player", "questionnaire")
TARGET_ROUNDS = 5
TARGET_REQUESTS = 1000
# Requests per ApacheBench run by concurrency (capped at AB_SECONDS each).
REQUESTS = {1: 100, 10: 400, 50: 600}
AB_SECONDS = 20
PAGES = (
    ("floor", "/healthz, anonymous (framework floor)"),
    ("floor_signed_in", "/healthz, signed in (framework floor of a signed-in page)"),
    ("today", "patient today page `/`"),
    ("player", "session player `/sessions/<id>/`"),
    ("patients", "admin patient list `/admin/patients/patient/`"),
    ("home", "therapist's home `/admin/` (her caseload)"),
    ("home_all", "clinic admin's home `/admin/?scope=all` (the whole clinic)"),
    ("story", "a patient's story page `/admin/patients/patient/<id>/story/`"),
    ("questionnaire", "patient questionnaire screen `/questionnaires/<id>/`"),
)
# The therapist's pages: p95 under this at 10 clients, queries the same at every data size.
STAFF_PAGES = ("home", "home_all", "story")
STAFF_P95_MS = 300
SECRET_KEY = "flexion-benchmark-only-never-deployed-" + "x" * 24


def python() -> str:
    return str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable


def server_env(url: str) -> dict[str, str]:
    """Production settings for the bench server (see the module docstring for what differs)."""
    return os.environ | {
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "flexion.settings",
        # The benchmark's own commands (generate_load_data, bench_dispatch): bench/.
        "FLEXION_BENCH_APPS": "true",
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "FLEXION_REQUIRE_STAFF_MFA": "false",
        "AXES_ENABLED": "false",
        "STATIC_ROOT": str(VAR / "static"),
        "LOG_LEVEL": "WARNING",
    }


def run(command: list[str], env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, cwd=ROOT, env=env, text=True, **kwargs)


def log(message: str) -> None:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%H:%M:%S")
    print(f"[bench {stamp}] {message}", file=sys.stderr, flush=True)


# --- checks -----------------------------------------------------------------------------


def services_check() -> tuple[str, str]:
    database = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database.startswith(("postgres://", "postgresql://")):
        sys.exit(f"make bench runs on PostgreSQL only; DATABASE_URL is {database!r}.")
    if not redis_url.startswith("redis"):
        sys.exit(f"make bench needs Redis; REDIS_URL is {redis_url!r}.")
    import redis

    redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    return database, redis_url


def ab_path() -> str:
    """ApacheBench, from Debian's apache2-utils: installed here when we may, else a hint."""
    found = shutil.which("ab")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing apache2-utils (ApacheBench)")
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(["apt-get", "install", "-y", "-qq", "apache2-utils"], env=env).returncode:
            run(["apt-get", "update", "-qq"], env=env)
            run(["apt-get", "install", "-y", "-qq", "apache2-utils"], env=env)
        found = shutil.which("ab")
    if not found:
        sys.exit("make bench needs ApacheBench: `apt-get install apache2-utils` (Debian/Ubuntu).")
    return found


# --- data sets ----------------------------------------------------------------------------


def dataset_ensure(base: str, patients: int, weeks: int, fresh: bool) -> dict:
    """The loaded benchmark database for this size: its URL and how long loading took."""
    import psycopg
    from bench_reports import bench_url, database_ensure

    url = bench_url(base, patients, weeks)
    name = urlsplit(url).path.lstrip("/")
    record = VAR / f"generate-{name}.json"
    if fresh:
        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        record.unlink(missing_ok=True)
    database_ensure(url)
    env = server_env(url)
    run([python(), "manage.py", "migrate", "--noinput", "-v0"], env=env)
    with psycopg.connect(url) as connection:
        loaded = connection.execute("SELECT 1 FROM clinic_clinic WHERE slug = 'load-1'").fetchone()
    if not loaded:
        log(f"generate_load_data --patients {patients} --weeks {weeks} into {name}")
        started = time.perf_counter()
        run(
            [
                python(),
                "manage.py",
                "generate_load_data",
                "--patients",
                str(patients),
                "--weeks",
                str(weeks),
                "--seed",
                "1",
            ],
            env=env,
        )
        seconds = round(time.perf_counter() - started, 1)
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")
        record.write_text(json.dumps({"generate_seconds": seconds}))
    figures = json.loads(record.read_text()) if record.exists() else {}
    with psycopg.connect(url) as connection:
        for table, key in (
            ("patients_patient", "patients"),
            ("patients_session", "sessions"),
            ("patients_exerciselog", "exercise_logs"),
            ("patients_checkin", "checkins"),
            ("patients_reminder", "reminders"),
        ):
            figures[key] = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        size = connection.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    figures["database_mib"] = round(size / 2**20)
    return {"url": url, "name": name, "patients": patients, "weeks": weeks, **figures}


# --- in the bench database: sign-ins and queries per page (run as a child process) ---------


def child_prepare() -> dict:
    """Sign in a patient and a therapist, open a session, count each page's queries."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from clinic.models import User
    from patients import outcomes, player
    from patients.models import Assignment, AssignmentStatus
    from patients.progress import local_today
    from programs.models import Questionnaire

    assignment = (
        Assignment.objects.filter(
            status=AssignmentStatus.ACTIVE,
            patient__user__isnull=False,
            patient__clinic__slug="load-1",
            start_date__lte=datetime.date.today() - datetime.timedelta(days=7),
        )
        .select_related("patient__user")
        .order_by("pk")
        .first()
    )
    session = player.session_start(assignment=assignment)
    # A questionnaire in progress (a correction when today's is answered already).
    response = outcomes.response_start(
        assignment=assignment,
        questionnaire=Questionnaire.objects.get(clinic=None, code="psfs"),
        occasion=local_today(assignment),
    )
    response = outcomes.response_correct(response=response)
    patient_user = assignment.patient.user
    therapist = User.objects.get(email="therapist1@load-1.flexion.test")
    clinic_admin = User.objects.get(email="admin@load-1.flexion.test")
    caseload = Assignment.objects.filter(
        therapist__user=therapist, status=AssignmentStatus.ACTIVE
    ).order_by("pk")
    storied = caseload.first()
    paths = {
        "floor": "/healthz",
        "floor_signed_in": "/healthz",
        "today": "/",
        "player": f"/sessions/{session.pk}/",
        "patients": "/admin/patients/patient/",
        "home": "/admin/",
        "home_all": "/admin/?scope=all",
        "story": f"/admin/patients/patient/{storied.patient_id}/story/",
        "questionnaire": f"/questionnaires/{response.pk}/?screen=1",
    }
    who = {
        "floor": None,
        "floor_signed_in": patient_user,
        "today": patient_user,
        "player": patient_user,
        "patients": therapist,
        "home": therapist,
        "home_all": clinic_admin,
        "story": therapist,
        "questionnaire": patient_user,
    }
    clients, cookies = {}, {}
    for name, user in (
        ("patient", patient_user),
        ("staff", therapist),
        ("clinic_admin", clinic_admin),
    ):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        clients[user.pk] = client
        cookies[name] = client.cookies[settings.SESSION_COOKIE_NAME].value
    anonymous = Client(HTTP_HOST="127.0.0.1")
    queries, sizes = {}, {}
    for page, path in paths.items():
        client = clients[who[page].pk] if who[page] else anonymous
        client.get(path)  # warm: the figure is for a running server
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        queries[page] = len(captured)
        sizes[page] = len(response.content)
    return {
        "paths": paths,
        "cookies": cookies,
        "auth": {
            "floor": None,
            "floor_signed_in": "patient",
            "today": "patient",
            "player": "patient",
            "patients": "staff",
            "home": "staff",
            "home_all": "clinic_admin",
            "story": "staff",
            "questionnaire": "patient",
        },
        "queries": queries,
        "bytes": sizes,
        "caseload": {
            "home": caseload.count(),
            "home_all": Assignment.objects.filter(
                clinic_id=storied.clinic_id, status=AssignmentStatus.ACTIVE
            ).count(),
            "story": storied.patient.sessions.count(),
        },
    }


# --- the server and the load ----------------------------------------------------------


class Server:
    """gunicorn on 127.0.0.1:PORT with the bench settings, for one data set."""

    def __init__(self, url: str):
        self.env = server_env(url)
        self.process = None

    def __enter__(self):
        gunicorn = str(Path(python()).with_name("gunicorn"))
        self.process = subprocess.Popen(
            [
                gunicorn,
                "flexion.wsgi",
                "-b",
                f"127.0.0.1:{PORT}",
                "--log-level",
                "warning",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=self.env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
            if self.process.poll() is not None:
                raise SystemExit("gunicorn exited at start")
        raise SystemExit("gunicorn did not answer /healthz within 60 s")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def ab_parse(output: str) -> dict:
    """The figures of one ApacheBench run: throughput, percentiles, failures."""

    def number(pattern: str, default=None):
        match = re.search(pattern, output, re.MULTILINE)
        return float(match.group(1)) if match else default

    failed = re.search(
        r"Failed requests:\s+(\d+)(?:\s*\(Connect: (\d+), Receive: (\d+), "
        r"Length: (\d+), Exceptions: (\d+)\))?",
        output,
    )
    # A page whose length varies (a CSRF token, a timestamp) counts as "Length" failures in
    # ab; only the others are real errors.
    errors = 0
    if failed:
        if failed.group(2) is not None:
            errors = sum(int(failed.group(n)) for n in (2, 3, 5))
        else:
            errors = int(failed.group(1))
    return {
        "requests": int(number(r"^Complete requests:\s+(\d+)", 0)),
        "rps": round(number(r"^Requests per second:\s+([\d.]+)", 0.0), 1),
        "p50": number(r"^\s+50%\s+(\d+)"),
        "p95": number(r"^\s+95%\s+(\d+)"),
        "p99": number(r"^\s+99%\s+(\d+)"),
        "errors": errors,
        "non_2xx": int(number(r"^Non-2xx responses:\s+(\d+)", 0)),
    }


def ab_run(ab: str, prepared: dict, page: str, clients: int, requests: int) -> dict:
    """One ApacheBench run of a page with its session cookie; its figures."""
    url = f"http://127.0.0.1:{PORT}{prepared['paths'][page]}"
    auth = prepared["auth"][page]
    headers = ["-H", f"Cookie: sessionid={prepared['cookies'][auth]}"] if auth else []
    command = [ab, "-q", "-t", str(AB_SECONDS), "-n", str(requests), "-c", str(clients)]
    output = run([*command, *headers, url], capture_output=True).stdout
    figures = ab_parse(output)
    if figures["non_2xx"] or figures["errors"]:
        raise SystemExit(f"{url} at {clients} clients: errors in\n{output}")
    return figures


def load_measure(ab: str, prepared: dict, scale: float) -> dict:
    results: dict = {}
    for page, _label in PAGES:
        ab_run(ab, prepared, page, 2, 20)  # warm up
        results[page] = {}
        for clients in CONCURRENCY:
            requests = max(int(REQUESTS[clients] * scale), clients * 4)
            figures = ab_run(ab, prepared, page, clients, requests)
            log(
                f"  {page:9} c={clients:<3} p50 {figures['p50']} ms p95 {figures['p95']} ms "
                f"{figures['rps']} req/s ({figures['requests']} requests)"
            )
            results[page][str(clients)] = figures
    return results


def rounds_measure(ab: str, prepared: dict, scale: float) -> dict:
    """The floor and the patient pages at 10 clients, interleaved in rounds; medians per page."""
    requests = max(int(TARGET_REQUESTS * scale), 40)
    rounds: dict[str, list[dict]] = {page: [] for page in TARGET_PAGES}
    for number in range(TARGET_ROUNDS):
        for page in TARGET_PAGES:
            figures = ab_run(ab, prepared, page, 10, requests)
            rounds[page].append({key: figures[key] for key in ("p50", "p95", "rps")})
        log(
            f"  round {number + 1}: "
            + ", ".join(f"{page} p50 {rounds[page][-1]['p50']} ms" for page in TARGET_PAGES)
        )
    return {
        page: {
            "rounds": figures,
            **{key: statistics.median(f[key] for f in figures) for key in ("p50", "p95", "rps")},
        }
        for page, figures in rounds.items()
    }


def dataset_measure(dataset: dict, ab: str, scale: float) -> dict:
    env = server_env(dataset["url"])
    prepared = json.loads(
        run(
            [python(), __file__, "--child-prepare"], env=env, capture_output=True
        ).stdout.splitlines()[-1]
    )
    log(f"queries per request at {dataset['patients']:,} patients: {prepared['queries']}")
    with Server(dataset["url"]):
        load = load_measure(ab, prepared, scale)
        rounds = rounds_measure(ab, prepared, scale)
    reports = reports_measure(dataset)
    fhir = fhir_measure(dataset)
    dataset = {key: value for key, value in dataset.items() if key != "url"}
    return dataset | {
        "fhir": fhir,
        "queries": prepared["queries"],
        "caseload": prepared.get("caseload", {}),
        "bytes": prepared["bytes"],
        "load": load,
        "rounds": rounds,
        "reports": {
            key: reports[key]
            for key in (
                "report_sql_clinic",
                "report_sql_all",
                "report_page_clinic",
                "needs_attention_clinic",
                "outcome_report_clinic",
                "exports",
            )
        },
    }


def reports_measure(dataset: dict, repeat: int = 3) -> dict:
    """bench/bench_reports.py on a loaded data set: the report, its page, the exports."""
    log(f"bench_reports at {dataset['patients']:,} patients × {dataset['weeks']} weeks")
    output = VAR / f"reports-{dataset['name']}.json"
    run(
        [
            python(),
            "bench/bench_reports.py",
            "--url",
            dataset["url"],
            "--repeat",
            str(repeat),
            "--patients",
            str(dataset["patients"]),
            "--weeks",
            str(dataset["weeks"]),
            "--output",
            str(output),
        ],
        env=server_env(dataset["url"]),
        stdout=subprocess.DEVNULL,
    )
    return json.loads(output.read_text())


def fhir_measure(dataset: dict, repeat: int = 5) -> dict:
    """bench/bench_fhir.py on a loaded data set: $everything and a paged Observation search."""
    log(f"bench_fhir at {dataset['patients']:,} patients × {dataset['weeks']} weeks")
    output = VAR / f"fhir-{dataset['name']}.json"
    run(
        [
            python(),
            "bench/bench_fhir.py",
            "--url",
            dataset["url"],
            "--repeat",
            str(repeat),
            "--output",
            str(output),
        ],
        env=server_env(dataset["url"]),
        stdout=subprocess.DEVNULL,
    )
    return json.loads(output.read_text())


def report_target_measure(base: str, patients: int, weeks: int, fresh: bool) -> dict:
    """The clinic report at the size of its target: one clinic of that many patients."""
    dataset = dataset_ensure(base, patients, weeks, fresh)
    reports = reports_measure(dataset, repeat=5)
    return {
        "patients": patients,
        "weeks": weeks,
        **{
            key: reports[key]
            for key in ("report_sql_clinic", "report_page_clinic", "outcome_report_clinic")
        },
    }


def handout_measure(url: str, quick: bool) -> dict:
    """bench/bench_handout.py: a 10-exercise handout's time and pictures served per second."""
    log("bench_handout: the handout of 10 exercises, pictures served")
    output = VAR / "handout.json"
    run(
        [
            python(),
            "bench/bench_handout.py",
            "--repeat",
            "3" if quick else "7",
            "--picture-requests",
            "100" if quick else "500",
            "--output",
            str(output),
        ],
        env=server_env(url),
        stdout=subprocess.DEVNULL,
    )
    return json.loads(output.read_text())


def dispatch_measure(url: str, assignments: int) -> dict:
    log(f"bench_dispatch --assignments {assignments:,} --claim --celery")
    output = run(
        [
            python(),
            "manage.py",
            "bench_dispatch",
            "--assignments",
            str(assignments),
            "--claim",
            "--celery",
            "--json",
        ],
        env=server_env(url),
        capture_output=True,
    ).stdout
    # The Celery pass commits its patients and deletes them after: vacuum their dead rows
    # now, or the next run's pages on this data set would wade through them (autovacuum may
    # be off, as on the machine these figures come from), and give the space back, so the
    # data set's size reads as loaded.
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM FULL ANALYZE")
    return json.loads(output.strip().splitlines()[-1])


# --- the machine -------------------------------------------------------------------------


def machine(url: str, redis_url: str, ab: str) -> dict:
    import psycopg
    import redis

    cpu = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        total_kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres") as connection:
        postgresql = connection.execute("SHOW server_version").fetchone()[0]
    ab_version = run([ab, "-V"], capture_output=True).stdout.splitlines()[0]
    gunicorn = run([python(), "-m", "gunicorn", "--version"], capture_output=True).stdout
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(total_kib / 2**20, 1),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "postgresql": postgresql.split(" ")[0],
        "redis": redis.Redis.from_url(redis_url).info()["redis_version"],
        "gunicorn": gunicorn.split()[-1].strip(")") if gunicorn else "",
        "gunicorn_workers": gunicorn_workers(),
        "ab": re.sub(r"\s*<\$Revision.*", "", ab_version.replace("This is ", "")),
        "load_average": os.getloadavg()[0],
    }


def gunicorn_workers() -> int:
    """The workers gunicorn.conf.py asks for (WEB_CONCURRENCY as the bench runs it)."""
    settings: dict = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), settings)
    return settings["workers"]


def commit() -> str:
    sha = run(["git", "rev-parse", "--short", "HEAD"], capture_output=True).stdout.strip()
    # The bench's own outputs (a previous run's figures) do not change what is measured.
    dirty = run(
        [
            "git",
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            ".",
            ":!BENCHMARKS.md",
            ":!bench/results",
        ],
        capture_output=True,
    )
    return sha + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


# --- the report --------------------------------------------------------------------------


def _ms(value) -> str:
    return "–" if value is None else f"{value:,.0f}"


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def targets(results: dict) -> list[tuple[str, str, str]]:
    """Issue 9's targets, each with the measured figure and whether it is met."""
    rows = []
    big = results["datasets"][-1]
    # The patient pages against the same signed-in request to a minimal view, at 10 clients:
    # the medians of the interleaved rounds (each round's figures are in the rounds table).
    rounds = big["rounds"]
    floor = rounds["floor_signed_in"]["p50"] or 1
    for page in ("today", "player", "questionnaire"):
        figures = rounds[page]
        label = dict(PAGES)[page]
        p95s = [f["p95"] for f in figures["rounds"]]
        rows.append(
            (
                f"{label}: p95 < 150 ms at 10 clients ({big['patients']:,} patients)",
                f"{_ms(figures['p95'])} ms (median of {len(p95s)} rounds; "
                f"{_ms(min(p95s))}–{_ms(max(p95s))})",
                _met(figures["p95"] < 150),
            )
        )
        if page == "questionnaire":
            continue  # its target (issue 20) is the p95 alone
        ratios = [
            f["p50"] / max(r["p50"], 1)
            for f, r in zip(figures["rounds"], rounds["floor_signed_in"]["rounds"], strict=True)
        ]
        ratio = figures["p50"] / floor
        rows.append(
            (
                f"{label}: p50 within 3× the signed-in floor at 10 clients",
                f"{_ms(figures['p50'])} ms vs {_ms(floor)} ms = {ratio:.1f}× (medians of "
                f"{len(ratios)} rounds; per round {min(ratios):.1f}–{max(ratios):.1f}×)",
                _met(ratio <= 3),
            )
        )
    exports = big["reports"]["exports"]
    csv = next(e for e in exports if e["mode"] == "csv" and e["rows"] == "week")
    copy = next(e for e in exports if e["mode"] == "copy" and e["rows"] == "week")
    rows.append(
        (
            "CSV export ≥ 30,000 rows/s",
            f"{csv['rows_per_second']:,} rows/s",
            _met(csv["rows_per_second"] >= 30_000),
        )
    )
    rows.append(
        (
            "CSV export < 50 MB extra memory",
            f"{csv['extra_memory_mib']} MiB",
            _met(csv["extra_memory_mib"] < 50),
        )
    )
    ratio = copy["rows_per_second"] / max(csv["rows_per_second"], 1)
    rows.append(
        (
            "CSV export within 3× of COPY",
            f"COPY {copy['rows_per_second']:,} rows/s = {ratio:.1f}× the CSV",
            _met(ratio <= 3),
        )
    )
    if fhir := big.get("fhir"):
        everything = fhir["everything"]
        rows.append(
            (
                f"FHIR `Patient/$everything` < 300 ms, a patient with "
                f"{fhir['patient']['history_weeks']} weeks of history",
                f"{_ms(everything['median_ms'])} ms for {everything['resources']:,} resources "
                f"({everything['kib']:,} KiB, {everything['queries']} queries)",
                _met(everything["median_ms"] < 300),
            )
        )
    largest = results["dispatch"][-1]
    total = pass_seconds(largest)
    rows.append(
        (
            f"dispatch pass for {largest['assignments']:,} assignments < 30 s",
            f"{largest['dispatch_seconds']} s due list + {largest.get('claim_seconds', '–')} s "
            f"claims = {total:.1f} s in one process; as production runs it, on a Celery "
            f"worker with {largest.get('celery_processes', '–')} processes: "
            f"{largest.get('celery_pass_seconds', '–')} s",
            _dispatch_verdict(total, largest.get("celery_pass_seconds")),
        )
    )
    rows += _staff_targets(results)
    if handout := results.get("handout"):
        rows.append(
            (
                f"handout PDF of a {handout['exercises']}-exercise program < 1 s",
                f"{handout['handout_ms']:,} ms (median of {handout['repeat']}; slowest "
                f"{handout['handout_ms_max']:,} ms; {handout['handout_bytes'] // 1024} KiB); "
                f"pictures served: {handout['pictures_per_second']:,}/s (one process, "
                "test client)",
                _met(handout["handout_ms"] < 1000),
            )
        )
    for label, report in _report_targets(results):
        clinic, page = report["report_sql_clinic"], report["report_page_clinic"]
        rows.append(
            (
                f"clinic report, {label} < 500 ms",
                f"every patient's row and the weekly chart {clinic['median_ms']:,} ms; the "
                f"admin report page {page['median_ms']:,} ms ({page['queries']} queries)",
                _met(clinic["median_ms"] < 500 and page["median_ms"] < 500),
            )
        )
        if outcome := report.get("outcome_report_clinic"):
            rows.append(
                (
                    f"outcome report, {label} < 500 ms",
                    f"first/latest score and share reaching the MCID per patient, program, "
                    f"therapist and clinic ({outcome['pairs']:,} pairs): "
                    f"{outcome['median_ms']:,} ms",
                    _met(outcome["median_ms"] < 500),
                )
            )
    return rows


def _staff_targets(results: dict) -> list[tuple[str, str, str]]:
    """Issue 17: the therapist's home and a patient's page at 10 clients on the largest set,
    and their queries the same on every data set (constant in the caseload)."""
    rows = []
    sets = results["datasets"]
    big = sets[-1]
    for page in STAFF_PAGES:
        if page not in big["load"]:
            continue
        label = dict(PAGES)[page]
        figures = big["load"][page]["10"]
        what = {"story": "sessions of the patient"}.get(page, "active programs listed")
        size = big.get("caseload", {}).get(page)
        rows.append(
            (
                f"{label}: p95 < {STAFF_P95_MS} ms at 10 clients ({big['patients']:,} patients)",
                f"{_ms(figures['p95'])} ms (p50 {_ms(figures['p50'])} ms"
                + (f"; {size:,} {what})" if size is not None else ")"),
                _met(figures["p95"] is not None and figures["p95"] < STAFF_P95_MS),
            )
        )
        counts = [d["queries"][page] for d in sets if page in d["queries"]]
        sizes = [d.get("caseload", {}).get(page) for d in sets if page in d["queries"]]
        rows.append(
            (
                f"{label}: queries constant in the caseload",
                " vs ".join(
                    f"{count} queries ({size if size is not None else '?'} {what})"
                    for count, size in zip(counts, sizes, strict=True)
                ),
                _met(len(set(counts)) == 1),
            )
        )
    return rows


def _dispatch_verdict(one_process: float, celery: float | None) -> str:
    """Met only if the pass is under 30 s both in one process and as production runs it."""
    if celery is None or (one_process < 30) == (celery < 30):
        return _met(one_process < 30)
    if one_process < 30:
        return "met in one process; as production runs it (with the send tasks): **not met**"
    return "**not met** in one process; met as production runs it"


def _report_targets(results: dict) -> list[tuple[str, dict]]:
    """The report at its target's size, and for the largest clinic of the largest data set."""
    big = results["datasets"][-1]
    clinic = big["reports"]["report_sql_clinic"]
    found = [
        (
            f"largest clinic of the {big['patients']:,}-patient set ({clinic['patients']:,} "
            f"patients, last 12 of {big['weeks']} weeks)",
            big["reports"],
        )
    ]
    if target := results.get("report_target"):
        label = (
            f"one clinic of {target['report_sql_clinic']['patients']:,} patients × "
            f"{target['weeks']} weeks"
        )
        found.insert(0, (label, target))
    return found


def pass_seconds(dispatch: dict) -> float:
    """The whole pass: the due list and the claim batches."""
    return dispatch["dispatch_seconds"] + dispatch.get("claim_seconds", 0)


def render_markdown(results: dict) -> str:
    m = results["machine"]
    sets = results["datasets"]
    sizes = [f"{d['patients']:,}" for d in sets]
    lines = [
        "# Benchmarks",
        "",
        f"Measured {results['date']} on commit `{results['commit']}` by `make bench`"
        f"{' (BENCH_QUICK: small sizes)' if results.get('quick') else ''}; "
        f"the whole run took {results['seconds'] / 60:.0f} min. "
        "Produced by `bench/run.py`: rerun it rather than editing this file.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {m['cpus']} × {m['cpu_model']} |",
        f"| memory | {m['memory_gib']} GiB |",
        f"| OS | {m['os']} |",
        f"| Python / PostgreSQL / Redis | {m['python']} / {m['postgresql']} / {m['redis']} |",
        f"| server | gunicorn {m['gunicorn']} with `gunicorn.conf.py` "
        f"({m.get('gunicorn_workers', '?')} sync workers), DEBUG off |",
        f"| load tool | {m['ab']} on the same machine |",
        f"| load average at the start | {m['load_average']:.1f} |",
        "",
        "The machine is shared (other jobs ran at the same time), so the figures are noisy; "
        "the load tool, gunicorn and PostgreSQL share the same cores.",
        "",
        "Server settings are production's (DEBUG off, WhiteNoise, CSP, session timeouts, "
        "no-store) except: staff two-factor off (`FLEXION_REQUIRE_STAFF_MFA=false`), the "
        "django-axes lockout off (`AXES_ENABLED=false`) and `SECURE_SSL_REDIRECT=false` "
        "(plain HTTP to 127.0.0.1). Each client sends a signed-in session cookie.",
        "",
        "The framework floor is a minimal Django view (`/healthz`: the whole middleware stack "
        "and one `SELECT 1`) on the same server. Asked anonymously it skips the session and "
        "the user; asked with the patient's cookie, Django loads both as it does for every "
        "signed-in page, so the patient pages' p50 target compares them with that signed-in "
        "floor. Both floors are in the tables.",
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in targets(results)]
    lines += [
        "",
        "## Data sets",
        "",
        "`generate_load_data --seed 1` into a dedicated database each.",
        "",
        "| patients × weeks | load time | sessions | exercise logs | check-ins | reminders "
        "| database |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in sets:
        load_time = f"{d['generate_seconds']} s" if "generate_seconds" in d else "(earlier run)"
        lines.append(
            f"| {d['patients']:,} × {d['weeks']} | {load_time} | {d['sessions']:,} "
            f"| {d['exercise_logs']:,} | {d['checkins']:,} | {d['reminders']:,} "
            f"| {d['database_mib']:,} MiB |"
        )
    lines += [
        "",
        "## Pages under load",
        "",
        "ApacheBench, latency in ms (p50 / p95) and throughput in requests per second, "
        f"at 1, 10 and 50 concurrent clients (at most {AB_SECONDS} s per run).",
        "",
        "| page | clients | "
        + " | ".join(f"{s} patients: p50 / p95 | req/s" for s in sizes)
        + " |",
        "|---|---|" + "---|---|" * len(sets),
    ]
    for page, label in PAGES:
        for clients in CONCURRENCY:
            cells = []
            for d in sets:
                f = d["load"][page][str(clients)]
                cells.append(f"{_ms(f['p50'])} / {_ms(f['p95'])} | {f['rps']:,.0f}")
            lines.append(f"| {label} | {clients} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "### The patient pages against the floor, in rounds",
        "",
        f"For the targets: at 10 clients, {TARGET_REQUESTS:,} requests each, the signed-in floor "
        "and the two patient pages one after the other, "
        f"{TARGET_ROUNDS} times; p50 / p95 in ms. A single run of each (the table above) can "
        "fall in a slow or a fast moment of the shared machine; the rounds compare them in the "
        "same moments, and the targets use the medians.",
        "",
        "| round | "
        + " | ".join(dict(PAGES)[page] for page in TARGET_PAGES)
        + " | today ÷ floor | player ÷ floor |",
        "|---|" + "---|" * (len(TARGET_PAGES) + 2),
    ]
    rounds = sets[-1]["rounds"]
    for number in range(len(rounds["floor_signed_in"]["rounds"])):
        cells = [rounds[page]["rounds"][number] for page in TARGET_PAGES]
        floor_p50 = max(cells[0]["p50"], 1)
        lines.append(
            f"| {number + 1} | "
            + " | ".join(f"{_ms(c['p50'])} / {_ms(c['p95'])}" for c in cells)
            + f" | {cells[1]['p50'] / floor_p50:.1f}× | {cells[2]['p50'] / floor_p50:.1f}× |"
        )
    medians = [rounds[page] for page in TARGET_PAGES]
    lines.append(
        "| median | "
        + " | ".join(f"{_ms(c['p50'])} / {_ms(c['p95'])}" for c in medians)
        + f" | {medians[1]['p50'] / max(medians[0]['p50'], 1):.1f}× "
        f"| {medians[2]['p50'] / max(medians[0]['p50'], 1):.1f}× |"
    )
    lines += [
        "",
        "## SQL queries per request",
        "",
        "Django's test client against the same databases (a warm request, then the one counted).",
        "",
        "| page | " + " | ".join(f"{s} patients" for s in sizes) + " |",
        "|---|" + "---|" * len(sets),
    ]
    for page, label in PAGES:
        lines.append(f"| {label} | " + " | ".join(str(d["queries"][page]) for d in sets) + " |")
    lines += [
        "",
        "## Adherence report and CSV export",
        "",
        "From `bench/bench_reports.py` (medians; the export runs over every clinic, the last "
        "12 weeks, each in a fresh process; memory is the resident-set growth while exporting).",
        "",
        "| measure | " + " | ".join(f"{s} patients" for s in sizes) + " |",
        "|---|" + "---|" * len(sets),
    ]

    def report_row(label: str, cell) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(d["reports"]) for d in sets) + " |")

    report_row(
        "clinic report SQL, largest clinic",
        lambda r: f"{r['report_sql_clinic']['median_ms']} ms "
        f"({r['report_sql_clinic']['patients']:,} patients)",
    )
    report_row(
        "report SQL over every clinic",
        lambda r: f"{r['report_sql_all']['median_ms']} ms "
        f"({r['report_sql_all']['patients']:,} patients)",
    )
    report_row(
        "admin report page, largest clinic",
        lambda r: f"{r['report_page_clinic']['median_ms']} ms, "
        f"{r['report_page_clinic']['queries']} queries",
    )
    report_row(
        "needs-attention list, largest clinic",
        lambda r: f"{r['needs_attention_clinic']['median_ms']} ms",
    )
    report_row(
        "outcome report SQL, largest clinic",
        lambda r: (
            f"{r['outcome_report_clinic']['median_ms']} ms "
            f"({r['outcome_report_clinic']['pairs']:,} pairs)"
            if "outcome_report_clinic" in r
            else "–"
        ),
    )
    names = {"csv": "CSV (streamed)", "copy": "`COPY … TO STDOUT`", "fetchall": "fetch all"}
    for rows in ("week", "patient"):
        for mode in ("csv", "copy", "fetchall"):

            def cell(r, rows=rows, mode=mode):
                e = next(x for x in r["exports"] if x["rows"] == rows and x["mode"] == mode)
                return (
                    f"{e['count']:,} rows, {e['rows_per_second']:,} rows/s, "
                    f"+{e['extra_memory_mib']} MiB"
                )

            report_row(f"{names[mode]}, one row per {rows}", cell)
    fhir_sets = [d for d in sets if d.get("fhir")]
    if fhir_sets:
        lines += [
            "",
            "## FHIR interface",
            "",
            "From `bench/bench_fhir.py`: Django's test client as the clinic admin of the "
            "first clinic, medians of 5 requests after a warm one. The patient is the one "
            "with the most sessions; pages hold 50 Observations.",
            "",
            "| measure | " + " | ".join(f"{d['patients']:,} patients" for d in fhir_sets) + " |",
            "|---|" + "---|" * len(fhir_sets),
        ]
        fhir_rows = (
            ("`Patient/{id}/$everything`", "everything"),
            ("Observation search, the patient's first page", "observation_first_page"),
            ("Observation search, the patient's last page", "observation_last_page"),
            ("Observation search, the clinic's last 7 days, first page", "observation_clinic_week"),
        )
        for label, key in fhir_rows:
            cells = [d["fhir"][key] for d in fhir_sets]
            lines.append(
                f"| {label} | "
                + " | ".join(
                    f"{c['median_ms']} ms, {c['resources']:,} of {c['total']:,} resources, "
                    f"{c['queries']} queries"
                    for c in cells
                )
                + " |"
            )
        lines.append(
            "| the patient | "
            + " | ".join(
                f"{d['fhir']['patient']['sessions']} sessions over "
                f"{d['fhir']['patient']['history_weeks']} weeks"
                for d in fhir_sets
            )
            + " |"
        )
    lines += [
        "",
        "## Reminder dispatch pass",
        "",
        "`manage.py bench_dispatch --claim`: that many patients with one active assignment "
        "each, all due now in eight time zones, two sessions of history (rolled back after). "
        "The due list is the set-based part of the pass; the claim batches run the "
        "progression rule per candidate and insert the reminders, in one process.",
        "",
        "In production the pass enqueues the claim batches (1,000 candidates each) as Celery "
        "tasks, so workers share that part; the whole pass here is one process doing all. "
        "`--celery` runs the same pass as production does: beat's dispatch task and the claim "
        "batches on `celery -A flexion worker` (prefork, one process per CPU) with its own "
        "Redis, timed until the last claim task is done (its batch committed and its send "
        "tasks, one per 50 claimed reminders, enqueued).",
        "",
        "| active assignments | due list | queries | claim batches | queries | whole pass "
        "| on a Celery worker |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in results["dispatch"]:
        whole = pass_seconds(d)
        lines.append(
            f"| {d['assignments']:,} | {d['dispatch_seconds']} s | {d['dispatch_queries']} "
            f"| {d.get('claim_seconds', '–')} s | {d.get('claim_queries', '–')} "
            f"| {whole:.1f} s | {d.get('celery_pass_seconds', '–')} s "
            f"({d.get('celery_processes', '–')} processes) |"
        )
    if len(sets) > 1:
        small, big = sets[0], sets[-1]
        factor = big["patients"] / small["patients"]
        lines += [
            "",
            f"## Growth from {small['patients']:,} to {big['patients']:,} patients "
            f"({factor:.0f}× the data)",
            "",
            "| figure | " + " | ".join(sizes) + " | growth |",
            "|---|" + "---|" * len(sets) + "---|",
        ]

        def growth(label: str, get, unit: str) -> None:
            a, b = get(small), get(big)
            ratio = f"{b / a:.1f}×" if a else "–"
            lines.append(f"| {label} | {a:,}{unit} | {b:,}{unit} | {ratio} |")

        for page, label in PAGES[1:]:
            growth(f"{label} p50 at 10 clients", lambda d, p=page: d["load"][p]["10"]["p50"], " ms")
            growth(f"{label} queries", lambda d, p=page: d["queries"][p], "")
        growth(
            "clinic report SQL, largest clinic",
            lambda d: d["reports"]["report_sql_clinic"]["median_ms"],
            " ms",
        )
        growth(
            "CSV export rows/s (week rows)",
            lambda d: next(
                e["rows_per_second"]
                for e in d["reports"]["exports"]
                if e["mode"] == "csv" and e["rows"] == "week"
            ),
            "",
        )
    if len(sets) > 1 and len(results["dispatch"]) > 1:
        a, b = results["dispatch"][0], results["dispatch"][-1]
        lines.append(
            f"| whole dispatch pass, {a['assignments']:,} → {b['assignments']:,} assignments "
            f"| {pass_seconds(a):.1f} s | {pass_seconds(b):.1f} s "
            f"| {pass_seconds(b) / max(pass_seconds(a), 0.01):.1f}× |"
        )
    if results.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {note}" for note in results["notes"]]
    return "\n".join(lines) + "\n"


# --- main --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a check")
    parser.add_argument("--fresh", action="store_true", help="reload the data sets")
    parser.add_argument(
        "--output",
        type=Path,
        help="default: BENCHMARKS.md (--quick: var/bench/BENCHMARKS-quick.md)",
    )
    parser.add_argument(
        "--results", type=Path, help="default: bench/results/bench.json (--quick: var/bench/)"
    )
    parser.add_argument("--render", action="store_true", help="only render --results into --output")
    parser.add_argument("--child-prepare", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)

    if options.child_prepare:
        print(json.dumps(child_prepare()))
        return
    if options.results is None:
        quick = VAR / "bench-quick.json"
        options.results = quick if options.quick else ROOT / "bench" / "results" / "bench.json"
    if options.output is None:
        # Quick figures never replace the real ones.
        options.output = VAR / "BENCHMARKS-quick.md" if options.quick else ROOT / "BENCHMARKS.md"
    if options.render:
        options.output.write_text(render_markdown(json.loads(options.results.read_text())))
        return

    started = time.perf_counter()
    base, redis_url = services_check()
    ab = ab_path()
    VAR.mkdir(parents=True, exist_ok=True)
    plan = QUICK if options.quick else FULL
    results: dict = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit(),
        "quick": options.quick,
        "machine": machine(base, redis_url, ab),
        "datasets": [],
        "dispatch": [],
    }
    datasets = [dataset_ensure(base, p, w, options.fresh) for p, w in plan["sizes"]]
    log("collectstatic")
    run(
        [python(), "manage.py", "collectstatic", "--noinput", "-v0"],
        env=server_env(datasets[0]["url"]),
    )
    for dataset in datasets:
        log(f"measuring {dataset['patients']:,} patients × {dataset['weeks']} weeks")
        results["datasets"].append(dataset_measure(dataset, ab, plan["requests"]))
    results["report_target"] = report_target_measure(base, *plan["report"], options.fresh)
    results["handout"] = handout_measure(datasets[0]["url"], options.quick)
    for assignments in plan["dispatch"]:
        results["dispatch"].append(dispatch_measure(datasets[0]["url"], assignments))
    results["seconds"] = round(time.perf_counter() - started)
    options.results.parent.mkdir(parents=True, exist_ok=True)
    options.results.write_text(json.dumps(results, indent=2) + "\n")
    options.output.write_text(render_markdown(results))
    log(f"wrote {options.output} in {results['seconds'] / 60:.1f} min")


if __name__ == "__main__":
    main()
