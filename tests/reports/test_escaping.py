"""What patients and staff write is shown as text on every staff page that writes its
markup in Python (the home's needs-attention items, caseload rows and reply boxes, the
story's log rows): a name or a reason that looks like HTML comes back escaped, never as
markup."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape

from patients.messages import message_send
from patients.models import ExerciseLog

from .clinic_day import a_painful_session, noon

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 25)
MARKUP = '<b class="x">Bold</b> & "quoted"'


@pytest.fixture
def hostile(client, alice, carol):
    carol.first_name, carol.therapist = MARKUP, alice.staff
    carol.save()
    with time_machine.travel(noon(TODAY), tick=False):
        assignment, _session = a_painful_session(carol, today=TODAY, therapist=alice.staff)
        assignment.name = MARKUP
        assignment.save()
        ExerciseLog.objects.filter(skipped=True).update(skip_reason=MARKUP)
        message_send(patient=carol, author=None, body=MARKUP, from_patient=True)
    client.force_login(alice)
    return carol


@pytest.mark.parametrize("page", ["home", "story"])
def test_what_people_wrote_comes_back_escaped(client, hostile, page):
    url = reverse("admin:index") if page == "home" else reverse("patient_story", args=[hostile.pk])
    with time_machine.travel(noon(TODAY), tick=False):
        text = client.get(url).text
    assert "<b class" not in text
    assert text.count(escape(MARKUP)) >= 2  # the patient and the program, at least
