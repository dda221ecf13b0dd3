import datetime

import pytest
import time_machine
from django.core.management import call_command

from patients.models import Assignment, AssignmentStatus

pytestmark = pytest.mark.django_db


@time_machine.travel(datetime.datetime(2026, 3, 5, 23, 30, tzinfo=datetime.UTC), tick=False)
def test_seed_demo_gives_each_demo_patient_one_active_default_program_from_monday():
    call_command("seed_demo")
    call_command("seed_demo")
    assignments = Assignment.objects.filter(clinic__slug="demo").select_related("patient")
    assert {(a.patient.email, a.program.key) for a in assignments} == {
        ("patient1@demo.flexion.test", "gentle-hip-flexion"),
        ("patient2@demo.flexion.test", "hip-flexor-stretches-for-back-pain"),
    }
    for assignment in assignments:
        assert assignment.status == AssignmentStatus.ACTIVE
        assert assignment.start_date == datetime.date(2026, 3, 2)
        assert assignment.therapist.user.email == "therapist@demo.flexion.test"
        assert assignment.items.count() == 3


@time_machine.travel(datetime.datetime(2026, 6, 14, 23, 30, tzinfo=datetime.UTC), tick=False)
def test_the_demo_week_starts_on_monday_in_the_clinics_time_zone():
    # Sunday 23:30 UTC is already Monday 00:30 in London (summer time): a new week there.
    call_command("seed_demo")
    assert {a.start_date for a in Assignment.objects.all()} == {datetime.date(2026, 6, 15)}
