"""Behaviour of the API beyond tenancy: roles, the shared library, errors, paging,
filters, throttling, progress on the assignment detail, and the offline docs."""

import datetime

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache

from clinic.models import AuditEvent
from patients.progress import local_today
from programs.models import Exercise
from reports.models import ReportExport

from ..factories import ExerciseFactory


def test_the_shared_library_is_listed_but_read_only(alice_api, rows_of_clinic_a):
    shared = ExerciseFactory(clinic=None, name="90-90 hip flexor stretch", key="ninety-ninety")
    listed = alice_api.get("/api/v1/exercises/", {"shared": "true"}).json()["results"]
    assert [row["id"] for row in listed] == [shared.pk]
    response = alice_api.patch(f"/api/v1/exercises/{shared.pk}/", {"name": "Mine now"})
    assert response.status_code == 403
    assert alice_api.delete(f"/api/v1/exercises/{shared.pk}/").status_code == 403
    assert Exercise.objects.get(pk=shared.pk).name == "90-90 hip flexor stretch"


def test_a_therapist_creates_an_exercise_for_their_clinic(alice_api, alice):
    response = alice_api.post(
        "/api/v1/exercises/",
        {
            "key": "knee-drops",
            "name": "Knee drops",
            "category": "mobility",
            "starting_position": "lying_on_back",
            "steps": ["Lie on your back, knees bent.", "Let both knees drop to one side."],
            "reps": 5,
            "side": "each_way",
            "video_url": "https://youtu.be/dQw4w9WgXcQ",
        },
    )
    assert response.status_code == 201, response.json()
    exercise = Exercise.objects.get(pk=response.json()["id"])
    assert exercise.clinic_id == alice.staff.clinic_id
    assert (exercise.video_provider, exercise.video_id) == ("youtube", "dQw4w9WgXcQ")


def test_errors_have_one_shape(alice_api, rows_of_clinic_a):
    exercise = rows_of_clinic_a["exercise"]
    invalid = alice_api.patch(
        f"/api/v1/exercises/{exercise.pk}/", {"hold_seconds": 30, "hold_seconds_max": 10}
    )
    assert invalid.status_code == 400
    assert invalid.json() == {
        "status": 400,
        "code": "invalid",
        "detail": "Invalid input.",
        "fields": {"hold_seconds_max": ["The upper value needs a lower value below it."]},
    }
    duplicate = alice_api.post(
        "/api/v1/exercises/",
        {
            "key": "other",
            "name": exercise.name,
            "category": "stretch",
            "starting_position": "chair",
        },
    )
    assert duplicate.status_code == 400
    assert duplicate.json()["detail"] == "Exercise with this Clinic and Name already exists."
    missing = alice_api.get("/api/v1/exercises/2000000000/")
    assert missing.json() == {
        "status": 404,
        "code": "not_found",
        "detail": "Not found.",
        "fields": {},
    }


def test_a_patient_sees_only_their_own_rows_and_cannot_write_them(carol, carol_api, rows_of_erin):
    listed = carol_api.get("/api/v1/assignments/").json()["results"]
    assert listed and {row["patient"] for row in listed} == {carol.pk}
    own = listed[0]["id"]
    assert carol_api.patch(f"/api/v1/assignments/{own}/", {"advanced": True}).status_code == 403
    assert carol_api.get("/api/v1/exercises/").status_code == 403


def test_lists_are_paged_filtered_and_ordered(alice_api, clinic_a):
    for name in ["Cat-cow", "Bridge", "Apple picking"]:
        ExerciseFactory(clinic=clinic_a, name=name, category="mobility")
    ExerciseFactory(clinic=clinic_a, name="Zed stretch", category="stretch")
    page = alice_api.get(
        "/api/v1/exercises/", {"category": "mobility", "ordering": "-name", "page_size": 2}
    ).json()
    assert page["count"] == 3
    assert [row["name"] for row in page["results"]] == ["Cat-cow", "Bridge"]
    assert page["next"] is not None
    invalid = alice_api.get("/api/v1/exercises/", {"category": "yoga"})
    assert invalid.status_code == 400 and "category" in invalid.json()["fields"]


def test_the_assignment_detail_shows_stage_planned_days_and_history(alice_api, rows_of_clinic_a):
    assignment = rows_of_clinic_a["assignment"]
    detail = alice_api.get(f"/api/v1/assignments/{assignment.pk}/").json()
    progress = detail["progress"]
    assert progress["current_stage"]["code"] == "start"
    assert len(progress["current_week"]["planned_days"]) == 2
    assert isinstance(progress["changes"], list)
    listed = alice_api.get("/api/v1/assignments/").json()["results"][0]
    assert "progress" not in listed


@pytest.mark.parametrize("scope", ["token", "user"])
def test_requests_are_throttled_per_token_and_per_user(scope, clinic_a_api, alice_api, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/min", "user": "2/min", "token": "3/min"},
    }
    client, allowed = (clinic_a_api, 3) if scope == "token" else (alice_api, 2)
    statuses = [client.get("/api/v1/exercises/").status_code for _ in range(allowed + 1)]
    assert statuses == [200] * allowed + [429]
    other = alice_api if scope == "token" else clinic_a_api
    assert other.get("/api/v1/exercises/").status_code == 200
    cache.clear()


def test_the_docs_are_served_without_outside_network(client, alice):
    client.force_login(alice)
    page = client.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "https://" not in page.replace("https://swagger.io", "")
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert client.get("/api/schema/").status_code == 200


def test_the_schema_and_docs_are_not_public(client, carol):
    assert client.get("/api/schema/").status_code == 401
    docs = client.get("/api/docs/")
    assert (docs.status_code, docs["Location"]) == (302, "/admin/login/?next=/api/docs/")
    client.force_login(carol.user)  # a patient is signed in, but not staff
    assert client.get("/api/schema/").status_code == 403
    assert client.get("/api/docs/").status_code == 403


def test_staff_read_the_schema_with_a_session_or_a_token(alice_api, clinic_a_api):
    assert alice_api.get("/api/schema/").status_code == 200
    assert clinic_a_api.get("/api/schema/").status_code == 200
    assert clinic_a_api.get("/api/docs/").status_code == 200


def test_a_setting_opens_the_schema_and_docs_to_anyone(client, settings):
    settings.FLEXION_API_DOCS_PUBLIC = True
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


@pytest.fixture
def carols_assignment(carol, rows_of_clinic_a):
    """carol's assignment, started a week ago, with one prescribed exercise."""
    assignment = rows_of_clinic_a["assignment"]
    assignment.start_date = local_today(assignment) - datetime.timedelta(days=7)
    assignment.save(update_fields=["start_date"])
    return assignment


def test_a_patient_does_a_session_through_the_api(carol_api, carols_assignment, rows_of_erin):
    started = carol_api.post("/api/v1/sessions/", {"assignment": carols_assignment.pk})
    assert started.status_code == 201, started.json()
    session = started.json()
    assert session["status"] == "in_progress"
    again = carol_api.post("/api/v1/sessions/", {"assignment": carols_assignment.pk})
    assert again.json()["id"] == session["id"]  # a second Start resumes the same session

    item = carols_assignment.items.get()
    logged = carol_api.post(
        f"/api/v1/sessions/{session['id']}/log/",
        {"item": item.pk, "sets_done": 1, "reps_done": 2, "pain": 3},
    )
    assert logged.status_code == 200, logged.json()
    assert [(log["item"], log["pain"]) for log in logged.json()["logs"]] == [(item.pk, 3)]

    erins_item = rows_of_erin["prescriptionitem"]
    foreign = carol_api.post(
        f"/api/v1/sessions/{session['id']}/log/", {"item": erins_item.pk, "sets_done": 1}
    )
    assert foreign.status_code == 400 and "item" in foreign.json()["fields"]

    finished = carol_api.post(
        f"/api/v1/sessions/{session['id']}/finish/", {"effort": 4, "note": "Easy"}
    )
    assert finished.json()["status"] == "completed"
    assert finished.json()["effort"] == 4


def test_a_patient_logs_a_session_done_earlier(carol_api, carols_assignment):
    yesterday = local_today(carols_assignment) - datetime.timedelta(days=1)
    response = carol_api.post(
        "/api/v1/sessions/",
        {"assignment": carols_assignment.pk, "performed_on": yesterday.isoformat(), "effort": 3},
    )
    assert response.status_code == 201, response.json()
    assert response.json()["logged_afterwards"] is True
    assert response.json()["status"] == "completed"
    too_old = carol_api.post(
        "/api/v1/sessions/",
        {
            "assignment": carols_assignment.pk,
            "performed_on": (yesterday - datetime.timedelta(days=10)).isoformat(),
        },
    )
    assert too_old.status_code == 400
    assert too_old.json()["fields"] == {
        "performed_on": ["Sessions can be logged up to 7 days back."]
    }


def test_staff_cannot_log_sessions_for_a_patient(alice_api, carols_assignment):
    response = alice_api.post("/api/v1/sessions/", {"assignment": carols_assignment.pk})
    assert response.status_code == 403


def test_a_patient_answers_the_next_day_check_in(carol_api, carols_assignment):
    yesterday = local_today(carols_assignment) - datetime.timedelta(days=1)
    session = carol_api.post(
        "/api/v1/sessions/",
        {"assignment": carols_assignment.pk, "performed_on": yesterday.isoformat()},
    ).json()
    response = carol_api.post("/api/v1/checkins/", {"session": session["id"], "answer": "sore"})
    assert response.status_code == 201, response.json()
    assert response.json()["answer"] == "sore"
    today = carol_api.post("/api/v1/sessions/", {"assignment": carols_assignment.pk}).json()
    early = carol_api.post("/api/v1/checkins/", {"session": today["id"], "answer": "fine"})
    assert early.status_code == 400
    assert early.json()["detail"] == "This session is not finished yet."


def test_a_therapist_assigns_a_program_through_the_api(alice_api, alice, rows_of_clinic_a):
    patient, program = rows_of_clinic_a["patient"], rows_of_clinic_a["program"]
    response = alice_api.post(
        "/api/v1/assignments/",
        {
            "patient": patient.pk,
            "program": program.pk,
            "therapist": alice.staff.pk,
            "start_date": "2026-03-02",
            "reminder_time": "07:30",
            "preferred_weekdays": [0, 3],
        },
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["reminder_time"] == "07:30"
    assert [item["exercise"] for item in created["items"]] == [
        item.exercise_id for item in program.items.all()
    ]
    assert created["progress"]["current_stage"]["code"] == "start"


def test_reads_and_writes_of_patient_data_are_in_the_audit_trail(
    clinic_a_api, token_of_clinic_a, rows_of_clinic_a, rows_of_clinic_b
):
    token, _key = token_of_clinic_a
    session = rows_of_clinic_a["session"]
    clinic_a_api.get("/api/v1/sessions/")
    clinic_a_api.get(f"/api/v1/sessions/{session.pk}/")
    clinic_a_api.patch(f"/api/v1/patients/{session.patient_id}/", {"last_name": "Ng"})
    clinic_a_api.get(f"/api/v1/sessions/{rows_of_clinic_b['session'].pk}/")
    events = AuditEvent.objects.filter(actor=token.user).order_by("pk")
    assert [(e.action, e.object_type, e.patient_id) for e in events] == [
        ("view", "", None),
        ("view", "patients.session", session.patient_id),
        ("change", "patients.patient", session.patient_id),
        ("denied", "patients.session", None),
    ]
    assert events[0].extra["list"] == "/api/v1/sessions/"


def test_the_adherence_report_answers_json_and_csv(
    alma, clinic_a_api, carol_api, rows_of_clinic_a, rows_of_clinic_b
):
    report = clinic_a_api.get("/api/v1/reports/adherence/").json()
    carol = rows_of_clinic_a["patient"]
    assert [row["patient_id"] for row in report["results"]] == [carol.pk]
    assert report["planned"] >= report["counted"] >= 0
    csv = clinic_a_api.get("/api/v1/reports/adherence/", HTTP_ACCEPT="text/csv")
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert lines[0].startswith("patient_id,patient,program")
    assert len(lines) == 2 and lines[1].startswith(f"{carol.pk},{carol}")
    export = ReportExport.objects.get()
    assert (export.via, export.format, export.clinic) == ("api", "csv", alma.staff.clinic)
    bad = clinic_a_api.get(
        "/api/v1/reports/adherence/",
        {"start": "2026-05-01", "end": "2026-04-01"},
        HTTP_ACCEPT="text/csv",
    )
    assert bad.status_code == 400 and bad["Content-Type"] == "application/json"
    assert carol_api.get("/api/v1/reports/adherence/").status_code == 403
