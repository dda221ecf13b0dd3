"""Walk every operation of the schema as clinic A against clinic B's rows, and as
carol against erin's (and clinic B's): nothing leaks.

- lists never contain a foreign id;
- a foreign object's detail, change and delete answer exactly as a missing
  object does (404 for anyone allowed the action), and the row is untouched;
- a create pointing at a foreign row is refused with 400 (403 for a role not
  allowed to create at all) and writes nothing; a create never lands in
  another clinic.

Each operation of the schema needs a case below, so a new endpoint cannot slip
through untested.
"""

from dataclasses import dataclass, field

import pytest
from django.apps import apps
from drf_spectacular.generators import SchemaGenerator

from .conftest import client_logged_in

MISSING_ID = 2_000_000_000


@dataclass(frozen=True)
class Case:
    kind: str  # list | object | create
    model: str  # the row kind in the rows_of_* fixtures
    # For creates: bodies that each point at one foreign row, given (own, foreign) rows.
    bodies: tuple = field(default=())


def exercise_body(own, foreign):
    return {
        "key": "new-exercise",
        "name": "New exercise",
        "category": "stretch",
        "starting_position": "standing",
        "clinic": foreign["exercise"].clinic_id,
    }


CREATES = {
    "exercises_create": (exercise_body,),
    "programs_create": (lambda own, foreign: {"name": "New", "scheme": foreign["scheme"].pk},),
    "program_items_create": (
        lambda own, foreign: {"program": foreign["program"].pk, "exercise": own["exercise"].pk},
        lambda own, foreign: {"program": own["program"].pk, "exercise": foreign["exercise"].pk},
    ),
    "patients_create": (
        lambda own, foreign: {"first_name": "New", "therapist": foreign["therapist"].pk},
    ),
    "assignments_create": (
        lambda own, foreign: {
            "patient": foreign["patient"].pk,
            "program": own["program"].pk,
            "start_date": "2026-03-02",
        },
        lambda own, foreign: {
            "patient": own["patient"].pk,
            "program": foreign["program"].pk,
            "start_date": "2026-03-02",
        },
        lambda own, foreign: {
            "patient": own["patient"].pk,
            "program": own["program"].pk,
            "therapist": foreign["therapist"].pk,
            "start_date": "2026-03-02",
        },
    ),
    "sessions_create": (lambda own, foreign: {"assignment": foreign["assignment"].pk},),
    "checkins_create": (lambda own, foreign: {"session": foreign["session"].pk, "answer": "fine"},),
    "messages_create": (lambda own, foreign: {"patient": foreign["patient"].pk, "body": "Hi"},),
    "outcome_responses_create": (
        lambda own, foreign: {
            "assignment": foreign["assignment"].pk,
            "questionnaire": own["questionnaire"].pk,
        },
        lambda own, foreign: {
            "assignment": own["assignment"].pk,
            "questionnaire": foreign["questionnaire"].pk,
        },
    ),
}

OBJECT_ACTIONS = (
    "retrieve",
    "partial_update",
    "destroy",
    "log_create",
    "finish_create",
    "answer_create",
    "submit_create",
    "correct_create",
    # An exercise's picture file: through the foreign exercise (the picture itself is
    # tests/api/test_exercise_pictures.py's).
    "pictures_retrieve",
)
# The other parameters of an object's path, filled in so that only the id is in question.
OTHER_PATH_PARAMETERS = {"{picture_id}": str(MISSING_ID), "{size}": "large"}
RESOURCES = {
    "exercises": "exercise",
    "programs": "program",
    "program_items": "programitem",
    "patients": "patient",
    "assignments": "assignment",
    "sessions": "session",
    "checkins": "checkin",
    "reminders": "reminder",
    "messages": "message",
    "questionnaires": "questionnaire",
    "outcome_responses": "outcomeresponse",
}


REPORTS = {"reports_adherence_retrieve": "patient"}


def case_for(operation_id: str) -> Case | None:
    if operation_id in REPORTS:
        return Case("report", REPORTS[operation_id])
    for prefix, model in RESOURCES.items():
        if not operation_id.startswith(prefix + "_"):
            continue
        action = operation_id.removeprefix(prefix + "_")
        if action == "list":
            return Case("list", model)
        if action in OBJECT_ACTIONS:
            return Case("object", model)
        if action == "create" and operation_id in CREATES:
            return Case("create", model, CREATES[operation_id])
    return None


def schema_operations() -> dict[str, tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        operation["operationId"]: (method.upper(), path)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }


def test_every_operation_of_the_schema_has_a_tenancy_case():
    operations = schema_operations()
    uncovered = {op for op in operations if case_for(op) is None}
    assert not uncovered, f"Operations without a tenancy case: {sorted(uncovered)}"
    assert set(CREATES) <= set(operations), "a create case names an operation that is gone"


def model_of(name):
    return next(m for m in apps.get_models() if m._meta.model_name == name)


def snapshot(rows: dict) -> dict:
    return {
        name: type(row).objects.filter(pk=row.pk).values().first() for name, row in rows.items()
    }


def walk(client, own: dict, foreign: dict) -> list[str]:
    """Run every operation against the foreign rows; return what leaked."""
    leaks = []
    before = snapshot(foreign)
    counts = {m: m.objects.count() for m in apps.get_models()}
    for operation_id, (method, path) in sorted(schema_operations().items()):
        case = case_for(operation_id)
        if case.model not in foreign:
            continue  # no row of that kind to attack (e.g. nothing of erin's is an exercise)
        if case.kind == "list":
            response = client.get(path)
            if response.status_code == 200:
                listed = {row["id"] for row in response.json()["results"]}
                if foreign[case.model].pk in listed:
                    leaks.append(f"{operation_id}: lists the foreign row")
            elif response.status_code != 403:
                leaks.append(f"{operation_id}: answered {response.status_code}")
        elif case.kind == "report":
            leaks += report_leaks(client, operation_id, path, foreign)
        elif case.kind == "object":
            for parameter, value in OTHER_PATH_PARAMETERS.items():
                path = path.replace(parameter, value)
            foreign_path = path.replace("{id}", str(foreign[case.model].pk))
            missing_path = path.replace("{id}", str(MISSING_ID))
            body = {"name": "changed", "note": "changed", "first_name": "changed"}
            answer = client.generic(method, foreign_path, body).status_code
            missing = client.generic(method, missing_path, body).status_code
            if answer != missing or answer not in (403, 404):
                leaks.append(f"{operation_id}: {answer} (a missing object: {missing})")
        else:
            for make_body in case.bodies:
                try:
                    body = make_body(own, foreign)
                except KeyError:
                    continue  # the foreign side has no row of that kind
                response = client.post(path, body, format="json")
                if response.status_code == 201:
                    created = model_of(case.model).objects.get(pk=response.json()["id"])
                    if created.clinic_id != own["patient"].clinic_id:
                        leaks.append(f"{operation_id}: created in another clinic")
                    created.delete()
                    counts = {m: m.objects.count() for m in apps.get_models()}
                elif response.status_code not in (400, 403):
                    leaks.append(f"{operation_id}: answered {response.status_code}")
                elif response.status_code == 400 and not response.json()["fields"]:
                    leaks.append(f"{operation_id}: refused, but not for the foreign key")
    if snapshot(foreign) != before:
        leaks.append("a foreign row was changed or deleted")
    # The trail of what the caller did (audit events, the record of a CSV export) may grow.
    changed = {m._meta.label for m in apps.get_models() if m.objects.count() != counts[m]} - {
        "clinic.AuditEvent",
        "reports.ReportExport",
        "admin.LogEntry",
        "sessions.Session",
    }
    if changed:
        leaks.append(f"rows were written: {sorted(changed)}")
    return leaks


def report_leaks(client, operation_id: str, path: str, foreign: dict) -> list[str]:
    leaks = []
    patient = foreign["patient"]
    response = client.get(path)
    if response.status_code == 200:
        if patient.pk in {row["patient_id"] for row in response.json()["results"]}:
            leaks.append(f"{operation_id}: lists the foreign patient")
        csv = b"".join(client.get(path, HTTP_ACCEPT="text/csv").streaming_content).decode()
        if str(patient) in csv:
            leaks.append(f"{operation_id}: the CSV shows the foreign patient")
    elif response.status_code != 403:
        leaks.append(f"{operation_id}: answered {response.status_code}")
    for name, key in (("therapist", "therapist"), ("program", "program")):
        if key in foreign:
            status = client.get(path, {name: foreign[key].pk}).status_code
            if status not in (400, 403):
                leaks.append(f"{operation_id}: filtering by a foreign {name} answered {status}")
    return leaks


def test_clinic_a_reaches_nothing_of_clinic_b(clinic_a_api, rows_of_clinic_a, rows_of_clinic_b):
    assert walk(clinic_a_api, rows_of_clinic_a, rows_of_clinic_b) == []


def test_a_therapist_of_clinic_a_reaches_nothing_of_clinic_b(
    alice, rows_of_clinic_a, rows_of_clinic_b
):
    assert walk(client_logged_in(alice), rows_of_clinic_a, rows_of_clinic_b) == []


@pytest.mark.parametrize("other", ["rows_of_erin", "rows_of_clinic_b"])
def test_a_patient_reaches_nothing_of_another_patient(
    carol_api, rows_of_clinic_a, rows_of_erin, rows_of_clinic_b, other, request
):
    foreign = request.getfixturevalue(other)
    assert walk(carol_api, rows_of_clinic_a, foreign) == []


def test_the_walk_finds_a_leak_when_a_view_forgets_its_tenancy(
    clinic_a_api, rows_of_clinic_a, rows_of_clinic_b, monkeypatch
):
    from api.patients import ReminderViewSet
    from patients.models import Reminder

    monkeypatch.setattr(ReminderViewSet, "get_queryset", lambda self: Reminder.objects.all())
    leaks = walk(clinic_a_api, rows_of_clinic_a, rows_of_clinic_b)
    assert "reminders_list: lists the foreign row" in leaks
    assert any(leak.startswith("reminders_retrieve: 200") for leak in leaks)
