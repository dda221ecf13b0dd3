"""Uploading exercise pictures in the admin: checked by content, stripped, resized."""

import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from programs.models import ExercisePicture
from programs.pictures import LARGE, THUMB, picture_prepare
from programs.services import exercise_picture_add
from tests.factories import ExerciseFactory
from tests.pictures import BAD_UPLOADS, photo_bytes

from .test_admin_exercises import change_url, exercise_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices_exercise(clinic_a):
    return ExerciseFactory(clinic=clinic_a, name="Alice's bridge", key="alices-bridge")


def upload_form(
    exercise, content: bytes, name: str, alt="Lying on the back, knees bent", alt_de=""
):
    return exercise_form(
        name=exercise.name,
        key=exercise.key,
        **{
            "pictures-TOTAL_FORMS": "1",
            "pictures-0-upload": SimpleUploadedFile(name, content),
            "pictures-0-alt_text": alt,
            "pictures-0-alt_text_de": alt_de,
            "pictures-0-order": "0",
        },
    )


def stored_files() -> list:
    root = settings.MEDIA_ROOT
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_alice_uploads_a_photo_stored_resized_and_without_its_location(
    client, alice, alices_exercise
):
    client.force_login(alice)
    response = client.post(
        change_url(alices_exercise), upload_form(alices_exercise, photo_bytes(), "IMG_0042.JPG")
    )
    assert response.status_code == 302, response.content[:3000]
    picture = ExercisePicture.objects.get(exercise=alices_exercise)
    assert picture.alt_text == "Lying on the back, knees bent"
    assert (picture.alt_text_en, picture.alt_text_de) == ("Lying on the back, knees bent", None)
    assert (picture.width, picture.height) == (LARGE, LARGE * 2 // 3)
    for field, long_side in ((picture.large, LARGE), (picture.thumb, THUMB)):
        with field.open("rb") as stored:
            image = Image.open(io.BytesIO(stored.read()))
        assert image.format == "WEBP"
        assert max(image.size) == long_side
        assert not image.getexif()
        assert "exif" not in image.info
    assert sorted(path.name for path in stored_files()) == sorted(
        [picture.large.name.split("/")[-1], picture.thumb.name.split("/")[-1]]
    )
    assert "IMG_0042" not in picture.large.name


def test_a_png_keeps_its_transparency(client, alice, alices_exercise):
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    image.paste((20, 20, 20, 255), (100, 50, 200, 150))
    out = io.BytesIO()
    image.save(out, "PNG")
    client.force_login(alice)
    response = client.post(
        change_url(alices_exercise), upload_form(alices_exercise, out.getvalue(), "drawing.png")
    )
    assert response.status_code == 302
    picture = ExercisePicture.objects.get(exercise=alices_exercise)
    with picture.large.open("rb") as stored:
        assert Image.open(io.BytesIO(stored.read())).mode == "RGBA"


@pytest.mark.parametrize("kind", BAD_UPLOADS)
def test_a_bad_upload_is_refused_with_a_clear_message_and_nothing_is_stored(
    client, alice, alices_exercise, kind
):
    make, name, message = BAD_UPLOADS[kind]
    client.force_login(alice)
    response = client.post(change_url(alices_exercise), upload_form(alices_exercise, make(), name))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "errorlist" in response.content.decode()
    assert not ExercisePicture.objects.exists()
    assert stored_files() == []


def test_a_pictures_description_is_written_per_language(client, alice, alices_exercise):
    client.force_login(alice)
    form = upload_form(
        alices_exercise, photo_bytes(), "knees.jpg", alt_de="In Rückenlage, Knie gebeugt"
    )
    assert client.post(change_url(alices_exercise), form).status_code == 302
    picture = ExercisePicture.objects.get(exercise=alices_exercise)
    assert picture.alt_text_de == "In Rückenlage, Knie gebeugt"
    assert picture.missing_translations == ["es"]


def test_a_picture_needs_its_alt_text(client, alice, alices_exercise):
    client.force_login(alice)
    response = client.post(
        change_url(alices_exercise), upload_form(alices_exercise, photo_bytes(), "a.jpg", alt="")
    )
    assert response.status_code == 200
    assert not ExercisePicture.objects.exists()
    assert stored_files() == []


def test_deleting_a_picture_removes_its_files(client, alice, alices_exercise):
    client.force_login(alice)
    client.post(change_url(alices_exercise), upload_form(alices_exercise, photo_bytes(), "a.jpg"))
    picture = ExercisePicture.objects.get()
    form = exercise_form(
        name=alices_exercise.name,
        key=alices_exercise.key,
        **{
            "pictures-TOTAL_FORMS": "1",
            "pictures-INITIAL_FORMS": "1",
            "pictures-0-id": picture.pk,
            "pictures-0-exercise": alices_exercise.pk,
            "pictures-0-alt_text": picture.alt_text,
            "pictures-0-order": "0",
            "pictures-0-DELETE": "on",
        },
    )
    response = client.post(change_url(alices_exercise), form)
    assert response.status_code == 302
    assert not ExercisePicture.objects.exists()


def test_bob_cannot_add_a_picture_to_alices_exercise(client, bob, alices_exercise):
    client.force_login(bob)
    response = client.post(
        change_url(alices_exercise), upload_form(alices_exercise, photo_bytes(), "a.jpg")
    )
    assert response.status_code in (302, 404)
    assert not ExercisePicture.objects.exists()
    assert stored_files() == []


def test_the_change_page_previews_a_picture_through_the_scoped_address(
    client, alice, alices_exercise
):
    client.force_login(alice)
    client.post(change_url(alices_exercise), upload_form(alices_exercise, photo_bytes(), "a.jpg"))
    picture = ExercisePicture.objects.get()
    page = client.get(change_url(alices_exercise)).content.decode()
    assert reverse("patients:picture", args=[picture.pk, "thumb"]) in page
    assert 'enctype="multipart/form-data"' in page


def test_copy_to_my_clinic_copies_the_pictures_as_the_clinics_own_files(
    client, alice, bob, clinic_a, django_capture_on_commit_callbacks
):
    shared = ExerciseFactory(clinic=None, name="Shared bridge", key="shared-bridge")
    for order, alt in ((1, "Hips up"), (0, "Lying, knees bent")):
        prepared = picture_prepare(SimpleUploadedFile("a.jpg", photo_bytes(size=(600, 400))))
        exercise_picture_add(exercise=shared, prepared=prepared, alt_text=alt, order=order)
    client.force_login(alice)
    response = client.post(
        reverse("admin:programs_exercise_changelist"),
        {"action": "copy_to_my_clinic", "_selected_action": [shared.pk]},
    )
    assert response.status_code == 302
    copy = ExercisePicture.objects.filter(exercise__clinic=clinic_a)
    originals = list(shared.pictures.all())
    copies = list(copy.order_by("order"))
    assert [(p.alt_text, p.order, p.width, p.height) for p in copies] == [
        (p.alt_text, p.order, p.width, p.height) for p in originals
    ]
    for original, copied in zip(originals, copies, strict=True):
        for size in ("large", "thumb"):
            mine, theirs = copied.file_for(size), original.file_for(size)
            assert mine.name.startswith(f"exercise-pictures/{clinic_a.pk}/")
            assert mine.name != theirs.name
            with mine.open("rb") as a, theirs.open("rb") as b:
                assert a.read() == b.read()
    assert len(stored_files()) == 8
    # The copy's pictures are the clinic's: its staff see them, another clinic's do not.
    first = reverse("patients:picture", args=[copies[0].pk, "large"])
    assert client.get(first).status_code == 200
    client.force_login(bob)
    assert client.get(first).status_code == 404
    # Deleting the copy's pictures leaves the shared exercise's files alone.
    with django_capture_on_commit_callbacks(execute=True):
        copy.delete()
    assert len(stored_files()) == 4
    for original in originals:
        with original.large.open("rb") as stored:
            assert stored.read()
