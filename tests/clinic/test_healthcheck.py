"""The compose health check works against the app under production settings."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .test_settings import PRODUCTION_ENV

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def production_server():
    """gunicorn with the production variables, on the real PostgreSQL (its maintenance db)."""
    database = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    port = free_port()
    env = {"PATH": os.environ["PATH"], **PRODUCTION_ENV, "DATABASE_URL": database}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "flexion.wsgi", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120  # generous: gunicorn starts slowly on a busy machine
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise AssertionError("gunicorn did not start listening") from None
            time.sleep(0.2)
    yield port, env
    server.terminate()
    server.wait(timeout=10)


def run_healthcheck(port, env, **overrides):
    return subprocess.run(
        [sys.executable, "scripts/healthcheck.py"],
        cwd=ROOT,
        env={**env, "HEALTHCHECK_URL": f"http://127.0.0.1:{port}/healthz", **overrides},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_health_check_passes_behind_https_and_allowed_hosts(production_server):
    port, env = production_server
    assert run_healthcheck(port, env).returncode == 0


def test_the_health_check_fails_when_the_app_refuses_the_request(production_server):
    """A host outside ALLOWED_HOSTS is refused: the check reports it rather than passing."""
    port, env = production_server
    result = run_healthcheck(port, env, ALLOWED_HOSTS="not-allowed.example")
    assert result.returncode == 1
    assert "unhealthy" in result.stderr
