"""A patient's story page: timeline, the therapist's wording of stage changes, the thread
and the reply, each program's questionnaire scores; scoped to the clinic, in a constant
number of queries."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from clinic.models import AuditAction, AuditEvent
from patients.messages import message_send
from patients.models import Assignment, AssignmentStatus, Message, Reminder, ReminderStatus
from patients.player import dosage_in_words
from tests.factories import PASSWORD, PatientFactory, outcome_response, psfs_answers

from .clinic_day import NOTE, SKIP_REASON, a_painful_session, noon

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 25)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(noon(TODAY), tick=False):
        yield


def signed_in(client, user):
    assert client.login(email=user.email, password=PASSWORD)
    return client


def story(patient):
    return reverse("patient_story", args=[patient.pk])


def test_the_story_shows_each_exercises_log_the_skip_reason_the_check_in_and_the_note(
    client, alice, carol
):
    a_painful_session(carol, today=TODAY, therapist=alice.staff)
    Reminder.objects.create(
        patient=carol,
        local_date=TODAY - datetime.timedelta(days=2),
        due_at=noon(TODAY),
        status=ReminderStatus.SENT,
        includes_session=True,
    )
    page = signed_in(client, alice).get(story(carol))
    assert page.status_code == 200
    text = page.text
    assert "90/90 hip flexor stretch" in text or "hip flexor" in text.lower()
    assert "2 × 3" in text and "8/10" in text  # sets × reps, pain
    assert "Skipped" in text and SKIP_REASON in text
    assert "Next-day check-in" in text and "Sketchy or painful" in text
    assert NOTE in text
    assert "Reminder sent" in text
    assert "effort 6/10" in text


def test_stage_changes_are_written_for_the_therapist_not_to_the_patient(client, alice, carol):
    a_painful_session(carol, today=TODAY, therapist=alice.staff)
    text = signed_in(client, alice).get(story(carol)).text
    timeline = text[text.index("What happened") :]
    assert "the patient answered a next-day check-in" in timeline
    assert "you told us" not in timeline


def test_the_prescription_is_beside_the_timeline_with_a_link_to_adjust_it(client, alice, carol):
    assignment, _session = a_painful_session(carol, today=TODAY, therapist=alice.staff)
    text = signed_in(client, alice).get(story(carol)).text
    assert "Prescription" in text and "Bend to tie my shoes without pain" in text
    assert reverse("admin:patients_assignment_change", args=[assignment.pk]) in text


def test_an_ended_programs_sessions_keep_its_name_exercises_and_dosages(client, alice, carol):
    ended, _session = a_painful_session(carol, today=TODAY, therapist=alice.staff)
    Assignment.objects.filter(pk=ended.pk).update(status=AssignmentStatus.ENDED)
    current, _session = a_painful_session(carol, today=TODAY, therapist=alice.staff)
    Assignment.objects.filter(pk=current.pk).update(name="Core strength")
    text = signed_in(client, alice).get(story(carol)).text
    timeline = text[text.index("What happened") : text.index('class="story-side"')]
    assert "· Hip flexor stretches for back pain" in timeline
    assert "· Core strength" in timeline
    for item in ended.items.select_related("exercise"):
        row = f'<th scope="row">{escape(item.exercise.name)}</th><td>{dosage_in_words(item)}</td>'
        assert timeline.count(row) == 2  # each program's session
    assert "Hip flexor stretches for back pain" not in text[text.index('class="story-side"') :]


def test_opening_the_story_reads_the_patients_messages_and_audits_the_view(client, alice, carol):
    a_painful_session(carol, today=TODAY, therapist=alice.staff)
    assert Message.objects.unread_by_staff().count() == 1
    signed_in(client, alice).get(story(carol))
    assert Message.objects.unread_by_staff().count() == 0
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_type="patients.patient", object_id=str(carol.pk)
    ).exists()


def test_a_reply_is_audited_and_emailed_to_the_patient_without_its_content(
    client, alice, carol, after_commit
):
    a_painful_session(carol, today=TODAY, therapist=alice.staff)
    mail.outbox.clear()
    with after_commit():
        response = signed_in(client, alice).post(
            reverse("patient_reply", args=[carol.pk]), {"body": "Skip the side bend for now."}
        )
    assert response.status_code == 302
    message = Message.objects.get(from_patient=False)
    assert (message.author, message.patient, message.clinic) == (alice, carol, carol.clinic)
    assert AuditEvent.objects.filter(
        action=AuditAction.ADD, object_type="patients.message", object_id=str(message.pk)
    ).exists()
    (email,) = mail.outbox
    assert email.to == [carol.email]
    everything = email.subject + email.body + email.alternatives[0][0]
    assert "side bend" not in everything and "Carol" not in everything
    assert reverse("patients:messages") in email.body


TYPED = "Keep the side bend gentle, and tell me how the knee feels. " * 40  # 2,400 characters


@pytest.mark.parametrize(
    ("body", "error"),
    [("", "it is empty"), ("   ", "it is empty"), (TYPED, "at most 2000 characters")],
)
def test_a_refused_reply_comes_back_in_its_box_with_the_reason_and_saves_nothing(
    client, alice, carol, body, error
):
    """Nothing a user entered is lost: the story page again, the text in the box, the
    reason beside it, and no message stored."""
    a_painful_session(carol, today=TODAY, therapist=alice.staff)
    before = Message.objects.count()
    response = signed_in(client, alice).post(
        reverse("patient_reply", args=[carol.pk]), {"body": body}
    )
    assert response.status_code == 400
    assert Message.objects.count() == before
    box = response.text[response.text.index('id="reply"') :]
    box = box[: box.index("</form>")]
    assert 'aria-invalid="true"' in box and error in box
    assert escape(body.strip()) in box
    assert "What happened" in response.text  # the whole page, not an error page
    # The page is shown at the reply's address: its links name their page, none is "?…".
    assert 'href="?' not in response.text


def test_another_clinics_patient_answers_404_and_nothing_is_written(client, alice, bob, dave):
    a_painful_session(dave, today=TODAY, therapist=bob.staff)
    signed_in(client, alice)
    assert client.get(story(dave)).status_code == 404
    before = Message.objects.count()
    reply = client.post(reverse("patient_reply", args=[dave.pk]), {"body": "Hello"})
    assert reply.status_code == 404
    assert Message.objects.count() == before
    assert Message.objects.unread_by_staff().count() == 1  # dave's note stays unread


def test_a_patient_cannot_open_the_story(client, carol):
    client.force_login(carol.user)
    response = client.get(story(carol))
    assert response.status_code == 302 and "/admin/login/" in response.url


def scores(assignment, *ratings_and_pain):
    """A PSFS and a pain scale on the assignment's start and every four weeks after."""
    for weeks, (ratings, pain) in enumerate(ratings_and_pain):
        day = assignment.start_date + datetime.timedelta(weeks=4 * weeks)
        outcome_response(assignment, "psfs", day, psfs_answers(*ratings))
        outcome_response(assignment, "nprs", day, {"pain": pain})


def test_the_story_shows_each_programs_questionnaire_trend_with_its_mcid(client, alice, carol):
    back, _session = a_painful_session(carol, today=TODAY, therapist=alice.staff)
    back.start_date = TODAY - datetime.timedelta(weeks=8)
    back.save(update_fields=["start_date"])
    scores(back, ((2, 3, 3), 7), ((4, 5, 5), 6))
    knee, _session = a_painful_session(carol, today=TODAY, therapist=alice.staff)
    knee.name = "Knee after the fall"
    knee.save(update_fields=["name"])
    scores(knee, ((5, 5, 5), 4))
    quiet, _session = a_painful_session(carol, today=TODAY, therapist=alice.staff)
    quiet.name = "No questionnaire here"
    quiet.save(update_fields=["name"])
    text = signed_in(client, alice).get(story(carol)).text
    trends = text[text.index('class="outcome-trends"') : text.index("What happened")]
    assert f"Questionnaire scores · {back.name}" in trends
    assert f"Questionnaire scores · {knee.name}" in trends
    assert "Questionnaire scores · No questionnaire here" not in text  # nothing answered
    # The same words and chart as the report's patient page: one partial.
    assert "Better by 2: more than the MCID (2)." in trends  # PSFS 2.67 -> 4.67
    assert "Changed by 1: within the MCID (2)." in trends  # pain 7 -> 6
    assert trends.count("One score so far.") == 2  # the knee's two scales
    assert trends.count('class="chart-bar chart-band"') == 4
    assert f'aria-labelledby="outcome-trends-title-{back.pk}"' in trends
    assert f'id="outcome-trends-title-{knee.pk}"' in trends


def test_the_story_runs_as_many_queries_in_a_big_clinic_and_a_long_history(client, alice, carol):
    first, _session = a_painful_session(carol, today=TODAY, therapist=alice.staff)
    signed_in(client, alice).get(story(carol))
    with CaptureQueriesContext(connection) as small:
        client.get(story(carol))
    for number in range(5):
        other = PatientFactory(clinic=carol.clinic, first_name=f"Other{number}")
        a_painful_session(other, today=TODAY, therapist=alice.staff)
    second, _session = a_painful_session(carol, today=TODAY, therapist=alice.staff)
    # Both programs with questionnaire scores: their trends come in one query.
    scores(first, ((2, 3, 3), 7), ((4, 5, 5), 5), ((6, 7, 7), 3))
    scores(second, ((5, 5, 5), 4), ((6, 6, 6), 4))
    for number in range(5):
        message_send(patient=carol, author=carol.user, body=f"Note {number}", from_patient=True)
    client.get(story(carol))  # reads the new messages, caches the new program's progress
    with CaptureQueriesContext(connection) as big:
        page = client.get(story(carol))
    assert page.text.count("Session done") == 2 and page.text.count("Note ") >= 5
    assert page.text.count('class="outcome-trends"') == 2
    assert len(big) == len(small), "\n".join(q["sql"][:150] for q in big)
