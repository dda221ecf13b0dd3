"""The Celery settings exactly-once depends on."""

from celery.schedules import schedule

from clinic import queue
from flexion.celery import app
from patients import tasks


def test_beat_runs_one_dispatch_pass_every_five_minutes_in_utc():
    entry = app.conf.beat_schedule["dispatch-reminders"]
    assert entry["task"] == tasks.reminders_dispatch.name
    assert schedule(entry["schedule"]).run_every.total_seconds() == 300
    assert app.conf.timezone == "UTC"
    assert app.conf.enable_utc is True


def test_tasks_are_acknowledged_late_and_handed_back_when_their_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_the_broker_keeps_an_unacknowledged_task_longer_than_the_longest_retry_delay(settings):
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert visibility > settings.REMINDER_RETRY_BACKOFF_MAX
    assert settings.REMINDER_STALE_AFTER > settings.REMINDER_RETRY_BACKOFF_MAX


def test_retry_delays_grow_exponentially_up_to_the_maximum_with_jitter(settings):
    settings.REMINDER_RETRY_BACKOFF, settings.REMINDER_RETRY_BACKOFF_MAX = 30, 600
    delays = {retries: {queue.retry_delay(retries) for _ in range(200)} for retries in range(8)}
    assert max(delays[0]) <= 30
    assert max(delays[2]) <= 120
    assert max(delays[7]) <= 600
    assert len(delays[7]) > 20  # jittered, not one fixed value
