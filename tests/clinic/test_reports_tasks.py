import datetime

import pytest

from clinic.celery import app
from clinic.reports.tasks import refresh_program_weeks
from patients.models import AssignmentStatus, ProgramWeek
from tests.factories import AssignmentFactory

pytestmark = pytest.mark.django_db


def test_celery_finds_the_refresh_task():
    app.loader.import_default_modules()
    assert "clinic.reports.tasks.refresh_program_weeks" in app.tasks


def test_the_task_stores_the_weeks_of_active_assignments_only(carol, erin, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 20, 12, tzinfo=datetime.UTC))
    active = AssignmentFactory(patient=carol, start_date=datetime.date(2026, 3, 2))
    AssignmentFactory(
        patient=erin, start_date=datetime.date(2026, 3, 2), status=AssignmentStatus.PAUSED
    )
    assert refresh_program_weeks.apply().get() == 1
    assert set(ProgramWeek.objects.values_list("assignment", flat=True)) == {active.pk}
    assert ProgramWeek.objects.count() == 3
