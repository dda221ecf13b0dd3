"""Behaviour of the API beyond tenancy: roles, the shared library, errors, paging,
filters, throttling, progress on the assignment detail, and the offline docs."""

import pytest
from django.contrib.staticfiles import finders

from programs.models import Exercise

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
    from django.core.cache import cache

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


def test_the_docs_are_served_without_outside_network(client):
    page = client.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "https://" not in page.replace("https://swagger.io", "")
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert client.get("/api/schema/").status_code == 200
