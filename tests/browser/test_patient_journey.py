"""A patient's whole first session in a real browser, from invitation to next-day check-in."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.utils import timezone, translation
from playwright.sync_api import expect

from patients.invitations import invitation_send
from patients.models import Answer, CheckIn, ExerciseLog, Session, SessionStatus
from patients.player import dosage_in_words
from tests.factories import PASSWORD, PatientFactory, UserFactory
from tests.patients.back_pain import back_pain_assignment

from .conftest import I18N_PHONE, TALL_PHONE, axe_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

NEW_PASSWORD = "calm-stretching-every-week"


def local_path(url):
    return "/" + url.split("/", 3)[3]


def run_timer(page, seconds):
    page.clock.run_for(int(seconds * 1000))


def do_exercise(page, snap, t, name, *, sets, reps, steps, shot=None):
    """Run the hold timer through every rep and side, then save with a pain score."""
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.get_by_role("button", name=t("Start the %(s)s s hold timer") % {"s": 20}).click()
    for _ in range(steps):
        run_timer(page, 3)  # get ready
        run_timer(page, 30)  # the longest hold here is 20 s; the rest is idle
    expect(page.locator("#timer-phase")).to_have_text(t("All done. Well done! Log it below."))
    expect(page.get_by_label(t("Sets done"))).to_have_value(str(sets))
    expect(page.get_by_label(t("Reps done (per set)"))).to_have_value(str(reps))
    page.get_by_label(
        re.compile("^" + re.escape(t("Pain during this exercise, 0 (none) to 10 (worst)")))
    ).fill("1")
    if shot:
        snap(shot)
    page.get_by_role("button", name=re.compile("^" + re.escape(t("Save")))).click()


class Words:
    """The patient's words in a language, from the catalogs the pages use."""

    def __init__(self, language):
        self.language = language

    def __call__(self, message):
        with translation.override(self.language):
            return translation.gettext(message)

    def plural(self, singular, plural, count):
        with translation.override(self.language):
            return translation.ngettext(singular, plural, count)

    def dosage(self, item):
        with translation.override(self.language):
            return dosage_in_words(item)

    def name(self, exercise):
        with translation.override(self.language):
            return exercise.name


def no_serious_violations(page):
    assert axe_violations(page) == []


# English as before (a tall phone: see TALL_PHONE); German and Spanish at 390×844, their
# screenshots in test-artifacts/i18n/, with axe at each kind of page.
LANGUAGES = [
    pytest.param("en", TALL_PHONE, id="en"),
    pytest.param("de", I18N_PHONE, id="de"),
    pytest.param("es", I18N_PHONE, id="es"),
]


@pytest.mark.parametrize(("language", "viewport"), LANGUAGES)
def test_a_patient_is_invited_does_a_whole_session_and_answers_the_check_in_next_day(
    live_server, new_page, shoot, clinic_a, celery_eager, language, viewport
):
    t = Words(language)
    patient = PatientFactory(
        clinic=clinic_a, first_name="Fiona", email="fiona@a.example", language=language
    )
    assignment = back_pain_assignment(patient, timezone.localdate())
    items = list(assignment.items.select_related("exercise").order_by("order"))
    invitation_send(patient=patient)
    assert mail.outbox[0].subject == t("%(clinic)s invites you to your home exercises") % {
        "clinic": clinic_a.name
    }
    link = re.search(r"https?://\S+/invitation/\S+/", mail.outbox[0].body).group(0)

    # The patient's phone speaks their language too; the pages follow the patient's record.
    page = new_page(viewport=viewport, locale=language)
    page.clock.install()
    check = no_serious_violations if language != "en" else (lambda page: None)

    def snap(name):
        shoot(page, name if language == "en" else f"i18n/{language}-{name}", full_page=False)

    page.goto(live_server.url + local_path(link))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Welcome to your home exercises"))
    check(page)
    snap("01-invitation-set-password")
    page.get_by_label(t("Password"), exact=True).fill(NEW_PASSWORD)
    page.get_by_label(t("Password again")).fill(NEW_PASSWORD)
    page.get_by_role("button", name=t("Save and start")).click()

    expect(page.get_by_text(t("Your password is saved. Welcome!"))).to_be_visible()
    expect(page.get_by_text(t("A session is planned for today."))).to_be_visible()
    per_week = t.plural("%(count)d session a week", "%(count)d sessions a week", 2) % {"count": 2}
    expect(
        page.get_by_text(t("%(per_week)s to start: your first week.") % {"per_week": per_week})
    ).to_be_visible()
    check(page)
    snap("02-today")
    page.get_by_role("button", name=t("Start today's session")).click()

    # Exercise 1: 2 reps each side, 20 s holds, with a 3 s get-ready before each.
    expect(page.get_by_text(t.dosage(items[0]))).to_be_visible()
    check(page)
    snap("03-player-first-exercise")
    page.get_by_role("button", name=t("Start the %(s)s s hold timer") % {"s": 20}).click()
    expect(page.locator("#timer-phase")).to_have_text(t("Get ready"))
    run_timer(page, 3.5)
    expect(page.locator("#timer-phase")).to_have_text(t("Hold"))
    expect(page.locator("#timer-where")).to_contain_text(t("Left side"))
    expect(page.locator("#timer-announce")).to_contain_text(t("Hold"))
    check(page)
    snap("04-timer-hold-left-side")
    run_timer(page, 20)
    expect(page.locator("#timer-where")).to_contain_text(t("Right side"))
    expect(page.get_by_label(t("Reps done (per set)"))).to_have_value("0")
    run_timer(page, 23)
    expect(page.get_by_label(t("Reps done (per set)"))).to_have_value("1")
    # Pausing stops the clock of the hold; resuming goes on from there.
    page.get_by_role("button", name=t("Pause"), exact=True).click()
    expect(page.locator("#timer-announce")).to_have_text(t("Paused"))
    remaining = page.locator("#timer-count").inner_text()
    run_timer(page, 30)
    expect(page.locator("#timer-count")).to_have_text(remaining)
    page.get_by_role("button", name=t("Resume")).click()
    run_timer(page, 50)
    expect(page.locator("#timer-phase")).to_have_text(t("All done. Well done! Log it below."))
    expect(page.get_by_label(t("Sets done"))).to_have_value("1")
    expect(page.get_by_label(t("Reps done (per set)"))).to_have_value("2")
    pain = re.compile("^" + re.escape(t("Pain during this exercise, 0 (none) to 10 (worst)")))
    page.get_by_label(pain).fill("2")
    snap("05-first-exercise-logged")

    page.get_by_role("button", name=re.compile("^" + re.escape(t("Save")))).click()

    # Exercise 2, then a reload in the middle of it: nothing is lost.
    second = t("Exercise %(position)s of %(count)s") % {"position": 2, "count": 3}
    expect(page.get_by_text(second)).to_be_visible()
    page.get_by_role("button", name=t("Start the %(s)s s hold timer") % {"s": 20}).click()
    run_timer(page, 10)
    page.reload()
    expect(page.get_by_text(second)).to_be_visible()
    done = t("done: %(sets)s × %(reps)s") % {"sets": 1, "reps": 2}
    expect(page.get_by_text(f"{done}, {t('pain %(pain)s/10') % {'pain': 2}}")).to_be_visible()
    snap("06-after-reload-second-exercise")
    page.goto(live_server.url + "/")
    page.get_by_role("link", name=t("Resume the session")).click()
    do_exercise(page, snap, t, t.name(items[1].exercise), sets=1, reps=2, steps=4)

    # Exercise 3: knee drops, 5 each way with 2-3 s holds.
    expect(page.get_by_text(t.dosage(items[2]))).to_be_visible()
    page.get_by_role("button", name=t("Start the %(s)s s hold timer") % {"s": 2}).click()
    run_timer(page, 3.5)
    expect(page.locator("#timer-where")).to_contain_text(t("First way"))
    run_timer(page, 5 * 10)
    expect(page.get_by_label(t("Reps done (per set)"))).to_have_value("5")
    page.get_by_label(pain).fill("0")
    snap("07-knee-drops-done")
    page.get_by_role("button", name=t("Save"), exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(t("Last step: how was it?"))
    page.get_by_label(
        re.compile("^" + re.escape(t("How hard was this session? 0 (very easy) to 10 (maximal)")))
    ).fill("4")
    page.get_by_label(
        re.compile("^" + re.escape(t("A message for your therapist (optional)")))
    ).fill("Easy on the knees.")
    check(page)
    snap("08-finish")
    page.get_by_role("button", name=t("Finish the session")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Session done"))
    check(page)
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
    answer_about = re.compile("^" + re.escape(t("Answer about %(day)s").split("%(day)s")[0]))
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1), tick=True):
        page.goto(live_server.url + "/")
        page.get_by_label(t("Email")).fill(patient.email)
        page.get_by_label(t("Password")).fill(NEW_PASSWORD)
        page.get_by_role("button", name=t("Sign in")).click()
        expect(page.get_by_role("link", name=answer_about)).to_be_visible()
        check(page)
        snap("10-next-day-today")
        page.get_by_role("link", name=answer_about).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(t("How do you feel today?"))
        page.get_by_label(t("A bit sore (normal)")).check()
        check(page)
        snap("11-next-day-check-in")
        page.get_by_role("button", name=t("Send my answer")).click()
        expect(
            page.get_by_text(
                t("Your answer is saved. It helps plan how many sessions you do next.")
            )
        ).to_be_visible()
        snap("12-check-in-saved")
        if language != "en":
            # The history, in the patient's words, dates written the way their language does.
            page.get_by_role("link", name=t("History")).click()
            expect(page.get_by_role("heading", level=1)).to_have_text(t("Your history"))
            check(page)
            snap("13-history")
    assert CheckIn.objects.get(session=session).answer == Answer.SORE
    if language != "en":
        return  # the other patient's 404 below is the same in every language

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
