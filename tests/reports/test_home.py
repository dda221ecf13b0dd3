"""The therapist's home: needs attention first, with reasons and one click to act; then the
caseload, computed a page at a time in a constant number of queries."""

import datetime
from xml.etree import ElementTree

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from hypothesis import example, given
from hypothesis import strategies as st

from clinic.models import AuditEvent
from patients.messages import message_send
from patients.models import AssignmentStatus, Message, StageChange
from reports import charts
from reports.adherence import WeekRow
from reports.home import SPARK_WEEKS, caseload, spark_svg
from reports.models import AttentionReview
from tests.factories import PASSWORD, PatientFactory
from tests.patients.back_pain import back_pain_assignment

from .clinic_day import SKIP_REASON, a_painful_session, noon

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 25)
HOME = reverse("admin:index")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(noon(TODAY), tick=False):
        yield


def signed_in(client, user):
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_the_admin_index_is_the_therapists_home(client, alice):
    page = signed_in(client, alice).get(HOME)
    assert page.status_code == 200
    assert reverse("therapist_home") == HOME
    assert "Needs attention" in page.text and "My patients" in page.text


def test_a_patient_in_pain_with_a_message_is_listed_with_every_reason_and_its_actions(
    client, alice, carol
):
    carol.therapist = alice.staff
    carol.save()
    assignment, _session = a_painful_session(carol, today=TODAY, therapist=alice.staff)
    page = signed_in(client, alice).get(HOME).text
    attention = page[page.index("Needs attention") : page.index("My patients")]
    assert "Carol" in attention
    assert "1 pain alert not acknowledged" in attention
    assert f"Sketchy or painful check-in on {TODAY - datetime.timedelta(days=1)}" in attention
    assert f"Pain 8/10 on {TODAY - datetime.timedelta(days=2)}" in attention
    assert SKIP_REASON in attention
    assert "1 unread message" in attention
    assert reverse("patient_story", args=[carol.pk]) in attention
    assert reverse("admin:reports_adherencereport_review", args=[assignment.pk]) in attention
    assert reverse("patient_reply", args=[carol.pk]) in attention


def test_a_very_sore_check_in_is_a_reason(client, alice, carol):
    from patients.checkins import checkin_record

    _assignment, session = a_painful_session(carol, today=TODAY, therapist=alice.staff)
    session.checkin.delete()
    StageChange.objects.all().delete()
    checkin_record(session=session, answer="very_sore")
    page = signed_in(client, alice).get(HOME).text
    assert f"Very sore after a session (check-in of {TODAY})" in page


def test_mark_reviewed_from_the_home_acknowledges_the_alert_audits_it_and_comes_back(
    client, alice, carol
):
    assignment, _session = a_painful_session(carol, today=TODAY, therapist=alice.staff)
    review = reverse("admin:reports_adherencereport_review", args=[assignment.pk])
    response = signed_in(client, alice).post(review, {"next": "home"})
    assert response.status_code == 302 and response.url == HOME
    assert not StageChange.objects.filter(alert_therapist=True, acknowledged_at=None).exists()
    assert AttentionReview.objects.get().reviewed_by == alice
    assert AuditEvent.objects.filter(object_type="reports.attentionreview").exists()
    page = client.get(HOME).text
    attention = page[page.index("Needs attention") : page.index("My patients")]
    # The unread message stays until someone reads it.
    assert "pain alert" not in attention and "1 unread message" in attention


def test_a_reply_from_the_home_reaches_the_patient_and_clears_the_unread(client, alice, carol):
    a_painful_session(carol, today=TODAY, therapist=alice.staff)
    reply = reverse("patient_reply", args=[carol.pk])
    response = signed_in(client, alice).post(reply, {"body": "Skip the side bend.", "next": "home"})
    assert response.status_code == 302 and response.url == HOME
    assert Message.objects.filter(from_patient=False, body="Skip the side bend.").exists()
    assert not Message.objects.unread_by_staff().exists()


@pytest.mark.parametrize("body", ["   ", "Skip the side bend for now. " * 80])
def test_a_refused_reply_from_the_home_stays_on_the_home_open_with_its_text(
    client, alice, carol, body
):
    assignment, _session = a_painful_session(carol, today=TODAY, therapist=alice.staff)
    reply = reverse("patient_reply", args=[carol.pk])
    signed_in(client, alice)
    response = client.post(reply, {"body": body, "next": "home", "box": str(assignment.pk)})
    assert response.status_code == 400
    assert not Message.objects.filter(from_patient=False).exists()
    page = response.text
    assert "Needs attention" in page  # the home again
    assert 'href="?' not in page  # shown at the reply's address: no link relative to it
    box = page[page.index('<details class="reply" open>') :]
    box = box[: box.index("</details>")]
    assert 'aria-invalid="true"' in box and f'name="box" value="{assignment.pk}"' in box
    assert escape(body.strip()) in box
    assert ("it is empty" if not body.strip() else "at most 2000 characters") in box


def test_a_refused_reply_for_a_patient_no_longer_on_the_home_comes_back_on_the_story(
    client, alice, carol
):
    a_painful_session(carol, today=TODAY, therapist=alice.staff)
    carol.assignments.update(status=AssignmentStatus.PAUSED)  # off the home's lists
    response = signed_in(client, alice).post(
        reverse("patient_reply", args=[carol.pk]), {"body": "", "next": "home"}
    )
    assert response.status_code == 400
    assert "What happened" in response.text and "it is empty" in response.text
    assert not Message.objects.filter(from_patient=False).exists()


def test_my_patients_shows_stage_this_week_the_last_four_weeks_and_unread(client, alice, carol):
    a_painful_session(carol, today=TODAY, therapist=alice.staff)
    page = signed_in(client, alice).get(HOME).text
    caseload = page[page.index("My patients") :]
    assert "Carol" in caseload and "Hip flexor stretches for back pain" in caseload
    assert 'class="spark"' in caseload  # the ended week, drawn small
    assert f"{TODAY - datetime.timedelta(days=2):%Y-%m-%d}" in caseload  # last session
    assert "1 unread" in caseload


def test_a_therapist_sees_only_her_caseload_and_a_clinic_admin_may_see_the_whole_clinic(
    client, alice, alma, carol, erin
):
    a_painful_session(carol, today=TODAY, therapist=alice.staff)
    a_painful_session(erin, today=TODAY, therapist=alma.staff)
    mine = signed_in(client, alice).get(HOME, {"scope": "all"}).text
    assert "Carol" in mine and "Erin" not in mine  # scope=all is for clinic admins
    client.logout()
    everyone = signed_in(client, alma).get(HOME, {"scope": "all"}).text
    assert "Carol" in everyone and "Erin" in everyone
    assert "Carol" not in client.get(HOME).text


def test_her_caseload_is_her_programs_and_her_patients_programs_and_only_active_ones(
    alice, alma, carol, dave
):
    """The rule every query of the home embeds, over each way a program relates to her."""
    expected = set()
    for lead in (alice, alma, None):
        patient = PatientFactory(clinic=carol.clinic, therapist=lead and lead.staff)
        for therapist in (alice, alma, None):
            for status in AssignmentStatus:
                assignment = back_pain_assignment(
                    patient, TODAY, therapist=therapist and therapist.staff, status=status
                )
                if status == AssignmentStatus.ACTIVE and alice in (lead, therapist):
                    expected.add(assignment.pk)
    back_pain_assignment(dave, TODAY, status=AssignmentStatus.ACTIVE)  # another clinic's
    assert len(expected) == 5
    assert set(caseload(alice, everyone=False).values_list("pk", flat=True)) == expected


def test_another_clinics_patients_never_appear(client, alice, bob, dave):
    a_painful_session(dave, today=TODAY, therapist=bob.staff)
    page = signed_in(client, alice).get(HOME, {"scope": "all"}).text
    assert "Dave" not in page


def test_a_superuser_without_a_clinic_gets_djangos_index(client, db):
    root = get_user_model().objects.create_superuser(email="root@example.test", password=PASSWORD)
    page = signed_in(client, root).get(HOME)
    assert page.status_code == 200 and "Needs attention" not in page.text


def caseload_of(alice, count, start):
    for number in range(start, start + count):
        patient = PatientFactory(clinic=alice.staff.clinic, first_name=f"P{number}")
        a_painful_session(patient, today=TODAY, therapist=alice.staff)
        message_send(patient=patient, author=None, body="Hello", from_patient=True)


def test_the_home_runs_as_many_queries_for_a_caseload_of_eight_as_for_one(client, alice):
    caseload_of(alice, 1, 0)
    signed_in(client, alice).get(HOME)
    with CaptureQueriesContext(connection) as one:
        assert client.get(HOME).status_code == 200
    caseload_of(alice, 7, 1)
    with CaptureQueriesContext(connection) as eight:
        page = client.get(HOME)
    assert page.text.count('class="spark"') == 8
    assert len(eight) == len(one), "\n".join(query["sql"][:200] for query in eight)


@given(
    weeks=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 9)), max_size=SPARK_WEEKS),
    # What XML can carry in an attribute as written (a parser folds line breaks).
    label=st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40),
)
@example(weeks=[(3, 2)], label='Adhérence & "semaines" <4>')
def test_a_spark_is_well_formed_svg_with_a_bar_as_high_as_each_weeks_adherence(weeks, label):
    """Any weeks and any (translated) label: the markup parses, each bar's height is its
    week's share of the plot, and the label comes back as written, escaped."""
    rows = [
        WeekRow(
            assignment_id=1,
            patient="Carol",
            program="Knee",
            starts_on=TODAY + datetime.timedelta(weeks=n),
            ends_on=TODAY + datetime.timedelta(weeks=n, days=6),
            stage="base",
            planned=planned,
            completed=completed,
            counted=min(completed, planned),
            in_progress=False,
        )
        for n, (planned, completed) in enumerate(weeks)
    ]
    svg = ElementTree.fromstring(str(spark_svg(rows, label)))
    assert svg.get("aria-label") == label and svg.find("title").text == (label or None)
    bars = svg.findall("rect")
    assert len(bars) == len(rows)
    plot = charts.FRAME.baseline - charts.FRAME.top
    for bar, row in zip(bars, rows, strict=True):
        assert float(bar.get("height")) == pytest.approx(plot * (row.adherence or 0) / 100, abs=0.1)
        assert f"{row.completed}/{row.planned}" in bar.find("title").text
        assert charts.band(row.adherence) in bar.get("class")
