import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from bench.dataset import load_data_generate
from patients.models import Assignment, CheckIn, ProgramWeek, Reminder, Session
from patients.reevaluation import progress_differences

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 1)


class Rollback(Exception):
    pass


def fingerprint():
    return (
        list(Session.objects.order_by("pk").values_list("patient__last_name", "performed_on")),
        list(CheckIn.objects.order_by("pk").values_list("answer", "answered_on")),
        list(Assignment.objects.order_by("pk").values_list("status", "advanced", "start_date")),
    )


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    prints = []
    for seed in (7, 7, 8):
        with pytest.raises(Rollback), transaction.atomic():
            load_data_generate(patients=30, weeks=6, seed=seed, today=TODAY)
            prints.append(fingerprint())
            raise Rollback
    assert prints[0] == prints[1]
    assert prints[0] != prints[2]


def test_the_stored_weeks_are_those_the_progression_rule_gives(time_machine):
    time_machine.move_to(datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC))
    counts = load_data_generate(patients=40, weeks=8, seed=3, today=TODAY)
    assert counts.sessions == Session.objects.count() > 40 * 8
    assert Reminder.objects.exists()
    assert set(Assignment.objects.values_list("status", flat=True)) >= {"active", "paused"}

    def weeks():
        return sorted(
            ProgramWeek.objects.values_list("assignment_id", "starts_on", "ends_on", "planned")
        )

    active = Assignment.objects.filter(status="active").values_list("pk", flat=True)
    assert weeks() and progress_differences(active) == []


def test_it_refuses_to_load_twice(capsys):
    call_command("generate_load_data", "--patients=3", "--weeks=2", "--seed=1")
    assert "3 patients" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already here"):
        call_command("generate_load_data", "--patients=3", "--weeks=2", "--seed=1")


def test_each_program_copy_reads_its_name_in_the_active_language_as_assigning_writes_it():
    """The rows go in by COPY, past modeltranslation: each language's texts are written as
    patients.services.assignment_create writes them, so the pages show the program's name."""
    load_data_generate(patients=5, weeks=2, seed=1, today=TODAY)
    for assignment in Assignment.objects.select_related("program"):
        assert assignment.name and assignment.name == assignment.program.name
