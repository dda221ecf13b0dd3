"""Every patient page in a real browser: accessible (axe-core), light, phone-wide, no-JS ready."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clinic.login_links import login_link_create
from clinic.models import LoginLinkPurpose
from patients.links import checkin_token
from patients.models import (
    Answer,
    CheckIn,
    ExerciseLog,
    Session,
    SessionStatus,
)
from tests.patients.back_pain import back_pain_assignment

from .conftest import PHONE, TALL_PHONE, axe_violations, patient_signs_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

MAX_PAGE_BYTES = 200_000
# Bytes of the page and everything it loaded (the live server sends them uncompressed).
PAGE_BYTES = """
    [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]
        .reduce((total, entry) => total + entry.encodedBodySize, 0)
"""


def patient_with_history(patient):
    """Ten days into the program: sessions with pain scores, one unfinished with all logs."""
    today = timezone.localdate()
    assignment = back_pain_assignment(patient, today - datetime.timedelta(days=10))
    items = list(assignment.items.order_by("order"))
    items[0].exercise.set_video_url("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    items[0].exercise.save()
    done = None
    for back, pain in ((10, 3), (7, 2), (3, 2), (1, 1)):
        done = Session.objects.create(
            assignment=assignment,
            patient=patient,
            performed_on=today - datetime.timedelta(days=back),
            status=SessionStatus.COMPLETED,
            effort=4,
        )
        for item in items:
            ExerciseLog.objects.create(
                session=done, item=item, sets_done=1, reps_done=item.reps, pain=pain
            )
        if back > 3:
            CheckIn.objects.create(
                session=done,
                patient=patient,
                answer=Answer.FINE,
                answered_on=done.performed_on + datetime.timedelta(days=1),
            )
    current = Session.objects.create(assignment=assignment, patient=patient, performed_on=today)
    for item in items:
        ExerciseLog.objects.create(session=current, item=item, sets_done=1, reps_done=item.reps)
    return items, current, done


def test_every_patient_page_is_accessible_and_light(live_server, new_page, shoot, carol):
    items, current, yesterdays = patient_with_history(carol)
    base = live_server.url
    signed_out = {
        "login": "/login/",
        "sign-in-link-request": "/login/link/",
        "sign-in-link": "/login/link/"
        + login_link_create(user=carol.user, purpose=LoginLinkPurpose.SIGN_IN)
        + "/",
        "invitation": "/invitation/"
        + login_link_create(user=carol.user, purpose=LoginLinkPurpose.INVITATION)
        + "/",
        "reminder-link": "/today/"
        + login_link_create(user=carol.user, purpose=LoginLinkPurpose.REMINDER)
        + "/",
        "link-no-longer-works": "/invitation/not-a-real-token/",
        "check-in-from-email": f"/checkin/{checkin_token(yesterdays)}/",
    }
    signed_in = {
        "today": "/",
        "player": f"/sessions/{current.pk}/?item={items[0].pk}",
        "finish": f"/sessions/{current.pk}/",
        "session-done": f"/sessions/{yesterdays.pk}/",
        "check-in": f"/sessions/{yesterdays.pk}/checkin/",
        "log-earlier": "/log-earlier/",
        "history": "/history/",
        "messages": "/messages/",
    }
    anonymous = new_page()
    patient = new_page()
    patient_signs_in(patient, base, "carol@a.example")
    problems, weights = {}, {}
    for pages, page in ((signed_out, anonymous), (signed_in, patient)):
        for name, path in pages.items():
            page.goto(base + path)
            page.wait_for_load_state("load")
            weights[name] = page.evaluate(PAGE_BYTES)
            if page.evaluate("document.documentElement.scrollWidth") > PHONE["width"]:
                problems[name] = "wider than a 360 px phone"
            shoot(page, f"page-{name}")
            violations = axe_violations(page)
            if violations:
                problems[name] = violations
    assert problems == {}
    assert all(2_000 < size < MAX_PAGE_BYTES for size in weights.values()), weights
    # The check itself works: an image without a text alternative is caught.
    patient.evaluate("document.body.append(document.createElement('img'))")
    assert "image-alt" in [violation["id"] for violation in axe_violations(patient)]


def test_the_video_loads_from_the_privacy_enhanced_host_only_when_asked(
    live_server, new_page, carol
):
    items, current, _ = patient_with_history(carol)
    page = new_page()
    patient_signs_in(page, live_server.url, "carol@a.example")
    hosts = []
    page.on("request", lambda request: hosts.append(request.url.split("/")[2]))
    page.route(re.compile(r"https://.*"), lambda route: route.abort())  # no network here
    page.goto(f"{live_server.url}/sessions/{current.pk}/?item={items[0].pk}")
    assert all(host.startswith("localhost") for host in hosts)
    page.get_by_role("link", name=re.compile("Watch the video")).click()
    frame = page.locator("iframe.video-frame")
    expect(frame).to_have_attribute(
        "src", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"
    )


def test_a_whole_session_works_with_javascript_off(live_server, new_page, shoot, carol):
    assignment = back_pain_assignment(carol, timezone.localdate())
    page = new_page(java_script_enabled=False)
    patient_signs_in(page, live_server.url, "carol@a.example")
    page.get_by_role("button", name="Start today's session").click()
    expect(page.locator("#timer")).to_be_hidden()
    for position in (1, 2, 3):
        expect(page.get_by_text(f"Exercise {position} of 3")).to_be_visible()
        page.get_by_label(re.compile("^Pain during this exercise")).fill("1")
        page.get_by_role("button", name=re.compile("^Save")).click()
    page.get_by_label(re.compile("^How hard was this session")).fill("3")
    page.get_by_role("button", name="Finish the session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Session done")
    shoot(page, "no-js-session-done")
    session = Session.objects.get(assignment=assignment)
    assert session.status == SessionStatus.COMPLETED
    assert session.logs.count() == 3


def test_the_contraction_timer_runs_every_rep_and_side_after_a_get_ready(
    live_server, new_page, carol
):
    assignment = back_pain_assignment(carol, timezone.localdate())
    item = assignment.items.order_by("order").first()
    item.contraction_seconds, item.contraction_seconds_max = 5, 5
    item.save()
    page = new_page(viewport=TALL_PHONE)
    page.clock.install()
    patient_signs_in(page, live_server.url, "carol@a.example")
    page.get_by_role("button", name="Start today's session").click()
    page.get_by_role("button", name="Contraction timer (5 s)").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#timer-phase")).to_have_text("Get ready")
    expect(page.locator("#timer-count")).to_have_text("3 s")
    # While it runs, neither timer can be started again from set 1.
    expect(page.get_by_role("button", name="Contraction timer (5 s)")).to_be_disabled()
    expect(page.get_by_role("button", name="Start the 20 s hold timer")).to_be_disabled()
    page.clock.run_for(3500)
    expect(page.locator("#timer-phase")).to_have_text("Contract")
    expect(page.locator("#timer-where")).to_contain_text("Left side")
    expect(page.locator("#timer-announce")).to_contain_text("Contract")
    page.clock.run_for(5000)
    # Like the hold timer: the other side, then the next rep.
    expect(page.locator("#timer-where")).to_contain_text("Right side")
    page.clock.run_for(8000)
    expect(page.locator("#timer-where")).to_contain_text("Rep 2 of 2")
    expect(page.get_by_label("Reps done (per set)")).to_have_value("1")
    page.clock.run_for(2 * 8000)
    expect(page.locator("#timer-phase")).to_have_text("Relax. All done. Well done! Log it below.")
    expect(page.get_by_label("Reps done (per set)")).to_have_value(str(item.reps))
    expect(page.get_by_label("Sets done")).to_have_value(str(item.sets))
    expect(page.get_by_role("button", name="Contraction timer (5 s)")).to_be_enabled()
