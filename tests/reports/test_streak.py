"""The streak is one rule in two places: SQL for the reports, Python for the history page.

``reports/adherence.py`` counts it in PostgreSQL over the stored weeks; the patient's page
counts it with ``programs.progression.adherence_streak`` over the evaluated weeks. Here both
read the same weeks and must agree, including weeks cut before they asked anything.
"""

import datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patients.models import Assignment, ProgramWeek, Session, SessionStatus
from programs.progression import SEED_SCHEME, Week, adherence_streak
from reports.adherence import ReportScope, patient_rows
from tests.factories import AssignmentFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)
# (planned, completed) of an ended week; 0 planned is a week cut before its first planned day.
ENDED_WEEK = st.tuples(st.integers(0, 3), st.integers(0, 4))


def day(n: int) -> datetime.date:
    return MONDAY + datetime.timedelta(days=n)


def sql_streak(patient, ended: list[tuple[int, int]], running: tuple[int, int] | None) -> int:
    assignment = AssignmentFactory(patient=patient, start_date=MONDAY)
    weeks = [*ended, *([running] if running else [])]
    for index, (planned, completed) in enumerate(weeks):
        ProgramWeek.objects.create(
            assignment=assignment,
            starts_on=day(7 * index),
            ends_on=day(7 * index + 6),
            stage="start",
            planned=planned,
            planned_days=[],
        )
        for n in range(completed):
            Session.objects.create(
                assignment=assignment,
                patient=patient,
                performed_on=day(7 * index + n),
                status=SessionStatus.COMPLETED,
            )
    today = day(7 * len(ended) + (4 if running else 0))
    scope = ReportScope(
        Assignment.objects.filter(pk=assignment.pk), day(0), day(7 * len(weeks)), today
    )
    (row,) = patient_rows(scope)
    return row.streak


def python_streak(ended: list[tuple[int, int]], running: tuple[int, int] | None) -> int:
    weeks = [*ended, *([running] if running else [])]
    return adherence_streak(
        [
            Week(
                start=day(7 * index),
                end=day(7 * index + 6),
                stage=SEED_SCHEME.stages[0],
                planned=planned,
                completed=completed,
                counted=min(planned, completed),
                planned_days=(),
                tolerated=None,
                in_progress=index == len(ended),
                reason="",
            )
            for index, (planned, completed) in enumerate(weeks)
        ]
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ended=st.lists(ENDED_WEEK, min_size=1, max_size=6),
    running=st.none() | st.tuples(st.integers(0, 3), st.integers(0, 3)),
)
def test_the_reports_and_the_history_page_count_the_same_streak(carol, ended, running):
    with transaction.atomic():
        assert sql_streak(carol, ended, running) == python_streak(ended, running)
        transaction.set_rollback(True)


def test_a_week_cut_before_it_asked_anything_keeps_the_streak_in_both(carol):
    ended, running = [(2, 2), (0, 0), (3, 3)], (3, 0)
    assert python_streak(ended, running) == 3
    assert sql_streak(carol, ended, running) == 3
