"""Exercise pictures are served to the clinic's staff and to the patients doing the exercise."""

import datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from patients.models import PrescriptionItem
from programs.pictures import picture_prepare
from programs.services import exercise_picture_add
from tests.factories import AssignmentFactory, ExerciseFactory
from tests.pictures import photo_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def picture(clinic_a, carol):
    exercise = ExerciseFactory(clinic=clinic_a, name="Bridge", key="bridge")
    prepared = picture_prepare(SimpleUploadedFile("a.jpg", photo_bytes(size=(600, 400))))
    assignment = AssignmentFactory(patient=carol)
    PrescriptionItem.objects.create(assignment=assignment, exercise=exercise, order=0)
    return exercise_picture_add(exercise=exercise, prepared=prepared, alt_text="Hips up")


def url(picture, size="large"):
    return reverse("patients:picture", args=[picture.pk, size])


@pytest.mark.parametrize("who", ["alice", "carol"])
def test_the_clinics_staff_and_the_patient_doing_it_get_the_picture(client, picture, who, request):
    user = request.getfixturevalue(who)
    client.force_login(getattr(user, "user", user))
    for size in ("large", "thumb"):
        response = client.get(url(picture, size))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/webp"
        assert response["Cache-Control"] == "private, max-age=31536000, immutable"
        assert b"".join(response.streaming_content)[:4] == b"RIFF"


@pytest.mark.parametrize("who", ["bob", "dave", "erin"])
def test_another_clinic_or_a_patient_not_doing_it_gets_404(client, picture, who, request):
    user = request.getfixturevalue(who)
    client.force_login(getattr(user, "user", user))
    response = client.get(url(picture))
    assert response.status_code == 404
    assert b"RIFF" not in response.content


def test_signed_out_or_unknown_sizes_get_404(client, picture, alice):
    assert client.get(url(picture)).status_code == 404
    client.force_login(alice)
    assert client.get(reverse("patients:picture", args=[picture.pk, "original"])).status_code == 404
    assert (
        client.get(reverse("patients:picture", args=[picture.pk + 999, "large"])).status_code == 404
    )


def test_the_player_shows_the_picture_with_its_alt_text(client, picture, carol):
    from patients.player import session_start

    item = PrescriptionItem.objects.get(exercise=picture.exercise)
    session = session_start(assignment=item.assignment, today=item.assignment.start_date)
    client.force_login(carol.user)
    page = client.get(reverse("patients:session", args=[session.pk])).content.decode()
    assert f'src="{url(picture)}" alt="Hips up"' in page


def test_every_starter_drawing_is_a_shipped_file_of_a_starter_exercise():
    import json

    from django.conf import settings
    from django.contrib.staticfiles import finders

    from programs.pictures import STARTER_DRAWINGS

    keys = {
        entry["key"]
        for entry in json.loads((settings.BASE_DIR / "programs/starter/exercises.json").read_text())
    }
    assert set(STARTER_DRAWINGS) <= keys
    for key in STARTER_DRAWINGS:
        drawing = finders.find(f"programs/starter/{key}.svg")
        assert drawing, key
        text = Path(drawing).read_text(encoding="utf-8")
        assert "<script" not in text and 'href="http' not in text


def test_a_starter_exercise_without_pictures_shows_its_drawing_in_the_player(client, carol):
    from django.templatetags.static import static

    from patients.player import session_start
    from tests.patients.back_pain import back_pain_assignment

    assignment = back_pain_assignment(carol, datetime.date.today())
    session = session_start(assignment=assignment)
    client.force_login(carol.user)
    page = client.get(reverse("patients:session", args=[session.pk])).content.decode()
    assert f'src="{static("programs/starter/ninety-ninety-hip-flexor-stretch.svg")}"' in page
    assert 'alt="Kneeling on one knee on a mat' in page


def test_a_picture_added_later_shows_in_a_warm_player_at_once(client, clinic_a, carol):
    from patients.player import session_start

    exercise = ExerciseFactory(clinic=clinic_a, name="Clam", key="clam")
    assignment = AssignmentFactory(patient=carol)
    PrescriptionItem.objects.create(assignment=assignment, exercise=exercise, order=0)
    session = session_start(assignment=assignment, today=assignment.start_date)
    client.force_login(carol.user)
    player = reverse("patients:session", args=[session.pk])
    assert "Knees apart" not in client.get(player).content.decode()
    prepared = picture_prepare(SimpleUploadedFile("a.jpg", photo_bytes(size=(300, 200))))
    picture = exercise_picture_add(exercise=exercise, prepared=prepared, alt_text="Knees apart")
    assert f'src="{url(picture)}" alt="Knees apart"' in client.get(player).content.decode()
    picture.delete()
    assert "Knees apart" not in client.get(player).content.decode()
