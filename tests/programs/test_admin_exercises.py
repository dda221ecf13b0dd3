import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from programs.models import BodyRegion, Exercise
from tests.factories import ExerciseFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:programs_exercise_changelist")


def change_url(exercise):
    return reverse("admin:programs_exercise_change", args=[exercise.pk])


def exercise_form(**changes):
    data = {
        "name": "Wall calf stretch",
        "key": "wall-calf-stretch",
        "category": "stretch",
        "starting_position": "standing",
        "steps": "Stand facing a wall.\n\n  Step one foot back.  \nLean in.",
        "sets": "2",
        "reps": "3",
        "hold_seconds": "30",
        "rest_seconds": "0",
        "side": "per_side",
        "intensity": "light",
        "video_url": "",
        "variations-TOTAL_FORMS": "0",
        "variations-INITIAL_FORMS": "0",
        "pictures-TOTAL_FORMS": "0",
        "pictures-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


@pytest.fixture
def bobs_exercise(clinic_b):
    return ExerciseFactory(clinic=clinic_b, name="Bob's secret lunge")


@pytest.fixture
def alices_exercise(clinic_a):
    return ExerciseFactory(clinic=clinic_a, name="Alice's bridge")


def test_alice_lists_the_shared_library_and_her_clinics_exercises_only(
    client, alice, starter_library, alices_exercise, bobs_exercise
):
    client.force_login(alice)
    response = client.get(CHANGELIST)
    assert "Knee drops" in response.text
    assert "Alice&#x27;s bridge" in response.text
    assert "secret lunge" not in response.text


def test_the_list_filters_by_library_region_and_category(client, alice, starter_library):
    client.force_login(alice)
    ExerciseFactory(clinic=alice.staff.clinic, name="Own stretch")
    own = client.get(CHANGELIST, {"library": "own"})
    assert "Own stretch" in own.text
    assert "Knee drops" not in own.text
    shared = client.get(CHANGELIST, {"library": "shared", "category__exact": "contract_relax"})
    assert "push" in shared.text.lower()
    assert "Knee drops" not in shared.text
    ankle = BodyRegion.objects.get(code="ankle")
    ankle_only = client.get(CHANGELIST, {"body_regions__id__exact": ankle.pk})
    ankle_exercise = Exercise.objects.get(key="ankle-mobility-video")
    assert ankle_exercise.name in ankle_only.text
    assert "Knee drops" not in ankle_only.text


def test_alice_cannot_open_change_or_delete_bobs_exercise(client, alice, bobs_exercise):
    client.force_login(alice)
    response = client.get(change_url(bobs_exercise), follow=True)
    assert "secret lunge" not in response.text
    client.post(change_url(bobs_exercise), exercise_form(name="Hacked"))
    delete = reverse("admin:programs_exercise_delete", args=[bobs_exercise.pk])
    client.post(delete, {"post": "yes"})
    bobs_exercise.refresh_from_db()
    assert bobs_exercise.name == "Bob's secret lunge"


def test_a_shared_exercise_is_view_only_to_alice(client, alice, starter_library):
    knee_drops = Exercise.objects.get(key="knee-drops")
    client.force_login(alice)
    response = client.get(change_url(knee_drops))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert 'name="_save"' not in response.text
    assert client.post(change_url(knee_drops), exercise_form(name="Hacked")).status_code == 403
    delete = reverse("admin:programs_exercise_delete", args=[knee_drops.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    knee_drops.refresh_from_db()
    assert knee_drops.name == "Knee drops"


def test_deleting_shared_exercises_through_the_bulk_action_is_refused(
    client, alice, starter_library
):
    client.force_login(alice)
    ids = list(Exercise.objects.values_list("pk", flat=True)[:3])
    client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert Exercise.objects.filter(pk__in=ids).count() == 3


def test_an_exercise_added_by_alice_belongs_to_her_clinic_with_one_step_per_line(
    client, alice, clinic_a
):
    client.force_login(alice)
    response = client.post(reverse("admin:programs_exercise_add"), exercise_form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    exercise = Exercise.objects.get(name="Wall calf stretch")
    assert exercise.clinic == clinic_a
    assert exercise.steps == ["Stand facing a wall.", "Step one foot back.", "Lean in."]


def test_a_name_already_used_in_the_clinic_is_refused_on_the_form(client, alice, alices_exercise):
    client.force_login(alice)
    response = client.post(
        reverse("admin:programs_exercise_add"), exercise_form(name="alice's BRIDGE")
    )
    assert response.status_code == 200
    assert "Your clinic already uses this name." in response.text
    assert Exercise.objects.filter(clinic=alices_exercise.clinic).count() == 1


VIDEO_LINKS = [
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s", "youtube", "dQw4w9WgXcQ"),
    ("https://youtu.be/dQw4w9WgXcQ?si=abc", "youtube", "dQw4w9WgXcQ"),
    ("https://www.youtube.com/embed/dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ"),
    ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ"),
    ("https://m.youtube.com/watch?v=dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ"),
    ("youtube-nocookie.com/embed/dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ"),
    ("https://vimeo.com/76979871", "vimeo", "76979871"),
    ("https://player.vimeo.com/video/76979871?h=abc", "vimeo", "76979871"),
]


@pytest.mark.parametrize(("url", "provider", "video_id"), VIDEO_LINKS)
def test_any_common_video_link_is_stored_as_provider_and_id(client, alice, url, provider, video_id):
    client.force_login(alice)
    response = client.post(reverse("admin:programs_exercise_add"), exercise_form(video_url=url))
    assert response.status_code == 302
    exercise = Exercise.objects.get(name="Wall calf stretch")
    assert (exercise.video_provider, exercise.video_id) == (provider, video_id)


BAD_LINKS = [
    ("https://example.com/watch?v=dQw4w9WgXcQ", "Only YouTube and Vimeo links are accepted."),
    ("https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ", "Only YouTube and Vimeo links"),
    ("dQw4w9WgXcQ", "Paste the full link to the video, not just its id."),
    ("https://www.youtube.com/playlist?list=PL123", "This is a YouTube playlist link."),
    ("javascript:alert(1)", "Only YouTube and Vimeo links are accepted."),
]


@pytest.mark.parametrize(("url", "message"), BAD_LINKS)
def test_a_link_that_is_not_a_youtube_or_vimeo_video_shows_its_error(client, alice, url, message):
    client.force_login(alice)
    response = client.post(reverse("admin:programs_exercise_add"), exercise_form(video_url=url))
    assert response.status_code == 200
    assert message in response.context["adminform"].form.errors["video_url"][0]
    assert not Exercise.objects.exists()


def test_clearing_the_video_link_removes_the_video(client, alice, alices_exercise):
    alices_exercise.set_video_url("https://youtu.be/dQw4w9WgXcQ")
    alices_exercise.save()
    client.force_login(alice)
    form = exercise_form(name=alices_exercise.name, key=alices_exercise.key, video_url="")
    assert client.post(change_url(alices_exercise), form).status_code == 302
    alices_exercise.refresh_from_db()
    assert (alices_exercise.video_provider, alices_exercise.video_id) == ("", "")


def test_the_change_page_shows_the_privacy_enhanced_video_and_the_steps_as_the_patient_sees_them(
    client, alice, starter_library
):
    exercise = Exercise.objects.get(video_id="KCADorwJ6Ik")
    client.force_login(alice)
    response = client.get(change_url(exercise))
    assert 'src="https://www.youtube-nocookie.com/embed/KCADorwJ6Ik"' in response.text
    assert "youtube.com/embed" not in response.text
    gentle = Exercise.objects.get(key="gentle-hip-flexion")
    page = client.get(change_url(gentle)).text
    assert '<ol class="flexion-steps">' in page
    assert gentle.steps[0].split(",")[0] in page
    assert "2 sets × 3 reps each side" in page


def test_the_edit_form_shows_the_stored_video_as_a_link(client, alice, alices_exercise):
    alices_exercise.set_video_url("https://vimeo.com/76979871")
    alices_exercise.save()
    client.force_login(alice)
    response = client.get(change_url(alices_exercise))
    assert 'value="https://vimeo.com/76979871"' in response.text
    assert "https://player.vimeo.com/video/76979871?dnt=1" in response.text


def test_copy_to_my_clinic_copies_shared_exercises_with_their_variations(
    client, alice, clinic_a, starter_library
):
    keys = ["gentle-hip-flexion", "gentle-hip-flexion-knee-out"]
    selected = list(Exercise.objects.filter(key__in=keys).values_list("pk", flat=True))
    client.force_login(alice)
    response = client.post(
        CHANGELIST, {"action": "copy_to_my_clinic", "_selected_action": selected}, follow=True
    )
    assert "2 exercises copied to your clinic." in response.text
    copies = {e.key: e for e in Exercise.objects.filter(clinic=clinic_a)}
    assert set(copies) == set(keys)
    links = [(v.variation, v.direction) for v in copies["gentle-hip-flexion"].variations.all()]
    assert links == [(copies["gentle-hip-flexion-knee-out"], "easier")]
    assert copies["gentle-hip-flexion"].copied_from.key == "gentle-hip-flexion"
    again = client.post(
        CHANGELIST, {"action": "copy_to_my_clinic", "_selected_action": selected}, follow=True
    )
    assert "0 exercises copied" in again.text
    assert Exercise.objects.filter(clinic=clinic_a).count() == 2


def test_copy_to_my_clinic_cannot_reach_another_clinics_exercise(
    client, alice, clinic_a, bobs_exercise
):
    client.force_login(alice)
    client.post(CHANGELIST, {"action": "copy_to_my_clinic", "_selected_action": [bobs_exercise.pk]})
    assert not Exercise.objects.filter(clinic=clinic_a).exists()


def test_a_copied_exercise_is_editable_by_the_clinic(client, alice, clinic_a, starter_library):
    knee_drops = Exercise.objects.get(key="knee-drops")
    client.force_login(alice)
    client.post(CHANGELIST, {"action": "copy_to_my_clinic", "_selected_action": [knee_drops.pk]})
    copy = Exercise.objects.get(clinic=clinic_a)
    response = client.get(change_url(copy))
    assert response.context["has_change_permission"] is True


@pytest.mark.parametrize("action", ["export_csv", "export_json"])
def test_export_selected_includes_only_what_alice_may_see(
    client, alice, alices_exercise, bobs_exercise, action
):
    client.force_login(alice)
    # All rows of her list; a selection holding bob's row is refused whole
    # (tests/clinic/test_admin_actions.py).
    response = client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [alices_exercise.pk], "select_across": "1"},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    text = response.content.decode()
    if action == "export_json":
        names = [row["name"] for row in json.loads(text)]
    else:
        names = [row["name"] for row in csv.DictReader(io.StringIO(text))]
    assert names == ["Alice's bridge"]


def upload(name, text):
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


def test_the_import_page_adds_exercises_to_alices_clinic(client, alice, clinic_a):
    client.force_login(alice)
    text = (
        "name,category,starting_position,steps,sets,reps,body_regions,video_url\n"
        'Wall calf stretch,stretch,standing,"Stand.\nLean.",1,2,"ankle",https://youtu.be/dQw4w9WgXcQ\n'
    )
    url = reverse("admin:programs_exercise_import")
    response = client.post(url, {"file": upload("calf.csv", text)}, follow=True)
    assert "Imported: 1 added, 0 updated." in response.text
    exercise = Exercise.objects.get(clinic=clinic_a)
    assert exercise.steps == ["Stand.", "Lean."]
    assert exercise.video_id == "dQw4w9WgXcQ"


def test_the_import_page_lists_every_problem_and_imports_nothing(client, alice):
    client.force_login(alice)
    text = (
        "name,category,starting_position,steps,sets,reps,hold_seconds,video_url\n"
        "Good,stretch,standing,Stand.,1,2,,\n"
        "Bad,stretch,standing,Stand.,1,-2,700,https://vimeo.example/1\n"
    )
    url = reverse("admin:programs_exercise_import")
    response = client.post(url, {"file": upload("bad.csv", text)})
    assert "Nothing was imported: 3 problems." in response.text
    for message in (
        "Row 3, reps: cannot be negative.",
        "Row 3, hold_seconds: must be at most 600 seconds (10 minutes).",
        "Row 3, video_url: Only YouTube and Vimeo links are accepted.",
    ):
        assert message in response.text
    assert not Exercise.objects.exists()


def test_bob_cannot_import_into_alices_clinic_and_a_patient_cannot_import_at_all(
    client, bob, carol, clinic_a
):
    client.force_login(carol.user)
    url = reverse("admin:programs_exercise_import")
    assert client.get(url).status_code == 302  # to the admin login
    client.force_login(bob)
    text = "name,category,starting_position,steps,sets,reps\nX,stretch,standing,S,1,1\n"
    client.post(url, {"file": upload("x.csv", text)})
    assert Exercise.objects.get().clinic == bob.staff.clinic


def test_the_autocomplete_offers_shared_and_own_exercises_only(
    client, alice, starter_library, alices_exercise, bobs_exercise
):
    client.force_login(alice)
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "programs",
            "model_name": "programitem",
            "field_name": "exercise",
            "term": "",
        },
    )
    assert response.status_code == 200
    names = {result["text"] for result in response.json()["results"]}
    assert "Knee drops" in names
    assert "Alice's bridge" in names
    assert "Bob's secret lunge" not in names
    found = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "programs",
            "model_name": "programitem",
            "field_name": "exercise",
            "term": "lunge",
        },
    )
    assert found.json()["results"] == []


def test_the_copy_button_copies_a_shared_exercise_and_opens_the_copy(
    client, alice, clinic_a, starter_library
):
    knee_drops = Exercise.objects.get(key="knee-drops")
    client.force_login(alice)
    page = client.get(change_url(knee_drops)).text
    url = reverse("admin:programs_exercise_copy", args=[knee_drops.pk])
    assert url in page
    assert client.get(url).status_code == 403
    response = client.post(url)
    copy = Exercise.objects.get(clinic=clinic_a)
    assert response.url == change_url(copy)
    assert client.post(url).url == change_url(copy)
    assert Exercise.objects.filter(clinic=clinic_a).count() == 1


def test_the_copy_button_refuses_another_clinics_or_an_own_exercise(
    client, alice, alices_exercise, bobs_exercise
):
    client.force_login(alice)
    for exercise in (alices_exercise, bobs_exercise):
        url = reverse("admin:programs_exercise_copy", args=[exercise.pk])
        assert client.post(url).status_code == 404
    assert Exercise.objects.count() == 2


def test_a_shared_exercise_shows_its_steps_numbered(client, alice, starter_library):
    knee_drops = Exercise.objects.get(key="knee-drops")
    client.force_login(alice)
    page = client.get(change_url(knee_drops)).text
    assert f"<li>{knee_drops.steps[0]}</li>" in page
    assert '["' not in page


def test_an_exercise_cannot_be_its_own_variation_in_the_admin(client, alice, alices_exercise):
    client.force_login(alice)
    form = exercise_form(
        name=alices_exercise.name,
        key=alices_exercise.key,
        **{
            "variations-TOTAL_FORMS": "1",
            "variations-0-direction": "harder",
            "variations-0-variation": alices_exercise.pk,
            "variations-0-order": "0",
            "variations-0-note": "",
        },
    )
    response = client.post(change_url(alices_exercise), form)
    assert response.status_code == 200
    assert "An exercise cannot be its own variation." in response.text
    assert not alices_exercise.variations.exists()
