import datetime

import pytest
import time_machine
from django.urls import reverse

from patients.history import pain_chart
from patients.models import Answer, CheckIn, ExerciseLog, Session, SessionStatus
from programs.progression import SEED_SCHEME, Week, adherence_streak

from .back_pain import back_pain_assignment

MONDAY = datetime.date(2026, 3, 2)


def week(planned, completed, in_progress=False):
    return Week(
        start=MONDAY,
        end=MONDAY,
        stage=SEED_SCHEME.stages[0],
        planned=planned,
        completed=completed,
        counted=min(planned, completed),
        planned_days=(),
        tolerated=None,
        in_progress=in_progress,
        reason="",
    )


def test_the_streak_counts_full_weeks_back_from_the_last_ended_one():
    weeks = [week(2, 2), week(2, 1), week(2, 2), week(3, 4), week(3, 0, in_progress=True)]
    assert adherence_streak(weeks) == 2


def test_a_missed_last_week_breaks_the_streak():
    assert adherence_streak([week(2, 2), week(2, 1), week(2, 0, in_progress=True)]) == 0


def test_no_ended_week_means_no_streak():
    assert adherence_streak([week(2, 2, in_progress=True)]) == 0


def test_the_pain_chart_puts_higher_pain_higher_up_and_keeps_the_latest_30():
    sessions = [(MONDAY + datetime.timedelta(days=n), n % 11) for n in range(40)]
    chart = pain_chart(sessions)
    assert len(chart.points) == 30
    assert chart.points[-1].day == MONDAY + datetime.timedelta(days=39)
    low, high = chart.y_of(0), chart.y_of(10)
    assert high < low
    assert all(high <= point.y <= low for point in chart.points)


def test_no_pain_scores_make_no_chart():
    assert pain_chart([]) is None


@pytest.mark.django_db
@time_machine.travel(datetime.datetime(2026, 3, 18, 12, tzinfo=datetime.UTC))
def test_the_history_page_shows_weeks_streak_pain_trend_and_stage_changes(client, carol):
    assignment = back_pain_assignment(carol, MONDAY)
    item = assignment.items.first()
    for offset, pain in ((0, 2), (3, 4), (7, 1), (9, 3), (11, 2)):
        session = Session.objects.create(
            assignment=assignment,
            patient=carol,
            performed_on=MONDAY + datetime.timedelta(days=offset),
            status=SessionStatus.COMPLETED,
        )
        ExerciseLog.objects.create(session=session, item=item, sets_done=1, reps_done=2, pain=pain)
        CheckIn.objects.create(
            session=session,
            patient=carol,
            answer=Answer.FINE,
            answered_on=session.performed_on + datetime.timedelta(days=1),
        )
    client.force_login(carol.user)
    page = client.get(reverse("patients:history")).text
    assert "Streak: 2 weeks in a row" in page
    assert page.count('class="dot"') == 5
    assert "2 of 2" in page and "3 of 3" in page
    assert "in progress" in page
    assert "Build" in page
    assert "3 sessions this week: last week you did both sessions and felt fine" in page
    assert "<script" not in page
