"""The library pages as a therapist sees them in Chromium: list, exercise, preview, import.

Screenshots go to test-artifacts/library-*.png.
"""

from pathlib import Path

import pytest
from django.core.management import call_command

from patients.demo import DEMO_PASSWORD
from programs.models import Exercise, Program

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"library-{name}.png"), full_page=True)


def test_a_therapist_browses_the_library_previews_a_program_and_meets_import_errors(
    live_server, admin_page, tmp_path
):
    page = admin_page
    call_command("seed_demo")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "therapist@demo.flexion.test")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/programs/exercise/")
    assert page.locator("#result_list tbody tr").count() == 21
    shot(page, "1-exercises")

    video = Exercise.objects.get(video_id="KCADorwJ6Ik")
    page.goto(f"{live_server.url}/admin/programs/exercise/{video.pk}/change/")
    iframe = page.locator(".flexion-video iframe")
    assert iframe.get_attribute("src") == "https://www.youtube-nocookie.com/embed/KCADorwJ6Ik"
    shot(page, "2-shared-video-exercise")

    gentle = Exercise.objects.get(key="gentle-hip-flexion")
    page.goto(f"{live_server.url}/admin/programs/exercise/{gentle.pk}/change/")
    assert page.locator(".flexion-card .flexion-steps li").count() == len(gentle.steps)
    shot(page, "3-shared-exercise-steps")
    page.click("text=Copy to my clinic")
    page.wait_for_selector("#id_steps")
    assert page.input_value("#id_steps").splitlines() == gentle.steps
    page.fill("#id_video_url", "https://example.com/not-a-video")
    page.click("input[name=_continue]")
    page.wait_for_selector(".errorlist")
    assert "Only YouTube and Vimeo links are accepted." in page.text_content(".field-video_url")
    page.fill("#id_video_url", "https://youtu.be/dQw4w9WgXcQ?t=12")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    assert page.input_value("#id_video_url") == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    shot(page, "3b-own-exercise-form")

    page.goto(f"{live_server.url}/admin/programs/program/")
    shot(page, "4-programs")
    program = Program.objects.get(key="hip-flexor-stretches-for-back-pain")
    page.goto(f"{live_server.url}/admin/programs/program/{program.pk}/preview/")
    assert page.locator(".flexion-card").count() == 3
    shot(page, "5-program-preview")

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "name,category,starting_position,steps,sets,reps,hold_seconds,video_url\n"
        "Good,stretch,standing,Stand.,1,2,,\n"
        "Bad,stretch,standing,Stand.,1,-2,700,https://example.com/v/1\n",
        encoding="utf-8",
    )
    page.goto(f"{live_server.url}/admin/programs/exercise/import/")
    page.set_input_files("#id_file", str(bad))
    page.click("input[type=submit][value=Import]")
    page.wait_for_selector(".flexion-errors")
    assert page.locator(".flexion-errors li").count() == 3
    shot(page, "6-import-errors")
    assert Exercise.objects.count() == 22  # the 21 shared ones and the copy

    patient = program.assignments.get().patient
    page.goto(f"{live_server.url}/admin/patients/patient/{patient.pk}/change/")
    shot(page, "7-patient")
    page.click("text=Assign a program")
    page.wait_for_selector("#id_program")
    shot(page, "8-assign-from-patient")
