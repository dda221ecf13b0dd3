"""Faults with real processes: two passes at once, a worker killed with SIGKILL mid-send.

Workers here are subprocesses (`celery -A flexion worker`, prefork) on the test database,
so they can be killed like a crashed machine would kill them.
"""

import datetime
import subprocess
import sys
import threading

import pytest
from django.db import connection
from django.utils import timezone

from patients.models import Reminder, ReminderStatus

from .realparts import (
    ROOT,
    WorkerProcess,
    all_sent,
    assert_each_patient_got_exactly_one,
    beat_pass,
    wait_for,
)

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def database_url_of_tests() -> str:
    database = connection.settings_dict  # the test database: test_<name>
    return (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )


def worker_process(broker, settings) -> WorkerProcess:
    return WorkerProcess(
        database_url=database_url_of_tests(), broker_url=broker.url, smtp_port=settings.EMAIL_PORT
    )


def test_two_passes_in_two_processes_at_the_same_instant_send_each_reminder_once(
    clean_broker, smtp, due_patients, settings
):
    env = {
        **worker_process(clean_broker, settings).env,
        "DJANGO_SETTINGS_MODULE": "flexion.settings",
    }
    instant = timezone.now().isoformat()
    passes = [
        subprocess.Popen(
            [sys.executable, "manage.py", "send_due_reminders", "--at", instant],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in passes]
    assert all(p.returncode == 0 for p in passes)
    # Whichever found a patient first claimed them; between them each was sent once.
    claimed = sum(int(out.split(" claimed")[0].rsplit(" ", 1)[1]) for out in outputs)
    assert claimed == len(due_patients)
    assert all_sent()
    assert_each_patient_got_exactly_one(smtp, due_patients)


def test_a_worker_killed_mid_send_leaves_the_reminder_to_the_reconciler_and_it_is_sent_once(
    clean_broker, smtp, due_patients, settings, fast_retries
):
    broker = clean_broker
    smtp.hold = threading.Event()
    victim = worker_process(broker, settings)
    victim.start()
    try:
        beat_pass()
        assert smtp.holding.wait(120), "the worker subprocess never reached the SMTP server"
        (sending,) = Reminder.objects.filter(status=ReminderStatus.SENDING)
    finally:
        victim.kill()  # returns once none of its processes lives
    smtp.hold.set()  # the server never said 250: that message was not delivered
    smtp.hold = None
    taken_by_the_dead = broker.unacknowledged()
    sending.refresh_from_db()
    assert sending.status == ReminderStatus.SENDING  # nobody marked it: the worker is dead

    survivor = worker_process(broker, settings)
    survivor.start()
    try:
        later = timezone.now() + datetime.timedelta(seconds=settings.REMINDER_STALE_AFTER + 1)
        # The killed one and the eleven still queued look lost at that instant: all go back.
        assert beat_pass(later)["reclaimed"] == len(due_patients)
        wait_for(all_sent, what=all_sent)
        # A duplicate, were there one, would be sent by now.
        broker.idle_wait(dead=taken_by_the_dead)
    finally:
        survivor.kill()
    assert_each_patient_got_exactly_one(smtp, due_patients)
    sending.refresh_from_db()
    assert sending.attempts == 2
