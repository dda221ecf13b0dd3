import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
import yaml
from django.db import connection

from clinic.models import Clinic
from tests.factories import ClinicFactory

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-0123456789abcdefgh",
    "ALLOWED_HOSTS": "flexion.example.org",
    "DATABASE_URL": "postgres://flexion@db:5432/flexion",
    "REDIS_URL": "redis://redis:6379/0",
    "EMAIL_HOST": "smtp.example.org",
}


def run_manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deploy_check_passes_with_production_variables():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_misspelt_boolean_stops_the_start_instead_of_turning_staff_mfa_off():
    result = run_manage("check", env={**PRODUCTION_ENV, "FLEXION_REQUIRE_STAFF_MFA": "ture"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "FLEXION_REQUIRE_STAFF_MFA='ture' is not a boolean" in result.stderr


def test_a_number_that_is_not_a_number_stops_the_start_naming_the_variable():
    result = run_manage("check", env={**PRODUCTION_ENV, "FLEXION_STAFF_IDLE_MINUTES": "15m"})
    assert result.returncode != 0
    assert "FLEXION_STAFF_IDLE_MINUTES='15m' is not a whole number" in result.stderr


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[("1", True), ("TRUE", True), (" yes ", True), ("on", True)],
        *[("0", False), ("False", False), ("no", False), ("off", False), ("", None)],
    ],
)
def test_booleans_accept_only_the_known_spellings(monkeypatch, value, expected):
    from flexion.settings import envbool

    monkeypatch.setenv("FLEXION_SOMETHING", value)
    assert envbool("FLEXION_SOMETHING", None) is expected


def test_make_test_stops_with_a_clear_message_when_the_services_are_down():
    result = subprocess.run(
        [sys.executable, "scripts/check_services.py"],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DATABASE_URL": "postgres://postgres@127.0.0.1:1/flexion",
            "REDIS_URL": "redis://127.0.0.1:1/0",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "PostgreSQL at" in result.stderr and "unreachable" in result.stderr
    assert "Redis at redis://127.0.0.1:1/0 is unreachable" in result.stderr
    assert "docker compose up -d db redis" in result.stderr


def test_make_test_starts_a_private_redis_when_none_answers_and_stops_it_after():
    seen = subprocess.run(
        [
            sys.executable, "scripts/check_services.py",
            sys.executable, "-c",
            "import os, redis; url = os.environ['REDIS_URL']; "
            "redis.Redis.from_url(url).ping(); print(url)",
        ],
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": "redis://127.0.0.1:1/7"},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert seen.returncode == 0, seen.stderr
    private = seen.stdout.strip()
    assert private.startswith("redis://127.0.0.1:") and private.endswith("/7")
    assert private != "redis://127.0.0.1:1/7"
    assert "started a private Redis" in seen.stderr
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(private, socket_connect_timeout=2).ping()


def test_the_compose_file_describes_the_production_stack():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "db", "redis"} <= set(services)
    assert services["db"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("web", "db", "redis"):
        assert "healthcheck" in services[name], name
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert set(compose["volumes"]) >= {"pgdata"}


def database_options(**env) -> dict:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, json; django.setup(); from django.conf import settings; "
            "print(json.dumps(settings.DATABASES['default']['OPTIONS']))",
        ],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "flexion.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_postgresql_binds_on_the_server_and_prepares_repeated_queries():
    options = database_options(DATABASE_URL="postgres://flexion@db:5432/flexion")
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 5
    behind_pgbouncer = database_options(
        DATABASE_URL="postgres://flexion@db:5432/flexion", DB_PREPARED_STATEMENTS="false"
    )
    assert behind_pgbouncer["server_side_binding"] is True
    assert "prepare_threshold" not in behind_pgbouncer
    # SQLite (make run) has neither.
    assert database_options(DATABASE_URL="sqlite:///var/x.sqlite3") == {}


@pytest.mark.django_db
def test_a_query_run_again_on_a_connection_is_planned_once():
    clinic = ClinicFactory()
    for _ in range(6):
        assert Clinic.objects.filter(pk=clinic.pk).get() == clinic
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "clinic_clinic"' in statement for statement in prepared), prepared


def test_the_embedded_broker_of_make_run_keeps_every_folder_under_the_var_dir(tmp_path):
    # kombu's filesystem transport puts its control exchanges in ./control unless told.
    result = run_manage(
        "shell",
        "-c",
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.CELERY_BROKER_TRANSPORT_OPTIONS))",
        env={"FLEXION_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout.strip().splitlines()[-1])
    folders = [value for key, value in options.items() if key.endswith("_folder")]
    assert {"control_folder", "data_folder_in", "processed_folder"} <= set(options)
    assert all(Path(folder).is_relative_to(tmp_path) for folder in folders)
