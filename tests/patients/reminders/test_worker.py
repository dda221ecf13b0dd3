"""Reminders through the real parts: Celery workers, our own Redis, SMTP on loopback.

Each fault ends the same way: every due reminder delivered exactly once, none lost.
"""

import datetime
import threading

import psycopg
import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connection, connections
from django.utils import timezone

from flexion.celery import app
from patients import tasks
from patients.models import Reminder, ReminderStatus

from .realparts import (
    PATIENTS,
    all_sent,
    assert_each_patient_got_exactly_one,
    beat_pass,
    steadily,
    wait_for,
)

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(scope="module")
def module_worker(broker):
    # One worker thread for the module: Celery's timer for retry countdowns is shared by the
    # process, and a second in-thread worker after a stopped one never fires them.
    task_postrun.connect(close_the_workers_connection)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20) as w:
        yield w
    task_postrun.disconnect(close_the_workers_connection)


def close_the_workers_connection(**kwargs):
    # The worker thread's connection would outlive the thread and block dropping the test
    # database at the end of the run.
    connections.close_all()


@pytest.fixture
def worker(module_worker, clean_broker, smtp, fast_retries):
    """The module's worker; when the test ends, whatever it enqueued is done.

    No task outlives its test: one left queued or waiting for its countdown would run in
    the next test, on the same ids (the tables are emptied and their sequences restart).
    """
    yield module_worker
    clean_broker.idle_wait(worker=module_worker)


def test_a_beat_pass_gets_every_due_reminder_delivered_once_by_a_real_worker(
    worker, smtp, due_patients
):
    assert beat_pass() == {"reclaimed": 0, "candidates": PATIENTS, "batches": 1}
    wait_for(all_sent, what="all reminders sent")
    assert_each_patient_got_exactly_one(smtp, due_patients)
    message = smtp.messages[0]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.is_multipart()
    assert beat_pass()["candidates"] == 0


def test_a_send_task_carries_a_batch_of_reminders(worker, broker, smtp, due_patients, monkeypatch):
    monkeypatch.setattr(tasks, "SEND_BATCH", 5)
    ran = []

    def count(sender=None, **kwargs):
        ran.append(sender.name)

    task_postrun.connect(count)
    try:
        beat_pass()
        wait_for(all_sent, what="all reminders sent")
        # The last reminder is marked sent before its task has returned: count that too.
        broker.idle_wait(worker=worker)
    finally:
        task_postrun.disconnect(count)
    # 12 reminders in tasks of 5: three send tasks, none for a single reminder.
    assert ran.count("patients.tasks.reminders_send_batch") == 3
    assert "patients.tasks.reminder_send_one" not in ran
    assert_each_patient_got_exactly_one(smtp, due_patients)


def test_two_beats_dispatching_at_the_same_instant_send_each_reminder_once(
    worker, broker, smtp, due_patients
):
    now = timezone.now()
    start = threading.Barrier(2)
    results = []

    def beat():
        start.wait()
        results.append(beat_pass(now))
        connection.close()

    beats = [threading.Thread(target=beat) for _ in range(2)]
    for thread in beats:
        thread.start()
    for thread in beats:
        thread.join()
    # Both passes race for the same candidates; on a busy machine the worker may claim them
    # all before the slower pass looks, and that pass then finds none. Either way: once each.
    assert sorted(r["candidates"] for r in results) in ([0, PATIENTS], [PATIENTS, PATIENTS])
    wait_for(all_sent, what="all reminders sent")
    broker.idle_wait(worker=worker)  # a duplicate, were there one, would be sent by now
    assert_each_patient_got_exactly_one(smtp, due_patients)


def test_an_smtp_server_failing_then_recovering_delivers_everything_once(
    worker, smtp, due_patients
):
    smtp.fail_next = PATIENTS + 3
    beat_pass()
    wait_for(all_sent, what=all_sent)
    assert_each_patient_got_exactly_one(smtp, due_patients)
    assert smtp.refused == PATIENTS + 3
    retried = Reminder.objects.filter(attempts__gt=1)
    assert retried.count() >= PATIENTS
    assert set(Reminder.objects.values_list("last_error", flat=True)) == {""}


def quiet_for(*, seconds: float):
    """A wait_for predicate: true once no reminder has been sending for that long."""
    return steadily(
        lambda: not Reminder.objects.filter(status=ReminderStatus.SENDING).exists(),
        seconds=seconds,
    )


def test_redis_restarted_during_a_pass_loses_no_reminder(
    worker, broker, smtp, due_patients, settings, monkeypatch
):
    # One reminder per send task, and the SMTP server holds the first message, so the other
    # send tasks stay queued in Redis when it restarts; without persistence they are gone,
    # and only the database remembers.
    monkeypatch.setattr(tasks, "SEND_BATCH", 1)
    smtp.hold = threading.Event()
    beat_pass()
    assert smtp.holding.wait(120), "the worker never reached the SMTP server"
    wait_for(lambda: broker.queued() > 0, what="send tasks queued")
    broker.restart()
    # The held message is refused (451) and retried; later ones are accepted at once, so
    # its retries cannot all be spent on a server that still refuses (they are jittered,
    # some only milliseconds apart).
    held, smtp.hold = smtp.hold, None
    held.set()
    # The pass below pretends the stale timeout has gone by; a send the worker had already
    # taken before the restart must be over by then, or it would look stale too (in real
    # time a send cannot outlast REMINDER_STALE_AFTER). Wait until nothing has been
    # sending for a while.
    wait_for(quiet_for(seconds=1.5), what="the worker to finish what it had taken")
    assert Reminder.objects.filter(status=ReminderStatus.CLAIMED).exists()

    later = timezone.now() + datetime.timedelta(seconds=settings.REMINDER_STALE_AFTER + 1)
    result = wait_for(lambda: beat_pass(later), what="a pass through the restarted Redis")
    assert result["reclaimed"] > 0
    wait_for(all_sent, what="all reminders sent after the restart")
    assert_each_patient_got_exactly_one(smtp, due_patients)


def test_a_dropped_database_connection_mid_send_still_marks_the_reminder_sent_once(
    worker, smtp, due_patients
):
    database = connection.settings_dict

    def drop_the_workers_connections():
        # Runs while the worker waits for the SMTP server's answer.
        with psycopg.connect(
            host=database["HOST"],
            port=database["PORT"] or 5432,
            user=database["USER"],
            password=database["PASSWORD"] or None,
            dbname=database["NAME"],
            autocommit=True,
        ) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND pid <> %s",
                [test_pid],
            )

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (test_pid,) = cursor.fetchone()
    smtp.on_data = drop_the_workers_connections
    beat_pass()
    wait_for(all_sent, what="all reminders marked sent")
    assert_each_patient_got_exactly_one(smtp, due_patients)
