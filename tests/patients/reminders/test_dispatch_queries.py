"""The dispatch pass costs the same number of queries for 50 or 500 assignments."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.management.commands.bench_dispatch import assignments_generate
from flexion.celery import app
from patients import tasks
from patients.models import Assignment, Reminder, ReminderStatus
from patients.reminders import due_candidates, reminders_claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def empty_queue():
    yield
    app.control.purge()  # the claim batches this test published to the broker


def dispatch_pass_queries(count: int, now) -> tuple[int, int]:
    assignments_generate(count, now=now)
    with CaptureQueriesContext(connection) as queries:
        result = tasks.reminders_dispatch(now.isoformat())
    Assignment.objects.all().delete()
    return result["candidates"], len(queries)


def test_a_dispatch_pass_makes_as_many_queries_for_500_assignments_as_for_50(empty_queue):
    now = timezone.now()
    small, large = dispatch_pass_queries(50, now), dispatch_pass_queries(500, now)
    assert (small[0], large[0]) == (50, 500)
    assert small[1] == large[1]


def test_claiming_a_batch_makes_as_many_queries_for_200_patients_as_for_20():
    now = timezone.now()
    assignments_generate(220, now=now)
    candidates = due_candidates(now)

    def claim_queries(batch):
        with CaptureQueriesContext(connection) as queries:
            claimed = reminders_claim(batch, now)
        assert Reminder.objects.filter(pk__in=claimed, status=ReminderStatus.CLAIMED).exists()
        return len(queries)

    assert claim_queries(candidates[:20]) == claim_queries(candidates[20:])
