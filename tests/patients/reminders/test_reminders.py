"""What is due and when, claiming, sending and the one-pass command, on PostgreSQL."""

import datetime
import re
import smtplib
import zoneinfo
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from patients import reminders
from patients.links import session_id_from_checkin_token
from patients.models import (
    Answer,
    AssignmentStatus,
    CheckIn,
    Reminder,
    ReminderStatus,
    Session,
    SessionStatus,
    StageChange,
)
from patients.reminders import Candidate, due_candidates, reminder_instant, reminders_claim
from tests.factories import AssignmentFactory, PatientFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
LONDON = zoneinfo.ZoneInfo("Europe/London")
MONDAY = datetime.date(2026, 3, 2)
DAY = datetime.timedelta(days=1)


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


def run_pass(instant: str) -> str:
    out = StringIO()
    call_command("send_due_reminders", at=instant, stdout=out)
    return out.getvalue()


def completed(assignment, on, answer=None):
    session = Session.objects.create(
        assignment=assignment,
        patient=assignment.patient,
        performed_on=on,
        status=SessionStatus.COMPLETED,
        completed_at=datetime.datetime.combine(on, datetime.time(9), tzinfo=UTC),
    )
    if answer:
        CheckIn.objects.create(
            session=session, patient=assignment.patient, answer=answer, answered_on=on + DAY
        )
    return session


@pytest.fixture
def assignment(carol):
    return AssignmentFactory(patient=carol, start_date=MONDAY, timezone="Europe/London")


# Local reminder instants.


def test_reminder_instant_is_the_local_time_in_winter_and_summer():
    eight = datetime.time(8)
    assert reminder_instant(MONDAY, eight, LONDON) == at("2026-03-02T08:00+00:00")
    assert reminder_instant(datetime.date(2026, 6, 1), eight, LONDON) == at("2026-06-01T07:00Z")


def test_a_time_skipped_by_spring_forward_falls_on_the_first_valid_instant_after_it():
    # 29 March 2026: London clocks jump from 01:00 GMT to 02:00 BST.
    skipped = reminder_instant(datetime.date(2026, 3, 29), datetime.time(1, 30), LONDON)
    assert skipped == at("2026-03-29T01:00Z")
    assert skipped.astimezone(LONDON).time() == datetime.time(2, 0)


def test_a_time_repeated_by_fall_back_counts_at_its_first_occurrence():
    # 25 October 2026: London clocks go back from 02:00 BST to 01:00 GMT.
    repeated = reminder_instant(datetime.date(2026, 10, 25), datetime.time(1, 30), LONDON)
    assert repeated == at("2026-10-25T00:30Z")


# Who is due.


def test_nobody_is_due_before_the_local_reminder_time(assignment):
    assert due_candidates(at("2026-03-02T07:59:59Z")) == []
    assert due_candidates(at("2026-03-02T08:00Z")) == [Candidate(assignment.patient_id, MONDAY)]


def test_the_local_date_is_the_patients_not_utcs():
    sydney = AssignmentFactory(patient__timezone="Australia/Sydney", start_date=MONDAY)
    # 21:30 UTC on Sunday is 08:30 on Monday in Sydney.
    assert due_candidates(at("2026-03-01T21:30Z")) == [Candidate(sydney.patient_id, MONDAY)]


@pytest.mark.parametrize(
    "change",
    [
        {"status": AssignmentStatus.PAUSED},
        {"status": AssignmentStatus.ENDED},
        {"patient__reminder_consent": False},
        {"patient__reminders_opted_out_at": at("2026-03-01T00:00Z")},
        {"patient__email": ""},
        {"start_date": MONDAY + DAY},
    ],
    ids=["paused", "ended", "no consent", "opted out", "no email", "not started"],
)
def test_nobody_is_due_when(change):
    AssignmentFactory(**{"start_date": MONDAY, **change})
    assert due_candidates(at("2026-03-02T12:00Z")) == []


def test_a_patient_with_a_reminder_row_for_the_day_is_not_due_again(assignment):
    run_pass("2026-03-02T08:00Z")
    assert due_candidates(at("2026-03-02T20:00Z")) == []
    tuesday = Candidate(assignment.patient_id, MONDAY + DAY)
    assert due_candidates(at("2026-03-03T08:00Z")) == [tuesday]


def test_the_due_query_count_does_not_grow_with_the_number_of_assignments():
    def queries_of_a_pass(count):
        AssignmentFactory.create_batch(count, start_date=MONDAY)
        with CaptureQueriesContext(connection) as queries:
            candidates = due_candidates(at("2026-03-02T09:00Z"))
            reminders.reminders_reclaim_stale(at("2026-03-02T09:00Z"))
        Reminder.objects.all().delete()
        return len(candidates), len(queries)

    assert queries_of_a_pass(5) == (5, 3)
    assert queries_of_a_pass(45) == (50, 3)


# What the message says.


def test_a_planned_day_brings_a_session_reminder_with_a_link_to_today(assignment):
    run_pass("2026-03-02T08:00Z")
    (message,) = mail.outbox
    assert message.to == ["carol@a.example"]
    assert "Today is a session day: Hip flexor stretches for back pain." in message.body
    assert "http://127.0.0.1:8000/" in message.body
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.includes_session, reminder.includes_checkin) == (
        ReminderStatus.SENT,
        True,
        False,
    )
    assert reminder.due_at == at("2026-03-02T08:00Z")
    assert reminder.attempts == 1


def test_a_day_that_is_not_planned_is_recorded_as_skipped_and_sends_nothing(assignment):
    run_pass("2026-03-03T08:00Z")  # Tuesday: the Start stage plans Monday and Thursday
    assert mail.outbox == []
    assert Reminder.objects.get().status == ReminderStatus.SKIPPED


def test_the_day_after_a_completed_session_asks_the_check_in_question(assignment):
    session = completed(assignment, MONDAY)
    run_pass("2026-03-03T08:00Z")
    (message,) = mail.outbox
    assert "How do you feel today after yesterday's session?" in message.body
    (token,) = re.findall(r"/checkin/([^/\s]+)/", message.body)
    assert session_id_from_checkin_token(token) == session.pk
    assert "session day" not in message.body


def test_session_and_check_in_on_the_same_day_come_in_one_message(assignment):
    assignment.advanced = True
    assignment.save()
    AssignmentFactory(patient=assignment.patient, start_date=MONDAY, name="Knee drops")
    completed(assignment, MONDAY + 2 * DAY)
    run_pass("2026-03-05T08:00Z")  # Thursday: planned for both, check-in for Wednesday
    (message,) = mail.outbox
    assert "How do you feel today" in message.body
    assert "Hip flexor stretches for back pain, Knee drops" in message.body
    assert "Today's session, and how do you feel after yesterday's?" in message.subject
    assert Reminder.objects.get().items == [
        {"kind": "session", "assignment": assignment.pk, "name": assignment.name},
        {
            "kind": "checkin",
            "assignment": assignment.pk,
            "name": assignment.name,
            "session": Session.objects.get().pk,
        },
        {"kind": "session", "assignment": assignment.pk + 1, "name": "Knee drops"},
    ]


def test_no_session_reminder_when_todays_session_is_already_done(assignment):
    completed(assignment, MONDAY)
    run_pass("2026-03-02T09:00Z")
    assert mail.outbox == []


def test_no_session_reminder_when_the_weeks_target_is_met(assignment):
    completed(assignment, MONDAY, Answer.FINE)
    completed(assignment, MONDAY + DAY, Answer.FINE)
    run_pass("2026-03-05T08:00Z")  # Thursday is planned, but both sessions are done
    assert mail.outbox == []


def test_the_email_has_text_html_the_clinic_and_one_click_unsubscribe(assignment):
    run_pass("2026-03-02T08:00Z")
    (message,) = mail.outbox
    assert message.from_email == "Clinic A <noreply@localhost>"
    assert "Clinic A" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Open today's session" in html
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://127.0.0.1:8000/reminders/unsubscribe/")
    assert unsubscribe[1:-1] in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    reminder = Reminder.objects.get()
    assert message.extra_headers["Message-ID"] == f"<reminder-{reminder.pk}-20260302@127.0.0.1>"


# Claiming and sending.


def test_a_second_claim_of_the_same_patient_and_day_gets_nothing(assignment):
    candidate = Candidate(assignment.patient_id, MONDAY)
    first = reminders_claim([candidate], at("2026-03-02T08:00Z"))
    second = reminders_claim([candidate], at("2026-03-02T08:00Z"))
    assert len(first) == 1
    assert second == []


def test_a_reminder_is_sent_by_one_worker_only(assignment):
    (pk,) = reminders_claim([Candidate(assignment.patient_id, MONDAY)], at("2026-03-02T08:00Z"))
    assert reminders.reminder_send(pk) == "sent"
    assert reminders.reminder_send(pk) == "taken"
    assert len(mail.outbox) == 1


def test_an_smtp_failure_is_recorded_and_the_reminder_stays_claimed(assignment, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", 9, False
    (pk,) = reminders_claim([Candidate(assignment.patient_id, MONDAY)], at("2026-03-02T08:00Z"))
    with pytest.raises(OSError):
        reminders.reminder_send(pk)
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.attempts) == (ReminderStatus.CLAIMED, 1)
    assert "ConnectionRefusedError" in reminder.last_error


def test_a_reminder_fails_for_good_after_the_last_attempt(assignment, settings):
    settings.REMINDER_MAX_ATTEMPTS = 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", 9, False
    (pk,) = reminders_claim([Candidate(assignment.patient_id, MONDAY)], at("2026-03-02T08:00Z"))
    for _ in range(2):
        with pytest.raises((OSError, smtplib.SMTPException)):
            reminders.reminder_send(pk)
    assert Reminder.objects.get().status == ReminderStatus.FAILED
    assert reminders.reminder_send(pk) == "taken"


def test_the_reconciler_hands_back_reminders_stuck_longer_than_a_worker_would_take(assignment):
    (pk,) = reminders_claim([Candidate(assignment.patient_id, MONDAY)], at("2026-03-02T08:00Z"))
    Reminder.objects.filter(pk=pk).update(status=ReminderStatus.SENDING)
    assert reminders.reminders_reclaim_stale(at("2026-03-02T08:10Z")) == []
    assert reminders.reminders_reclaim_stale(at("2026-03-02T08:16Z")) == [pk]
    reminder = Reminder.objects.get()
    assert reminder.status == ReminderStatus.CLAIMED
    assert "stopped while sending" in reminder.last_error


def test_the_reconciler_gives_up_on_a_reminder_that_used_its_attempts(assignment, settings):
    (pk,) = reminders_claim([Candidate(assignment.patient_id, MONDAY)], at("2026-03-02T08:00Z"))
    Reminder.objects.filter(pk=pk).update(attempts=settings.REMINDER_MAX_ATTEMPTS)
    assert reminders.reminders_reclaim_stale(at("2026-03-02T09:00Z")) == []
    assert Reminder.objects.get().status == ReminderStatus.FAILED


def test_the_command_reports_what_the_pass_did(assignment, carol):
    assert run_pass("2026-03-02T08:00:00+00:00") == (
        "0 reclaimed, 1 due, 1 claimed, 1 sent, 0 failed.\n"
    )
    assert run_pass("2026-03-02T08:05:00+00:00").startswith("0 reclaimed, 0 due")


def test_the_command_rejects_an_instant_without_an_offset():
    with pytest.raises(Exception, match="needs a UTC offset"):
        run_pass("2026-03-02T08:00")


def test_two_patients_in_one_pass_each_get_their_own_message():
    PatientFactory.create_batch(2)
    for patient in PatientFactory._meta.model.objects.all():
        AssignmentFactory(patient=patient, start_date=MONDAY)
    run_pass("2026-03-02T08:00Z")
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        PatientFactory._meta.model.objects.values_list("email", flat=True)
    )


def test_patients_in_one_batch_each_get_the_reminder_in_their_own_language():
    for language in ("es", "en", "de", "es"):
        AssignmentFactory(patient=PatientFactory(language=language), start_date=MONDAY)
    with translation.override("de"):  # whatever the sender's language, the patient's wins
        run_pass("2026-03-02T08:00Z")
    languages = dict(PatientFactory._meta.model.objects.values_list("email", "language"))
    assert len(mail.outbox) == 4
    for message in mail.outbox:
        with translation.override(languages[message.to[0]]):
            subject = translation.gettext("Today's session is ready")
            button = translation.gettext("Open today's session")
        assert message.subject.startswith(subject + " — ")
        assert button in message.body and button in message.alternatives[0][0]


def test_the_reminder_names_the_program_in_the_patients_language_whoever_sends_it():
    german, english = PatientFactory(language="de"), PatientFactory(language="en")
    for patient in (german, english):
        AssignmentFactory(
            patient=patient,
            start_date=MONDAY,
            name_en="Hip flexor stretches",
            name_de="Hüftbeuger-Dehnungen",
        )
    with translation.override("es"):  # a worker in a third language
        run_pass("2026-03-02T08:00Z")
    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert "Hüftbeuger-Dehnungen" in bodies[german.email]
    assert "Hip flexor stretches" in bodies[english.email]


def test_the_pass_records_no_stage_change_the_beat_task_at_midnight_does(assignment):
    completed(assignment, MONDAY, Answer.FINE)
    completed(assignment, MONDAY + 3 * DAY, Answer.SORE)
    run_pass("2026-03-09T08:00Z")
    assert not StageChange.objects.exists()  # deciding a reminder only reads
