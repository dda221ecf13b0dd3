"""The therapist's view: reminder and stage-change logs, pain alerts, the stage override."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from patients.alerts import therapist_alert_send
from patients.checkins import checkin_record
from patients.models import (
    Answer,
    Assignment,
    ChangeKind,
    Reminder,
    ReminderStatus,
    Session,
    StageChange,
)
from tests.factories import AssignmentFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)
TUESDAY_NOON = datetime.datetime(2026, 3, 3, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def carols_program(carol, alice):
    return AssignmentFactory(
        patient=carol, start_date=MONDAY, therapist=alice.staff, name="Hip flexion"
    )


@pytest.fixture
def daves_program(dave, bob):
    return AssignmentFactory(patient=dave, start_date=MONDAY, therapist=bob.staff)


def painful_checkin(assignment):
    session = Session.objects.create(
        assignment=assignment, patient=assignment.patient, performed_on=MONDAY, status="completed"
    )
    with time_machine.travel(TUESDAY_NOON):
        _checkin, changes = checkin_record(
            session=session, answer=Answer.PAINFUL, today=MONDAY + datetime.timedelta(1)
        )
    return changes


def test_a_painful_check_in_flags_the_assignment_and_the_patient_in_the_lists(
    client, alice, carols_program, daves_program
):
    painful_checkin(carols_program)
    painful_checkin(daves_program)
    client.force_login(alice)
    assignments = client.get(reverse("admin:patients_assignment_changelist"))
    assert assignments.context["cl"].result_list.get().open_alert is True
    patients = client.get(reverse("admin:patients_patient_changelist"))
    assert [p.open_alert for p in patients.context["cl"].result_list] == [True]


def test_acknowledging_clears_the_flag_of_alices_own_assignments_only(
    client, alice, carols_program, daves_program
):
    painful_checkin(carols_program)
    painful_checkin(daves_program)
    client.force_login(alice)
    changelist = reverse("admin:patients_assignment_changelist")
    # A selection holding dave's assignment is refused whole (tests/clinic/test_admin_actions.py).
    for selection in ([carols_program.pk, daves_program.pk], [carols_program.pk]):
        client.post(changelist, {"action": "acknowledge_alerts", "_selected_action": selection})
    assert StageChange.objects.get(assignment=carols_program).acknowledged_at is not None
    assert StageChange.objects.get(assignment=daves_program).acknowledged_at is None


def test_the_stage_change_log_shows_reasons_of_alices_clinic_and_filters_open_alerts(
    client, alice, carols_program, daves_program
):
    painful_checkin(carols_program)
    painful_checkin(daves_program)
    client.force_login(alice)
    response = client.get(reverse("admin:patients_stagechange_changelist"), {"alert": "open"})
    (change,) = response.context["cl"].result_list
    assert change.assignment == carols_program
    # The reason speaks to the therapist, not to the patient ("Your therapist has been told").
    assert "the patient answered a next-day check-in" in response.text
    assert "Your therapist has been told." not in response.text


def test_the_reminder_log_is_read_only_and_scoped(client, alice, carol, dave):
    for patient in (carol, dave):
        Reminder.objects.create(
            patient=patient,
            local_date=MONDAY,
            due_at=TUESDAY_NOON,
            status=ReminderStatus.FAILED,
            last_error="SMTPDataError: 451",
        )
    client.force_login(alice)
    response = client.get(reverse("admin:patients_reminder_changelist"))
    assert [r.patient for r in response.context["cl"].result_list] == [carol]
    assert "SMTPDataError: 451" in response.text
    dave_reminder = Reminder.objects.get(patient=dave)
    assert client.get(reverse("admin:patients_reminder_add")).status_code == 403
    opened = client.get(reverse("admin:patients_reminder_change", args=[dave_reminder.pk]))
    assert opened.status_code == 302  # "doesn't exist" redirect for another clinic's row


def test_alice_sets_the_stage_by_hand_and_it_is_recorded_like_any_change(
    client, alice, carols_program
):
    client.force_login(alice)
    url = reverse("admin:patients_assignment_stage", args=[carols_program.pk])
    with time_machine.travel(TUESDAY_NOON):
        page = client.get(url)
        assert "2 sessions a week to start: your first week." in page.text
        response = client.post(url, {"stage": "build", "effective_on": "2026-03-03"})
    assert response.status_code == 302
    change = StageChange.objects.get()
    assert (change.kind, change.from_stage, change.to_stage, change.created_by) == (
        ChangeKind.OVERRIDE,
        "start",
        "build",
        alice,
    )
    assert change.reason == "Your therapist set this stage: 3 sessions a week."


def test_the_stage_page_gives_the_changes_and_the_done_message_in_the_therapists_words(
    client, alice, carols_program
):
    """The override page's log and its "done" message use the story's one definition
    (``therapist_reasons``), not the sentences written to the patient ("you told us…")."""
    (back_off,) = painful_checkin(carols_program)
    assert "you told us" in back_off.reason  # the patient's own sentence, stored
    client.force_login(alice)
    url = reverse("admin:patients_assignment_stage", args=[carols_program.pk])
    with time_machine.travel(TUESDAY_NOON):
        page = client.get(url).text
        log = page[page.index("<h2>Stage changes</h2>") :]
        assert "the patient answered a next-day check-in" in log
        assert "you told us" not in log and "Your therapist" not in log
        assert "The patient reads:" in page[: page.index("<h2>Stage changes</h2>")]
        done = client.post(url, {"stage": "build", "effective_on": "2026-03-03"}, follow=True)
    assert done.status_code == 200
    (message,) = [str(m) for m in done.context["messages"]]
    assert message.startswith("Set to ") and message.endswith("by a therapist.")
    assert "Your therapist" not in message
    assert StageChange.objects.filter(kind=ChangeKind.OVERRIDE).count() == 1


def test_alice_cannot_set_the_stage_of_another_clinics_assignment(client, alice, daves_program):
    client.force_login(alice)
    url = reverse("admin:patients_assignment_stage", args=[daves_program.pk])
    assert client.post(url, {"stage": "build", "effective_on": "2026-03-03"}).status_code == 404
    assert not StageChange.objects.exists()


def test_the_assignment_page_shows_the_stage_and_its_reason(client, alice, carols_program):
    client.force_login(alice)
    with time_machine.travel(TUESDAY_NOON):
        response = client.get(reverse("admin:patients_assignment_change", args=[carols_program.pk]))
    assert "2 sessions a week to start: your first week." in response.text
    assert reverse("admin:patients_assignment_stage", args=[carols_program.pk]) in response.text


def test_the_therapist_gets_one_email_about_a_painful_check_in(alice, carol, carols_program):
    (alert,) = painful_checkin(carols_program)
    assert therapist_alert_send(alert.pk) is True
    assert therapist_alert_send(alert.pk) is False
    (message,) = mail.outbox
    assert message.to == ["alice@a.example"]
    assert message.subject == f"Pain alert: {carol} — Hip flexion"
    assert "sketchy or painful" in message.body
    assert "stays at start, its lowest stage" in message.body
    assert reverse("admin:patients_assignment_change", args=[carols_program.pk]) in message.body
    assert message.alternatives[0][1] == "text/html"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_painful_check_in_enqueues_the_therapist_alert_after_commit(
    alice, carols_program, settings, monkeypatch
):
    enqueued = []
    monkeypatch.setattr(
        therapist_alert_send, "apply_async", lambda args, **kw: enqueued.append(args)
    )
    (alert,) = painful_checkin(carols_program)
    assert enqueued == [(alert.pk,)]


def test_a_broker_that_fails_after_the_commit_is_logged_and_the_commit_stands(
    carol, caplog, monkeypatch, django_capture_on_commit_callbacks
):
    from clinic.queue import enqueue_on_commit

    def broker_down():
        raise OSError("Connection refused")

    monkeypatch.setattr(therapist_alert_send.app, "producer_or_acquire", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        assignment = AssignmentFactory(patient=carol)
        enqueue_on_commit(therapist_alert_send, [(1,)])
    assert "Connection refused" in caplog.text
    assert Assignment.objects.filter(pk=assignment.pk).exists()
