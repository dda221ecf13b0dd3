"""Exports of the adherence report: limited to the user's clinic, streamed, recorded, validated."""

import csv
import datetime
import io

import openpyxl
import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import StreamingHttpResponse
from django.urls import reverse

from clinic.models import AuditAction, AuditEvent
from patients.models import Assignment, ProgramWeek, Session, SessionStatus
from reports.adherence import ReportScope, patient_rows_stream
from reports.exports import PATIENT_HEADER, WEEK_HEADER
from reports.models import ReportExport
from tests.factories import PASSWORD, AssignmentFactory, PatientFactory, ProgramFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)
NOW = datetime.datetime(2026, 3, 25, 12, tzinfo=datetime.UTC)
EXPORT = reverse("admin:reports_adherencereport_export")
REPORT = reverse("admin:reports_adherencereport_changelist")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def history(patient, weeks=3):
    """An assignment with `weeks` full weeks of 2 planned sessions, both done."""
    assignment = AssignmentFactory(patient=patient, start_date=MONDAY)
    for n in range(weeks):
        first = MONDAY + datetime.timedelta(weeks=n)
        ProgramWeek.objects.create(
            assignment=assignment,
            starts_on=first,
            ends_on=first + datetime.timedelta(days=6),
            stage="start",
            planned=2,
        )
        for offset in (0, 3):
            Session.objects.create(
                assignment=assignment,
                patient=patient,
                performed_on=first + datetime.timedelta(days=offset),
                status=SessionStatus.COMPLETED,
            )
    return assignment


def login(client, user):
    assert client.login(email=user.email, password=PASSWORD)
    return client


def export(client, **data):
    payload = {"start": "2026-03-01", "end": "2026-03-31", "format": "csv", **data}
    return client.post(EXPORT, payload)


def csv_rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_a_therapists_csv_export_holds_only_their_clinics_patients(client, alice, carol, dave):
    history(carol)
    history(dave)
    response = export(login(client, alice))
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert [row["patient"] for row in rows] == [str(carol)]
    assert rows[0]["range_start"] == "2026-03-01"
    assert (rows[0]["planned"], rows[0]["counted"], rows[0]["adherence_percent"]) == (
        "6",
        "6",
        "100.0",
    )
    assert rows[0]["last_session"] == "2026-03-19"


def test_bob_exports_only_dave(client, bob, carol, dave):
    history(carol)
    history(dave)
    assert [row["patient"] for row in csv_rows(export(login(client, bob)))] == [str(dave)]


def test_the_csv_has_one_row_per_patient_week_on_request(client, alice, carol):
    history(carol)
    response = export(login(client, alice), rows="week")
    body = b"".join(response.streaming_content).decode()
    header, *rows = list(csv.reader(io.StringIO(body)))
    assert header == WEEK_HEADER
    assert [(row[3], row[4], row[8]) for row in rows] == [
        ("2026-03-02", "2026-03-08", "2"),
        ("2026-03-09", "2026-03-15", "2"),
        ("2026-03-16", "2026-03-22", "2"),
    ]


def test_the_xlsx_export_is_a_workbook_of_the_same_rows(client, alice, carol, dave):
    history(carol)
    history(dave)
    response = export(login(client, alice), format="xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert list(rows[0]) == PATIENT_HEADER
    assert [row[1] for row in rows[1:]] == [str(carol)]
    assert rows[1][PATIENT_HEADER.index("range_end")] == datetime.datetime(2026, 3, 31)


def test_every_export_is_recorded_with_who_when_and_what(client, alice, carol):
    history(carol)
    export(login(client, alice), format="xlsx", rows="week", status="active")
    record = ReportExport.objects.get()
    assert record.actor == alice
    assert record.clinic == alice.staff.clinic
    assert (record.start, record.end) == ("2026-03-01", "2026-03-31")
    assert (record.format, record.rows, record.filters) == ("xlsx", "week", {"status": "active"})
    assert record.at == NOW
    assert record.ip == "127.0.0.1"
    # One kind of record: the export is an event of the audit trail.
    assert AuditEvent.objects.get(action=AuditAction.EXPORT).pk == record.pk


def test_the_printable_page_uses_the_print_stylesheet_and_is_recorded(client, alice, carol, dave):
    history(carol)
    history(dave)
    response = login(client, alice).post(
        reverse("admin:reports_adherencereport_print"), {"start": "2026-03-01", "end": "2026-03-31"}
    )
    assert response.status_code == 200
    assert b"css/report-print.css" in response.content
    assert str(carol).encode() in response.content
    assert str(dave).encode() not in response.content
    assert ReportExport.objects.get().format == "print"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start": "2026-03-31", "end": "2026-03-01"}, "The start date is after the end date."),
        ({"start": "2020-01-01", "end": "2026-03-01"}, "A report covers at most five years."),
        ({"therapist": "999999"}, "Unknown therapist."),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_is_exported(
    client, alice, carol, data, message
):
    history(carol)
    response = export(login(client, alice), **data)
    assert response.status_code == 302
    assert not isinstance(response, StreamingHttpResponse)
    assert message in [str(m) for m in response.wsgi_request._messages]
    assert not ReportExport.objects.exists()


def test_asking_for_a_therapist_of_another_clinic_is_refused(client, alice, bob, dave):
    history(dave)
    response = export(login(client, alice), therapist=str(bob.staff.pk))
    assert response.status_code == 302
    assert "Unknown therapist." in [str(m) for m in response.wsgi_request._messages]
    assert not ReportExport.objects.exists()


def test_asking_for_a_program_of_another_clinic_is_refused(client, alice, carol, clinic_b):
    history(carol)
    foreign = ProgramFactory(clinic=clinic_b)
    response = export(login(client, alice), program=str(foreign.pk))
    assert response.status_code == 302
    assert "Unknown program." in [str(m) for m in response.wsgi_request._messages]
    assert not ReportExport.objects.exists()


def test_the_admin_action_exports_the_selected_patients_of_the_users_clinic_only(
    client, alice, carol, erin, dave
):
    # A selection holding another clinic's row is refused whole: test_admin_actions.py.
    chosen, _other, _foreign = history(carol), history(erin), history(dave)
    response = login(client, alice).post(
        REPORT,
        {
            "action": "export_csv",
            "_selected_action": [chosen.pk],
            "index": "0",
            "start": "2026-03-01",
            "end": "2026-03-31",
        },
    )
    assert isinstance(response, StreamingHttpResponse)
    assert [row["patient"] for row in csv_rows(response)] == [str(carol)]
    assert ReportExport.objects.get().filters == {"selected": [chosen.pk]}


def test_patient_rows_are_read_through_a_server_side_cursor(carol):
    for n in range(3):
        history(PatientFactory(clinic=carol.clinic, first_name=f"P{n}"), weeks=1)
    scope = ReportScope(
        Assignment.objects.for_clinic(carol.clinic_id),
        datetime.date(2026, 3, 1),
        datetime.date(2026, 3, 31),
        datetime.date(2026, 3, 25),
    )
    rows = patient_rows_stream(scope, chunk_size=1)
    first = next(rows)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors WHERE name LIKE %s", ["_django_curs_%"])
        assert cursor.fetchone()[0] == 1  # the named cursor is open while rows are read
    assert len([first, *rows]) == 3


class TestExportCommand:
    def test_it_writes_the_clinics_csv_and_records_it(self, tmp_path, carol, dave):
        history(carol)
        history(dave)
        output = tmp_path / "a.csv"
        call_command(
            "export_adherence",
            "--clinic=clinic-a",
            "--start=2026-03-01",
            "--end=2026-03-31",
            "--format=csv",
            f"--output={output}",
        )
        rows = list(csv.DictReader(output.open()))
        assert [row["patient"] for row in rows] == [str(carol)]
        record = ReportExport.objects.get()
        assert (record.via, record.actor, record.clinic.slug) == ("command", None, "clinic-a")

    def test_it_writes_xlsx(self, tmp_path, carol):
        history(carol)
        output = tmp_path / "a.xlsx"
        call_command(
            "export_adherence",
            "--clinic=clinic-a",
            "--start=2026-03-01",
            "--end=2026-03-31",
            "--format=xlsx",
            f"--output={output}",
        )
        assert openpyxl.load_workbook(output).active.max_row == 2

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            (["--clinic=nowhere"], "Unknown clinic 'nowhere'."),
            (["--start=2026-04-01"], "The start date is after the end date."),
            (["--start=2019-01-01"], "A report covers at most five years."),
            (["--therapist=bob@b.example"], "No therapist 'bob@b.example' in clinic-a."),
            (["--end=31/03/2026"], "'31/03/2026' is not a date (YYYY-MM-DD)."),
        ],
    )
    def test_bad_input_stops_it_before_anything_is_written(
        self, tmp_path, carol, bob, arguments, message
    ):
        output = tmp_path / "a.csv"
        defaults = {"--clinic": "clinic-a", "--start": "2026-03-01", "--end": "2026-03-31"}
        for argument in arguments:
            name, value = argument.split("=", 1)
            defaults[name] = value
        with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
            call_command(
                "export_adherence",
                *(f"{name}={value}" for name, value in defaults.items()),
                f"--output={output}",
            )
        assert not output.exists()
        assert not ReportExport.objects.exists()
