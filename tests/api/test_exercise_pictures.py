"""Exercise pictures in the API: listed with each exercise, their files for the same caller."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from programs.pictures import picture_prepare
from programs.services import exercise_picture_add
from tests.factories import ExerciseFactory
from tests.pictures import photo_bytes

from .conftest import client_logged_in

pytestmark = pytest.mark.django_db


def picture_of(exercise, alt: str, order: int = 0):
    prepared = picture_prepare(SimpleUploadedFile("a.jpg", photo_bytes(size=(600, 400))))
    return exercise_picture_add(exercise=exercise, prepared=prepared, alt_text=alt, order=order)


@pytest.fixture
def bridge(clinic_a):
    exercise = ExerciseFactory(clinic=clinic_a, name="Bridge", key="bridge")
    picture_of(exercise, "Hips up", order=1)
    picture_of(exercise, "Lying, knees bent", order=0)
    return exercise


def test_an_exercise_lists_its_pictures_in_order_with_their_files(clinic_a_api, bridge):
    response = clinic_a_api.get(f"/api/v1/exercises/{bridge.pk}/")
    assert response.status_code == 200
    pictures = response.json()["pictures"]
    assert [(p["alt_text"], p["order"], p["width"], p["height"]) for p in pictures] == [
        ("Lying, knees bent", 0, 600, 400),
        ("Hips up", 1, 600, 400),
    ]
    first = pictures[0]
    assert first["url"].startswith("http")
    assert first["url"].endswith(f"/api/v1/exercises/{bridge.pk}/pictures/{first['id']}/large/")
    for key, long_side in (("url", 600), ("thumb_url", 320)):
        file = clinic_a_api.get(first[key])
        assert file.status_code == 200
        assert file["Content-Type"] == "image/webp"
        image = Image.open(io.BytesIO(b"".join(file.streaming_content)))
        assert max(image.size) == long_side


def test_the_exercise_list_carries_the_pictures_too(alice_api, bridge):
    rows = alice_api.get("/api/v1/exercises/", {"name": "Bridge"}).json()["results"]
    assert [p["alt_text"] for p in rows[0]["pictures"]] == ["Lying, knees bent", "Hips up"]


def test_pictures_cannot_be_written_through_the_api(clinic_a_api, bridge):
    response = clinic_a_api.patch(
        f"/api/v1/exercises/{bridge.pk}/",
        {"pictures": [{"alt_text": "Mine", "url": "https://evil.example/x.webp"}]},
        format="json",
    )
    assert response.status_code == 200
    assert [p.alt_text for p in bridge.pictures.all()] == ["Lying, knees bent", "Hips up"]


def test_another_clinics_staff_cannot_fetch_the_pictures(bob, bridge):
    bob_api = client_logged_in(bob)
    picture = bridge.pictures.first()
    assert bob_api.get(f"/api/v1/exercises/{bridge.pk}/").status_code == 404
    for size in ("large", "thumb"):
        url = f"/api/v1/exercises/{bridge.pk}/pictures/{picture.pk}/{size}/"
        assert bob_api.get(url).status_code == 404
    # Not through an exercise of their own either.
    bobs = ExerciseFactory(clinic=bob.staff.clinic, name="Bob's", key="bobs")
    assert (
        bob_api.get(f"/api/v1/exercises/{bobs.pk}/pictures/{picture.pk}/large/").status_code == 404
    )


def test_a_patient_cannot_fetch_pictures_through_the_api(carol_api, bridge):
    picture = bridge.pictures.first()
    url = f"/api/v1/exercises/{bridge.pk}/pictures/{picture.pk}/large/"
    assert carol_api.get(url).status_code == 403


def test_without_credentials_there_is_no_picture(client, bridge):
    picture = bridge.pictures.first()
    url = f"/api/v1/exercises/{bridge.pk}/pictures/{picture.pk}/large/"
    assert client.get(url).status_code in (401, 403)


def test_an_unknown_size_or_picture_is_not_found(clinic_a_api, bridge):
    picture = bridge.pictures.first()
    base = f"/api/v1/exercises/{bridge.pk}/pictures"
    assert clinic_a_api.get(f"{base}/{picture.pk}/huge/").status_code == 404
    assert clinic_a_api.get(f"{base}/{picture.pk + 1000}/large/").status_code == 404
