"""The clinic's day when the therapist gets it wrong, in a real browser at a desk: a reply
of only spaces from the home and an over-long one on the patient's page come back with the
text kept and the reason beside the box; another clinic's patient in the reply address is
a 404 that stores nothing; the stage override page speaks to the therapist."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import Message, StageChange
from tests.reports.clinic_day import a_painful_session

from .conftest import staff_signs_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

DESK = {"width": 1366, "height": 900}
# Over the 2,000 characters: the box's maxlength stops typing there, so the walk lifts it
# (as a script, an old browser or the API would) to see the server's own answer.
LONG = "\n".join(f"Line {n:03d}: keep the side bend gentle." for n in range(60))


def test_a_therapists_refused_replies_keep_their_text_and_the_stage_page_speaks_to_her(
    live_server, new_page, shoot, alice, carol, bob, dave
):
    carol.therapist = alice.staff
    carol.save()
    today = timezone.localdate()
    assignment, _session = a_painful_session(carol, today=today, therapist=alice.staff)
    a_painful_session(dave, today=today, therapist=bob.staff)
    stored = Message.objects.count()
    base = live_server.url

    desk = new_page(viewport=DESK)
    staff_signs_in(desk, base, alice.email)
    expect(desk.get_by_role("heading", level=1)).to_have_text("Your patients today")

    # From the home: a reply of only spaces (the browser's "required" lets it through).
    item = desk.locator(".attention-item", has_text="Carol")
    item.locator("details.reply summary").click()
    item.get_by_label("Reply to the patient").fill("   ")
    item.get_by_role("button", name="Send the reply").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Your patients today")
    item = desk.locator(".attention-item", has_text="Carol")
    box = item.locator("details.reply[open]")
    expect(box.locator(".reply-errors")).to_contain_text("it is empty")
    expect(box.get_by_label("Reply to the patient")).to_be_focused()
    shoot(desk, "clinic-day-refused-01-home-empty-reply", full_page=False)
    assert Message.objects.count() == stored

    # On the patient's page: an over-long reply keeps every character.
    item.get_by_role("link", name="Open").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("Carol")
    reply = desk.get_by_label("Reply to the patient")
    reply.evaluate("box => box.removeAttribute('maxlength')")
    reply.fill(LONG)
    expect(reply).to_have_value(LONG)
    desk.get_by_role("button", name="Send the reply").click()
    errors = desk.locator("#reply .reply-errors")
    expect(errors).to_contain_text("at most 2000 characters")
    reply = desk.get_by_label("Reply to the patient")
    expect(reply).to_have_value(LONG)
    expect(reply).to_be_focused()
    shoot(desk, "clinic-day-refused-02-story-long-reply", full_page=False)
    assert Message.objects.count() == stored

    # Another clinic's patient in the reply address: 404, nothing stored.
    token = desk.locator("#reply input[name=csrfmiddlewaretoken]").input_value()
    answer = desk.request.post(
        f"{base}/admin/patients/patient/{dave.pk}/story/reply/",
        form={"csrfmiddlewaretoken": token, "body": "Hello from another clinic"},
        headers={"Referer": desk.url},
    )
    assert answer.status == 404
    assert Message.objects.count() == stored

    # The stage override, from the prescription.
    desk.get_by_role("link", name="Adjust the prescription").click()
    desk.get_by_role("link", name="Set the stage by hand").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("Set the stage")
    log = desk.locator("table").last
    expect(log).to_contain_text("the patient answered a next-day check-in")
    expect(log).not_to_contain_text("you told us")
    shoot(desk, "clinic-day-refused-03-stage-page")
    desk.get_by_label("stage").select_option(index=1)
    desk.get_by_role("button", name="Set the stage").click()
    done = desk.locator(".messagelist")
    expect(done).to_contain_text("by a therapist")
    expect(done).not_to_contain_text("Your therapist")
    shoot(desk, "clinic-day-refused-04-stage-set", full_page=False)
    assert StageChange.objects.filter(assignment=assignment, kind="override").count() == 1
