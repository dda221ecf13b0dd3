"""The clinic's logo: uploaded on the clinic's page, checked like exercise pictures."""

import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from clinic.images import LOGO_LONG_SIDE
from tests.pictures import BAD_UPLOADS, photo_bytes

pytestmark = pytest.mark.django_db


def clinic_url(clinic):
    return reverse("admin:clinic_clinic_change", args=[clinic.pk])


def clinic_form(clinic, **extra) -> dict:
    return {
        "name": clinic.name,
        "timezone": clinic.timezone,
        "reminder_time": "08:00",
        **extra,
    }


def logo_upload(content: bytes, name: str = "logo.png") -> dict:
    return {"logo_upload": SimpleUploadedFile(name, content)}


def stored_files() -> list:
    root = settings.MEDIA_ROOT
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_alma_uploads_the_logo_stored_resized_and_without_its_location(client, alma, clinic_a):
    client.force_login(alma)
    response = client.post(
        clinic_url(clinic_a), clinic_form(clinic_a, **logo_upload(photo_bytes(), "IMG_1.JPG"))
    )
    assert response.status_code == 302, response.content[:3000]
    clinic_a.refresh_from_db()
    assert clinic_a.logo.name.startswith(f"clinic-logos/{clinic_a.pk}/")
    assert "IMG_1" not in clinic_a.logo.name
    with clinic_a.logo.open("rb") as stored:
        image = Image.open(io.BytesIO(stored.read()))
    assert image.format == "WEBP"
    assert max(image.size) == LOGO_LONG_SIDE
    assert not image.getexif()
    assert "exif" not in image.info
    assert [path.name for path in stored_files()] == [clinic_a.logo.name.split("/")[-1]]
    page = client.get(clinic_url(clinic_a)).text
    assert 'src="data:image/webp;base64,' in page  # the current logo, shown from storage


def test_a_new_logo_replaces_the_old_one_and_removing_it_removes_its_file(
    client, alma, clinic_a, django_capture_on_commit_callbacks
):
    client.force_login(alma)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(clinic_url(clinic_a), clinic_form(clinic_a, **logo_upload(photo_bytes())))
    clinic_a.refresh_from_db()
    first = clinic_a.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            clinic_url(clinic_a),
            clinic_form(clinic_a, **logo_upload(photo_bytes(size=(500, 500)))),
        )
    clinic_a.refresh_from_db()
    assert clinic_a.logo.name != first
    assert [path.name for path in stored_files()] == [clinic_a.logo.name.split("/")[-1]]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(clinic_url(clinic_a), clinic_form(clinic_a, logo_remove="on"))
    assert response.status_code == 302
    clinic_a.refresh_from_db()
    assert not clinic_a.logo
    assert stored_files() == []


@pytest.mark.parametrize("kind", BAD_UPLOADS)
def test_a_bad_logo_is_refused_with_a_clear_message_and_nothing_changes(
    client, alma, clinic_a, kind
):
    make, name, message = BAD_UPLOADS[kind]
    client.force_login(alma)
    response = client.post(
        clinic_url(clinic_a), clinic_form(clinic_a, name="Renamed", **logo_upload(make(), name))
    )
    assert response.status_code == 200
    assert message in response.text
    assert "errorlist" in response.text
    clinic_a.refresh_from_db()
    assert clinic_a.name == "Clinic A"
    assert not clinic_a.logo
    assert stored_files() == []


def test_a_therapist_cannot_upload_a_logo(client, alice, clinic_a):
    client.force_login(alice)
    response = client.post(
        clinic_url(clinic_a), clinic_form(clinic_a, **logo_upload(photo_bytes()))
    )
    assert response.status_code == 403
    clinic_a.refresh_from_db()
    assert not clinic_a.logo
    assert stored_files() == []


def test_a_clinic_admin_cannot_upload_another_clinics_logo(client, alma, clinic_b):
    client.force_login(alma)
    response = client.post(
        clinic_url(clinic_b), clinic_form(clinic_b, **logo_upload(photo_bytes()))
    )
    assert response.status_code in (302, 403, 404)
    clinic_b.refresh_from_db()
    assert not clinic_b.logo
    assert stored_files() == []
