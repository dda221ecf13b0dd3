"""Every box where someone writes a message keeps what they wrote when it is refused.

The rule over all of them ("Nothing a user entered is lost"): a message the server
refuses (too long, or only spaces) brings the page back with the text still in its box,
says why beside it, answers 400, and stores nothing. The therapist's reply on a patient's
story and on the home, the patient's message on the messages page and on the today page,
and the note at the end of a session.
"""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape

from patients.models import Message
from patients.player import session_start
from tests.factories import PASSWORD
from tests.patients.back_pain import back_pain_assignment

from .clinic_day import a_painful_session, noon

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 25)
TOO_LONG = "My knee clicks on the second set, is that fine? " * 45  # 2,205 characters
SPACES = "   \n  "
# 1,979 characters as a browser's box counts them (a line break is one); 2,158 as the form
# sends them (CR LF).
LINES = "\n".join(f"Set {n:03d} ok" for n in range(180))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(noon(TODAY), tick=False):
        yield


def therapist_on_the_story(client, alice, carol):
    a_painful_session(carol, today=TODAY, therapist=alice.staff)
    assert client.login(email=alice.email, password=PASSWORD)
    return reverse("patient_reply", args=[carol.pk]), "body", {}


def therapist_on_the_home(client, alice, carol):
    assignment, _session = a_painful_session(carol, today=TODAY, therapist=alice.staff)
    assert client.login(email=alice.email, password=PASSWORD)
    return reverse("patient_reply", args=[carol.pk]), "body", {"next": "home", "box": assignment.pk}


def patient_on_the_messages_page(client, alice, carol):
    client.force_login(carol.user)
    return reverse("patients:messages"), "body", {}


def patient_on_the_today_page(client, alice, carol):
    client.force_login(carol.user)
    return reverse("patients:messages"), "body", {"next": "home"}


def patient_at_the_end_of_a_session(client, alice, carol):
    assignment = back_pain_assignment(carol, TODAY - datetime.timedelta(days=3))
    session = session_start(assignment=assignment)
    client.force_login(carol.user)
    return reverse("patients:session_finish", args=[session.pk]), "note", {"effort": "5"}


BOXES = [
    therapist_on_the_story,
    therapist_on_the_home,
    patient_on_the_messages_page,
    patient_on_the_today_page,
    patient_at_the_end_of_a_session,
]


@pytest.mark.parametrize("box", BOXES, ids=lambda box: box.__name__)
def test_a_too_long_message_comes_back_in_its_box_and_nothing_is_stored(client, alice, carol, box):
    url, field, extra = box(client, alice, carol)
    before = Message.objects.count()
    response = client.post(url, {field: TOO_LONG, **extra})
    assert response.status_code == 400
    assert Message.objects.count() == before
    page = response.text
    assert escape(TOO_LONG.strip()) in page
    assert "at most 2000 characters" in page


@pytest.mark.parametrize(
    "box",
    [box for box in BOXES if box is not patient_at_the_end_of_a_session],
    ids=lambda box: box.__name__,
)
def test_a_message_of_only_spaces_is_refused_beside_its_box_and_nothing_is_stored(
    client, alice, carol, box
):
    url, field, extra = box(client, alice, carol)
    before = Message.objects.count()
    response = client.post(url, {field: SPACES, **extra})
    assert response.status_code == 400
    assert Message.objects.count() == before
    assert "it is empty" in response.text


@pytest.mark.parametrize("box", BOXES, ids=lambda box: box.__name__)
def test_a_message_the_box_allowed_is_accepted_with_its_line_breaks_counted_once(
    client, alice, carol, box
):
    assert len(LINES) <= 2000 < len(LINES.replace("\n", "\r\n"))
    url, field, extra = box(client, alice, carol)
    before = Message.objects.count()
    response = client.post(url, {field: LINES.replace("\n", "\r\n"), **extra})
    assert response.status_code == 302
    assert Message.objects.count() == before + 1
    assert Message.objects.latest("pk").body == LINES
