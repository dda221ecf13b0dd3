"""A patient's whole first session in a real browser, from invitation to next-day check-in."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from patients.invitations import invitation_send
from patients.models import Answer, CheckIn, ExerciseLog, Session, SessionStatus
from tests.factories import PASSWORD, PatientFactory, UserFactory
from tests.patients.back_pain import back_pain_assignment

from .conftest import TALL_PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

NEW_PASSWORD = "calm-stretching-every-week"


def local_path(url):
    return "/" + url.split("/", 3)[3]


def run_timer(page, seconds):
    page.clock.run_for(int(seconds * 1000))


def do_exercise(page, snap, name, *, sets, reps, steps, shot=None):
    """Run the hold timer through every rep and side, then save with a pain score."""
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.get_by_role("button", name=re.compile("hold timer")).click()
    for _ in range(steps):
        run_timer(page, 3)  # get ready
        run_timer(page, 30)  # the longest hold here is 20 s; the rest is idle
    expect(page.locator("#timer-phase")).to_have_text("All done. Well done! Log it below.")
    expect(page.get_by_label("Sets done")).to_have_value(str(sets))
    expect(page.get_by_label("Reps done (per set)")).to_have_value(str(reps))
    page.get_by_label(re.compile("^Pain during this exercise")).fill("1")
    if shot:
        snap(shot)
    page.get_by_role("button", name=re.compile("^Save")).click()


def test_a_patient_is_invited_does_a_whole_session_and_answers_the_check_in_next_day(
    live_server, new_page, shoot, clinic_a, celery_eager
):
    patient = PatientFactory(clinic=clinic_a, first_name="Fiona", email="fiona@a.example")
    assignment = back_pain_assignment(patient, timezone.localdate())
    invitation_send(patient=patient)
    link = re.search(r"https?://\S+/invitation/\S+/", mail.outbox[0].body).group(0)

    page = new_page(viewport=TALL_PHONE)
    page.clock.install()

    def snap(name):
        shoot(page, name, full_page=False)

    page.goto(live_server.url + local_path(link))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to your home exercises")
    snap("01-invitation-set-password")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save and start").click()

    expect(page.get_by_text("Your password is saved. Welcome!")).to_be_visible()
    expect(page.get_by_text("A session is planned for today.")).to_be_visible()
    expect(page.get_by_text("2 sessions a week to start: your first week.")).to_be_visible()
    snap("02-today")
    page.get_by_role("button", name="Start today's session").click()

    # Exercise 1: 2 reps each side, 20 s holds, with a 3 s get-ready before each.
    expect(page.get_by_text("2 reps each side, hold 20 s, light")).to_be_visible()
    snap("03-player-first-exercise")
    page.get_by_role("button", name="Start the 20 s hold timer").click()
    expect(page.locator("#timer-phase")).to_have_text("Get ready")
    run_timer(page, 3.5)
    expect(page.locator("#timer-phase")).to_have_text("Hold")
    expect(page.locator("#timer-where")).to_contain_text("Left side")
    expect(page.locator("#timer-announce")).to_contain_text("Hold")
    snap("04-timer-hold-left-side")
    run_timer(page, 20)
    expect(page.locator("#timer-where")).to_contain_text("Right side")
    expect(page.get_by_label("Reps done (per set)")).to_have_value("0")
    run_timer(page, 23)
    expect(page.get_by_label("Reps done (per set)")).to_have_value("1")
    # Pausing stops the clock of the hold; resuming goes on from there.
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#timer-announce")).to_have_text("Paused")
    remaining = page.locator("#timer-count").inner_text()
    run_timer(page, 30)
    expect(page.locator("#timer-count")).to_have_text(remaining)
    page.get_by_role("button", name="Resume").click()
    run_timer(page, 50)
    expect(page.locator("#timer-phase")).to_have_text("All done. Well done! Log it below.")
    expect(page.get_by_label("Sets done")).to_have_value("1")
    expect(page.get_by_label("Reps done (per set)")).to_have_value("2")
    page.get_by_label(re.compile("^Pain during this exercise")).fill("2")
    snap("05-first-exercise-logged")

    page.get_by_role("button", name=re.compile("^Save")).click()

    # Exercise 2, then a reload in the middle of it: nothing is lost.
    expect(page.get_by_text("Exercise 2 of 3")).to_be_visible()
    page.get_by_role("button", name="Start the 20 s hold timer").click()
    run_timer(page, 10)
    page.reload()
    expect(page.get_by_text("Exercise 2 of 3")).to_be_visible()
    expect(page.get_by_text("done: 1 × 2, pain 2/10")).to_be_visible()
    snap("06-after-reload-second-exercise")
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Resume the session").click()
    do_exercise(
        page,
        snap,
        "90-90 hip flexor stretch with side bend",
        sets=1,
        reps=2,
        steps=4,
    )

    # Exercise 3: knee drops, 5 each way with 2-3 s holds.
    expect(page.get_by_text("5 reps each way, hold 2\u20133 s, light")).to_be_visible()
    page.get_by_role("button", name="Start the 2 s hold timer").click()
    run_timer(page, 3.5)
    expect(page.locator("#timer-where")).to_contain_text("First way")
    run_timer(page, 5 * 10)
    expect(page.get_by_label("Reps done (per set)")).to_have_value("5")
    page.get_by_label(re.compile("^Pain during this exercise")).fill("0")
    snap("07-knee-drops-done")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Last step: how was it?")
    page.get_by_label(re.compile("^How hard was this session")).fill("4")
    page.get_by_label(re.compile("^A message for your therapist")).fill("Easy on the knees.")
    snap("08-finish")
    page.get_by_role("button", name="Finish the session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Session done")
    snap("09-session-done")

    session = Session.objects.get(assignment=assignment)
    assert (session.status, session.effort) == (SessionStatus.COMPLETED, 4)
    assert session.messages.get().body == "Easy on the knees."
    assert list(ExerciseLog.objects.order_by("item__order").values_list("reps_done", "pain")) == [
        (2, 2),
        (2, 1),
        (5, 0),
    ]

    # The next day the idle session has expired: the patient signs in again, and the
    # today page asks how the body felt.
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1), tick=True):
        page.goto(live_server.url + "/")
        page.get_by_label("Email").fill(patient.email)
        page.get_by_label("Password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("link", name=re.compile("^Answer about"))).to_be_visible()
        snap("10-next-day-today")
        page.get_by_role("link", name=re.compile("^Answer about")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("How do you feel today?")
        page.get_by_label("A bit sore (normal)").check()
        snap("11-next-day-check-in")
        page.get_by_role("button", name="Send my answer").click()
        expect(page.get_by_text("Your answer is saved.")).to_be_visible()
        snap("12-check-in-saved")
    assert CheckIn.objects.get(session=session).answer == Answer.SORE

    # Another patient signs in with a password and cannot open this session.
    PatientFactory(clinic=clinic_a, user=UserFactory(email="erin@a.example"), first_name="Erin")
    other = new_page()
    other.goto(live_server.url + "/login/")
    other.get_by_label("Email").fill("erin@a.example")
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_role("button", name="Sign in").click()
    expect(other.get_by_text("Hello, ")).to_be_visible()
    response = other.goto(f"{live_server.url}/sessions/{session.pk}/")
    assert response.status == 404
    expect(other.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert "Fiona" not in other.content()
    shoot(other, "13-other-patient-gets-404")
