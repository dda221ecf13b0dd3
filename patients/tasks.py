"""Celery tasks: thin adapters that take ids, call ``patients.reminders`` and retry.

Every enqueue happens after the transaction that made the rows commits.
"""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from clinic.queue import TRANSIENT, enqueue, enqueue_on_commit, retry_delay

from . import reevaluation, reminders

log = logging.getLogger(__name__)

# Claimed reminders per send task. One task per reminder cost a broker message each (about
# 0.6 ms of Celery, kombu and Redis per message: a minute for 100,000); a few dozen per
# task keeps that small and still spreads the sending over the workers.
SEND_BATCH = 50


@shared_task(ignore_result=True)
def reminders_dispatch(now: str | None = None) -> dict[str, int]:
    """One dispatch pass: reclaim lost reminders, find who is due, hand out claim batches."""
    at = datetime.datetime.fromisoformat(now) if now else timezone.now()
    with transaction.atomic():
        stale = reminders.reminders_reclaim_stale(at)
        enqueue_on_commit(reminders_send_batch, _send_batches(stale))
    candidates = reminders.due_candidates(at)
    batches = [(batch, at.isoformat()) for batch in reminders.claim_batches(candidates)]
    # No transaction to wait for; if the broker is down, the next pass finds them again.
    enqueue(reminders_claim_batch, batches)
    return {"reclaimed": len(stale), "candidates": len(candidates), "batches": len(batches)}


@shared_task(
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def reminders_claim_batch(candidates: list[list], now: str) -> int:
    """Decide and claim one batch of candidates; send what this batch claimed."""
    batch = [
        reminders.Candidate(patient_id, datetime.date.fromisoformat(day))
        for patient_id, day in candidates
    ]
    with transaction.atomic():
        claimed = reminders.reminders_claim(batch, datetime.datetime.fromisoformat(now))
        enqueue_on_commit(reminders_send_batch, _send_batches(claimed))
    return len(claimed)


def _send_batches(reminder_ids: list[int]) -> list[tuple]:
    return [(reminder_ids[i : i + SEND_BATCH],) for i in range(0, len(reminder_ids), SEND_BATCH)]


@shared_task(ignore_result=True)
def reminders_send_batch(reminder_ids: list[int]) -> int:
    """Send claimed reminders in turn; one that fails goes on alone, with its retries.

    A worker lost mid-batch has the task delivered again (acks late): the reminders it
    sent are no longer "claimed" and are skipped, the one it was sending is left to the
    reconciler, as with a single send. Return how many were sent.
    """
    sent = 0
    for reminder_id in reminder_ids:
        try:
            outcome = reminders.reminder_send(reminder_id)
        except TRANSIENT:
            # The first retry of this reminder, from now on as a task of its own.
            reminder_send_one.apply_async((reminder_id,), countdown=retry_delay(0), retries=1)
            continue
        except Exception:
            # Not worth a retry (the row keeps the error); the next pass's reconciler finds
            # it still claimed. The rest of the batch goes on.
            log.exception("Reminder %s could not be sent.", reminder_id)
            continue
        sent += outcome == reminders.SendOutcome.SENT
    return sent


@shared_task(bind=True, ignore_result=True, max_retries=settings.REMINDER_MAX_ATTEMPTS - 1)
def reminder_send_one(self, reminder_id: int) -> str:
    """Send one claimed reminder; a failed SMTP send is retried with backoff and jitter."""
    try:
        return reminders.reminder_send(reminder_id)
    except TRANSIENT as error:
        raise self.retry(exc=error, countdown=retry_delay(self.request.retries)) from error


@shared_task(ignore_result=True)
def assignments_reevaluate_due() -> int:
    """Store the day's weeks and week-end promotions of assignments a new local day began for.

    Run by beat every few minutes, so a therapist sees today's stage in the morning in
    every time zone; one that was missed is caught up at the next run.
    """
    return reevaluation.assignments_reevaluate(reevaluation.assignments_due())
