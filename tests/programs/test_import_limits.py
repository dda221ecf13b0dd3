"""An exercise import refuses, before parsing, any file that would hold a worker or crash a parser.

Each refusal is a message on the import page (or the command's error), and nothing is saved.
"""

from __future__ import annotations

import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from programs.importexport import (
    MAX_CELL_CHARS,
    ImportRejected,
    exercises_import,
    rows_from_bytes,
)
from programs.models import Exercise

from .test_importexport import good_row

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:programs_exercise_import")
HEADER = "name,category,starting_position,steps,sets,reps\n"


def csv_rows(count: int) -> str:
    return HEADER + "".join(f"Stretch {n},stretch,standing,Stand.,1,2\n" for n in range(count))


def upload(client, name: str, data: bytes):
    started = time.monotonic()
    response = client.post(IMPORT, {"file": SimpleUploadedFile(name, data)})
    return response, time.monotonic() - started


HOSTILE_FILES = {
    # 100,000 rows, 6 MB: used to hold a worker until gunicorn's timeout.
    "100k_rows.csv": (csv_rows(100_000).encode(), "an import takes at most 2.1 MB"),
    # Nested 100,000 deep: used to raise RecursionError.
    "deep.json": (b"[" * 100_000, "nested more than 6 levels deep"),
    # A cell over csv's 131,072-character field limit: used to raise _csv.Error.
    "long_cell.csv": (
        (HEADER + "A," + "x" * 131_073 + ",standing,Stand.,1,2\n").encode(),
        f"more than {MAX_CELL_CHARS:,} characters",
    ),
    # A NUL byte: used to reach PostgreSQL and fail there with a DataError.
    "nul.csv": ((HEADER + "Calf\x00 stretch,stretch,standing,Stand.,1,2\n").encode(), "NUL"),
    "nul.json": (json.dumps([good_row(name="Calf\x00")]).encode(), "NUL"),
    "latin1.csv": ((HEADER + "Étirement,stretch,standing,Stand.,1,2\n").encode("latin-1"), "UTF-8"),
    "huge_number.json": (b"[" + b"9" * 5000 + b"]", "not valid JSON"),
    "broken_quote.csv": ((HEADER + 'A,stretch,standing,"Stand.,1,2\n').encode(), ""),
}


@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_the_import_page_refuses_a_hostile_file_quickly_with_a_message(client, alice, name):
    data, message = HOSTILE_FILES[name]
    client.force_login(alice)
    response, seconds = upload(client, name, data)
    assert response.status_code == 200
    errors = response.context["errors"]
    assert errors and message in " ".join(errors)
    assert seconds < 5
    assert not Exercise.objects.exists()


@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_the_import_command_refuses_a_hostile_file_with_a_message(clinic_a, tmp_path, name):
    data, message = HOSTILE_FILES[name]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CommandError, match="Nothing was imported") as refused:
        call_command("import_exercises", "--clinic", "clinic-a", str(path))
    assert message in str(refused.value)
    assert not Exercise.objects.exists()


def test_the_row_limit_is_a_setting_and_is_inclusive(clinic_a, settings):
    settings.FLEXION_IMPORT_MAX_ROWS = 3
    assert len(rows_from_bytes(csv_rows(3).encode(), "csv")) == 3
    with pytest.raises(ImportRejected, match="more than 3 exercises"):
        rows_from_bytes(csv_rows(4).encode(), "csv")
    with pytest.raises(ImportRejected, match="more than 3 exercises"):
        rows_from_bytes(json.dumps([good_row()] * 4).encode(), "json")


def test_an_ordinary_export_passes_the_limits(clinic_a):
    rows = rows_from_bytes(json.dumps([good_row()]).encode(), "json")
    exercises_import(clinic=clinic_a, rows=rows)
    assert Exercise.objects.get().name == "Wall calf stretch"


CSV_TEXT = st.text(alphabet=st.sampled_from('ab,"\n\r\t\x00=-1é'), max_size=300)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.one_of(st.binary(max_size=300), CSV_TEXT.map(lambda t: (HEADER + t).encode())))
def test_any_csv_bytes_are_imported_or_refused_with_messages(clinic_a, data):
    try:
        exercises_import(clinic=clinic_a, rows=rows_from_bytes(data, "csv"))
    except ImportRejected as rejected:
        assert rejected.errors


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.one_of(
        JSON_VALUE,
        st.lists(
            st.fixed_dictionaries(
                {}, optional={key: st.just(v) | JSON_VALUE for key, v in good_row().items()}
            ),
            max_size=3,
        ),
    )
)
def test_any_json_is_imported_or_refused_with_messages(clinic_a, value):
    try:
        exercises_import(clinic=clinic_a, rows=rows_from_bytes(json.dumps(value).encode(), "json"))
    except ImportRejected as rejected:
        assert rejected.errors
