"""bench_dispatch --celery: the pass on a real worker, and the database left as it was."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from clinic.models import Clinic
from patients.models import Assignment, Patient, Reminder, ReminderStatus, Session, StageChange
from tests.factories import AssignmentFactory

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def rows():
    return {
        model.__name__: sorted(model.objects.values_list("pk", flat=True))
        for model in (Clinic, Patient, Assignment, Session, Reminder, StageChange)
    }


def test_the_pass_on_a_worker_claims_every_batch_and_leaves_the_data_set_as_it_was():
    # A patient of the data set, due now with no reminder yet: the pass claims them too.
    today = timezone.now().date()
    AssignmentFactory(patient__timezone="UTC", start_date=today, reminder_time=datetime.time(0, 0))
    sent = AssignmentFactory(patient__timezone="UTC", start_date=today)
    Reminder.objects.create(
        patient=sent.patient, local_date=today, due_at=timezone.now(), status=ReminderStatus.SENT
    )
    before = rows()
    out = StringIO()
    call_command(
        "bench_dispatch", assignments=1500, celery=True, processes=2, json=True, stdout=out
    )
    figures = json.loads(out.getvalue().splitlines()[-1])
    assert (figures["celery_due"], figures["celery_batches"]) == (1501, 2)
    assert figures["celery_pass_seconds"] > figures["celery_due_seconds"] >= 0
    assert rows() == before
    assert Reminder.objects.get().status == ReminderStatus.SENT
