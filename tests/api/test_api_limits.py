"""Every API write refuses an oversized or absurdly nested body with a 4xx, saving nothing.

The walk takes its operations from the schema, so a new write operation is walked too.
"""

from __future__ import annotations

import re
import time

import pytest
from drf_spectacular.generators import SchemaGenerator

from programs.models import Exercise
from tests.clinic.test_url_sweep import database_snapshot

from .conftest import client_logged_in

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000
WRITES = ("post", "put", "patch")


def write_operations() -> list[tuple[str, str]]:
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return [(path, method) for path, item in paths.items() for method in item if method in WRITES]


def saved_rows() -> dict:
    """Every table but the token's last-used time, which each request updates by design."""
    snapshot = database_snapshot()
    snapshot.pop("clinic.apitoken")
    return snapshot


def send(client, method: str, path: str, body: str):
    return getattr(client, method)(path, body, content_type="application/json")


def test_a_body_of_100000_brackets_is_a_400_not_a_crash(clinic_a_api):
    response = send(clinic_a_api, "post", "/api/v1/exercises/", DEEP)
    assert response.status_code == 400
    assert "nested more than 20 levels" in response.json()["detail"]
    assert not Exercise.objects.exists()


def test_a_30_mb_body_is_refused_with_413_before_it_is_read(clinic_a_api):
    body = '{"name": "' + "x" * 30_000_000 + '"}'
    started = time.monotonic()
    response = send(clinic_a_api, "post", "/api/v1/exercises/", body)
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert time.monotonic() - started < 5
    assert not Exercise.objects.exists()


def test_the_body_limit_is_djangos_data_upload_setting(clinic_a_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50
    assert send(clinic_a_api, "post", "/api/v1/exercises/", "{" + " " * 60 + "}").status_code == 413
    small = send(clinic_a_api, "post", "/api/v1/exercises/", "{}")
    assert small.status_code == 400  # read, and refused for its missing fields


def test_form_bodies_are_held_to_the_same_limit(clinic_a_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50
    response = clinic_a_api.post(
        "/api/v1/exercises/",
        "name=" + "x" * 100,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413


@pytest.mark.parametrize("who", ["token", "patient"])
def test_every_write_operation_refuses_hostile_bodies_and_saves_nothing(
    who, clinic_a_api, carol, rows_of_clinic_a, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    client = clinic_a_api if who == "token" else client_logged_in(carol.user)
    ids = {
        "exercises": rows_of_clinic_a["exercise"].pk,
        "programs": rows_of_clinic_a["program"].pk,
        "program-items": rows_of_clinic_a["programitem"].pk,
        "patients": rows_of_clinic_a["patient"].pk,
        "assignments": rows_of_clinic_a["assignment"].pk,
        "sessions": rows_of_clinic_a["session"].pk,
        "checkins": rows_of_clinic_a["checkin"].pk,
        "reminders": rows_of_clinic_a["reminder"].pk,
    }
    operations = write_operations()
    assert ("/api/v1/exercises/", "post") in operations
    for path, method in operations:
        resource = path.removeprefix("/api/v1/").split("/")[0]
        url = re.sub(r"\{\w+\}", str(ids.get(resource, 1)), path)
        for body in (DEEP, '{"a": "' + "x" * 200_000 + '"}', "[1e999999]", '{"a": NaN}', "\x00"):
            before = saved_rows()
            response = send(client, method, url, body)
            assert 400 <= response.status_code < 500, f"{method} {url}: {response.status_code}"
            assert saved_rows() == before, f"{method} {url} saved something"
