"""A therapist builds a program in a real Chromium, reorders it by drag and drop and assigns it.

Screenshots of every step go to test-artifacts/program-builder-*.png.
"""

import time
from pathlib import Path

import pytest
from django.core.management import call_command

from patients.demo import DEMO_PASSWORD
from patients.models import Assignment
from programs.models import Program

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
EXERCISES = [
    ("90-90 hip", "90-90 hip flexor stretch"),
    ("knee drops", "Knee drops"),
    ("knee out", "Gentle hip flexion, knee out to the side"),
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"program-builder-{name}.png"), full_page=True)


def pick_exercise(page, row, search, name):
    page.locator(f"#items-{row} .select2-selection").click()
    search_box = page.locator(".select2-container--open .select2-search__field")
    search_box.fill(search)
    option = page.locator(".select2-results__option", has_text=name)
    option.first.wait_for()
    if row == 0:
        shot(page, "3-autocomplete")
    option.first.click()


def test_a_therapist_builds_reorders_and_assigns_a_program(live_server, admin_page):
    page = admin_page
    call_command("seed_demo")
    started = time.monotonic()

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "therapist@demo.flexion.test")
    page.fill("#id_password", DEMO_PASSWORD)
    shot(page, "1-login")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    shot(page, "2-dashboard")

    page.goto(f"{live_server.url}/admin/programs/program/add/")
    page.fill("#id_name", "Desk worker hips")
    page.fill("#id_goal", "Stiff hips and lower back from sitting")
    add_row = page.locator("#items-group .add-row a")
    for row, (search, name) in enumerate(EXERCISES):
        add_row.click()
        pick_exercise(page, row, search, name)
    page.fill("#id_items-1-reps", "8")
    shot(page, "4-three-exercises")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")

    program = Program.objects.get(name="Desk worker hips")
    assert [item.exercise.name for item in program.items.all()] == [n for _, n in EXERCISES]

    # Drag the last exercise (knee out to the side) onto the first row's handle.
    handle = page.locator("#items-2 td.original p")
    handle.drag_to(page.locator("#items-0 td.original p"), target_position={"x": 20, "y": 2})
    orders = [page.input_value(f"#id_items-{row}-order") for row in range(3)]
    assert orders == ["2", "3", "1"], orders
    shot(page, "5-reordered")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    shot(page, "6-saved")
    reordered = [EXERCISES[2][1], EXERCISES[0][1], EXERCISES[1][1]]
    assert [item.exercise.name for item in program.items.all()] == reordered

    page.click("text=Assign to patients")
    # The patients are found by the admin's autocomplete (a multiple select).
    page.locator(".field-patients .select2-selection").click()
    page.locator(".field-patients .select2-search__field").fill("Pat One")
    patient = page.locator(".select2-results__option", has_text="Pat One")
    patient.first.wait_for()
    patient.first.click()
    page.fill("#id_start_date", "2026-03-02")
    shot(page, "7-assign")
    page.click("input[type=submit][value=Assign]")
    page.wait_for_selector(".messagelist .success")
    shot(page, "8-assignment")
    elapsed = time.monotonic() - started

    assignment = Assignment.objects.get(program=program)
    assert assignment.patient.email == "patient1@demo.flexion.test"
    assert assignment.therapist.user.email == "therapist@demo.flexion.test"
    assert [item.exercise.name for item in assignment.items.all()] == reordered
    assert [item.reps for item in assignment.items.all()][2] == 8
    assert elapsed < 120
