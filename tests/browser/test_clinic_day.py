"""The clinic's day in a real browser: a therapist sees who needs attention, reads the
patient's session, replies and adjusts the prescription; the patient sees the reply and
"About your program"."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import PrescriptionItem
from tests.reports.clinic_day import NOTE, SKIP_REASON, a_painful_session

from .conftest import axe_violations, patient_signs_in, staff_signs_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

DESK = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
REPLY = "Leave out the side bend this week; the others are fine."


def above_the_fold(locator, height):
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_a_therapist_answers_a_patient_in_pain_and_the_patient_reads_the_reply(
    live_server, new_page, shoot, alice, carol
):
    carol.therapist = alice.staff
    carol.save()
    assignment, _session = a_painful_session(
        carol, today=timezone.localdate(), therapist=alice.staff
    )
    base = live_server.url

    desk = new_page(viewport=DESK)
    staff_signs_in(desk, base, alice.email)
    expect(desk.get_by_role("heading", level=1)).to_have_text("Your patients today")
    item = desk.locator(".attention-item", has_text="Carol")
    alert = item.locator(".tag-alert")
    unread = item.locator(".tag-unread")
    expect(alert).to_have_text("Pain alert")
    expect(unread).to_have_text("1 unread message")
    assert above_the_fold(alert, DESK["height"]) and above_the_fold(unread, DESK["height"])
    shoot(desk, "clinic-day-01-therapist-home", full_page=False)
    assert axe_violations(desk) == []

    item.get_by_role("link", name="Open").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("Carol")
    log = desk.locator(".log-table").first
    expect(log).to_contain_text("2 × 3")
    expect(log).to_contain_text("8/10")
    expect(log.locator("tr.skipped")).to_contain_text(SKIP_REASON)
    expect(desk.locator("#thread")).to_contain_text(NOTE)
    shoot(desk, "clinic-day-02-patient-story")
    assert axe_violations(desk) == []

    desk.get_by_label("Reply to the patient").fill(REPLY)
    desk.get_by_role("button", name="Send the reply").click()
    expect(desk.get_by_text("Your reply to Carol")).to_be_visible()
    expect(desk.locator("#thread")).to_contain_text(REPLY)
    shoot(desk, "clinic-day-03-replied", full_page=False)

    desk.get_by_role("link", name="Adjust the prescription").click()
    expect(desk.locator("input[name='items-0-reps']")).to_be_visible()
    desk.locator("input[name='items-0-reps']").fill("2")
    desk.get_by_role("button", name="Save", exact=True).click()
    expect(desk.locator(".messagelist")).to_contain_text("changed successfully")
    first = PrescriptionItem.objects.filter(assignment=assignment).order_by("order").first()
    assert first.reps == 2
    shoot(desk, "clinic-day-04-prescription-adjusted", full_page=False)

    phone = new_page(viewport=PHONE)
    patient_signs_in(phone, base, carol.email)
    expect(phone.get_by_text(REPLY)).to_be_visible()
    expect(phone.get_by_text("1 new", exact=True).first).to_be_visible()
    about = phone.locator("details.about-program").first
    about.locator("summary").click()
    expect(about).to_contain_text("Bend to tie my shoes without pain")
    expect(about).to_contain_text("sharp pain is not")
    shoot(phone, "clinic-day-05-patient-today")
    assert axe_violations(phone) == []

    start = re.compile("Start today's session|Do an extra session")
    phone.get_by_role("button", name=start).click()
    expect(phone.locator("details.about-program summary")).to_have_text("About your program")
    shoot(phone, "clinic-day-06-patient-session-start")
    assert axe_violations(phone) == []

    phone.goto(base + "/messages/")
    expect(phone.get_by_text(REPLY)).to_be_visible()
    shoot(phone, "clinic-day-07-patient-messages")
    assert axe_violations(phone) == []


def test_the_home_and_the_story_fit_a_phone(live_server, new_page, shoot, alice, carol):
    """A therapist on her phone: each needs-attention item stacks its reasons and actions,
    the caseload table scrolls in its own box, and no page is wider than the screen."""
    carol.therapist = alice.staff
    carol.save()
    a_painful_session(carol, today=timezone.localdate(), therapist=alice.staff)
    phone = new_page(viewport=PHONE)
    staff_signs_in(phone, live_server.url, alice.email)
    item = phone.locator(".attention-item", has_text="Carol")
    expect(item.get_by_role("button", name="Mark reviewed")).to_be_visible()
    width = "document.documentElement.scrollWidth"
    assert phone.evaluate(width) <= PHONE["width"]
    shoot(phone, "clinic-day-08-therapist-home-phone")
    item.get_by_role("link", name="Open").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Carol")
    assert phone.evaluate(width) <= PHONE["width"]
    shoot(phone, "clinic-day-09-patient-story-phone")
