"""Pain alerts: the task that emails the therapist about a painful check-in, once.

Enqueued by ``patients.reevaluation`` when it stores a change that alerts the therapist.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from clinic.queue import TRANSIENT, retry_delay

from .emails import therapist_alert_message
from .models import StageChange

log = logging.getLogger(__name__)


@shared_task(bind=True, ignore_result=True, max_retries=settings.REMINDER_MAX_ATTEMPTS - 1)
def therapist_alert_send(self, stage_change_id: int) -> bool:
    """Email the therapist about a painful check-in, once."""
    won = StageChange.objects.filter(
        pk=stage_change_id, alert_therapist=True, alert_emailed_at__isnull=True
    ).update(alert_emailed_at=timezone.now())
    if not won:
        return False  # already emailed
    change = StageChange.objects.select_related(
        "assignment__patient__therapist__user",
        "assignment__therapist__user",
        "assignment__clinic",
    ).get(pk=stage_change_id)
    message = therapist_alert_message(change)
    if message is None:
        log.warning("Pain alert %s has no therapist with an email to tell.", stage_change_id)
        return False
    try:
        message.send()
    except TRANSIENT as error:
        StageChange.objects.filter(pk=stage_change_id).update(alert_emailed_at=None)
        raise self.retry(exc=error, countdown=retry_delay(self.request.retries)) from error
    return True
