"""Fixtures of the reminder tests that run the real parts (see realparts.py)."""

import datetime

import pytest
from django.utils import timezone

from tests.celery_broker import broker_used
from tests.factories import AssignmentFactory

from .realparts import PATIENTS, RedisServer, SMTPServer


@pytest.fixture(scope="module")
def broker():
    """A Redis of the module's own, emptied before and after each test that uses it."""
    server = RedisServer()
    server.start()
    with broker_used(server.url):
        yield server
    server.close()


@pytest.fixture
def clean_broker(broker):
    """The module's Redis, empty: no task of an earlier test is queued, none is left after."""
    broker.flush()
    yield broker
    broker.flush()


@pytest.fixture
def smtp(settings):
    server = SMTPServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    yield server.inbox
    server.stop()


@pytest.fixture
def fast_retries(settings):
    # The production backoff starts at 30 s; the behaviour is the same at 1 s.
    settings.REMINDER_RETRY_BACKOFF, settings.REMINDER_RETRY_BACKOFF_MAX = 1, 2


@pytest.fixture
def due_patients(db):
    """Patients whose reminder (00:00 UTC, first program day) is due whenever the test runs."""
    today = timezone.now().date()
    assignments = AssignmentFactory.create_batch(
        PATIENTS,
        patient__timezone="UTC",
        start_date=today,
        reminder_time=datetime.time(0, 0),
    )
    return sorted(assignment.patient.email for assignment in assignments)
