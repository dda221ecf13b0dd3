"""The player on a 390 × 844 phone: picture, dosage and timer on the first screen, then a
whole exercise run with the timer."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from programs.pictures import picture_prepare
from programs.services import exercise_picture_add
from tests.patients.back_pain import back_pain_assignment
from tests.pictures import photo_bytes

from .conftest import axe_violations, patient_signs_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PHONE_390 = {"width": 390, "height": 844}


def within_viewport(box) -> bool:
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= PHONE_390["height"]
        and box["x"] >= 0
        and box["x"] + box["width"] <= PHONE_390["width"]
    )


def test_the_first_screen_shows_picture_dosage_and_timer_and_runs_a_whole_exercise(
    live_server, new_page, shoot, carol
):
    assignment = back_pain_assignment(carol, timezone.localdate())
    first = assignment.items.order_by("order").first()
    prepared = picture_prepare(SimpleUploadedFile("pose.jpg", photo_bytes(size=(1200, 900))))
    exercise_picture_add(
        exercise=first.exercise, prepared=prepared, alt_text="Kneeling, one foot forward"
    )
    page = new_page(viewport=PHONE_390)
    page.clock.install()
    patient_signs_in(page, live_server.url, "carol@a.example")
    page.get_by_role("button", name="Start today's session").click()

    picture = page.get_by_role("img", name="Kneeling, one foot forward")
    expect(picture).to_be_visible()
    page.wait_for_function("document.querySelector('.pictures img').complete")
    timer = page.locator("#timer")
    expect(timer).to_be_visible()
    for part in (picture, page.locator(".dosage"), timer, page.locator("#timer-start")):
        assert within_viewport(part.bounding_box()), part
    assert page.evaluate("window.scrollY") == 0
    shoot(page, "player-390-first-screen", full_page=False)
    assert axe_violations(page) == []

    start = page.get_by_role("button", name="Start the 20 s hold timer")
    start.click()
    # A running timer cannot be restarted from set 1 by a second tap.
    expect(start).to_be_disabled()
    page.clock.run_for(3500)
    expect(page.locator("#timer-phase")).to_have_text("Hold")
    # The hold's start is cued, not only its end.
    expect(timer).to_have_attribute("data-cue", "start")
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#timer-paused")).to_be_visible()
    expect(page.locator("#timer-paused")).to_have_text("Paused")
    shoot(page, "player-390-paused", full_page=False)
    page.get_by_role("button", name="Resume").click()
    expect(page.locator("#timer-paused")).to_be_hidden()
    # 2 reps each side: four holds of 20 s, each after a 3 s get-ready.
    for _ in range(4):
        page.clock.run_for(23_000)
    expect(page.locator("#timer-phase")).to_have_text("All done. Well done! Log it below.")
    expect(start).to_be_enabled()
    expect(page.get_by_label("Sets done")).to_have_value(str(first.sets))
    expect(page.get_by_label("Reps done (per set)")).to_have_value(str(first.reps))
    page.get_by_label(re.compile("^Pain during this exercise")).fill("1")
    page.get_by_role("button", name=re.compile("^Save")).click()
    expect(page.get_by_text("Exercise 2 of 3")).to_be_visible()
    assert within_viewport(page.locator("#timer").bounding_box())
