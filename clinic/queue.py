"""Enqueueing after commit, and retrying what a retry can fix: shared by every app's tasks."""

from __future__ import annotations

import smtplib

from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction

# What a retry can fix: the mail server or the network failing, the database going away.
TRANSIENT = (smtplib.SMTPException, OSError, OperationalError, InterfaceError)


def enqueue(task, arguments: list[tuple]) -> None:
    """Publish many tasks over one broker connection."""
    with task.app.producer_or_acquire() as producer:
        for args in arguments:
            task.apply_async(args, producer=producer)


def enqueue_on_commit(task, arguments: list[tuple]) -> None:
    """Enqueue after the current transaction commits.

    If the broker is down the error is logged and not raised: the rows are committed, so
    the reconciler of a later pass enqueues them again.
    """
    if not arguments:
        return

    # A named function, not a partial: Django names the callback when it logs its error.
    def enqueue_now() -> None:
        enqueue(task, arguments)

    transaction.on_commit(enqueue_now, robust=True)


def retry_delay(retries: int) -> int:
    """Return the countdown before retry number `retries` + 1: exponential, capped, jittered.

    Read from the settings at each retry (not frozen when the task is declared), so an
    operator's change applies to tasks already waiting.
    """
    return get_exponential_backoff_interval(
        factor=settings.REMINDER_RETRY_BACKOFF,
        retries=retries,
        maximum=settings.REMINDER_RETRY_BACKOFF_MAX,
        full_jitter=True,
    )
