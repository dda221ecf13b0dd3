"""Adherence numbers on hand-made histories (reports/adherence.py)."""

import datetime

import pytest
import time_machine

from patients.checkins import checkin_record
from patients.models import (
    Answer,
    Assignment,
    AssignmentStatus,
    CheckIn,
    ExerciseLog,
    ProgramWeek,
    Session,
    SessionStatus,
    StageChange,
)
from patients.reevaluation import (
    assignment_reevaluate,
    assignments_due,
    assignments_reevaluate,
)
from reports.adherence import (
    ReportScope,
    assignment_weeks,
    needs_attention,
    patient_rows,
    weekly_adherence,
)
from reports.models import AttentionReview
from reports.services import attention_review
from tests.factories import AssignmentFactory, PrescriptionItemFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)


def day(n: int) -> datetime.date:
    """Day n of the program, counting the start Monday as day 0."""
    return MONDAY + datetime.timedelta(days=n)


def done(assignment, on, status=SessionStatus.COMPLETED):
    return Session.objects.create(
        assignment=assignment, patient=assignment.patient, performed_on=on, status=status
    )


def week(assignment, first: int, planned: int, stage="start", length=7, planned_days=()):
    """Store a program week from day `first`; planned_days are program day numbers."""
    return ProgramWeek.objects.create(
        assignment=assignment,
        starts_on=day(first),
        ends_on=day(first + length - 1),
        stage=stage,
        planned=planned,
        planned_days=[day(n).isoformat() for n in planned_days],
    )


def report(assignments, start, end, today):
    return patient_rows(ReportScope(assignments, start, end, today))


@pytest.fixture
def four_weeks(carol):
    """Weeks of 2, 3, 3, 3 planned; sessions 2, 5 (two extra), 1, 1 (the last week running)."""
    assignment = AssignmentFactory(patient=carol, start_date=MONDAY)
    week(assignment, 0, 2)
    week(assignment, 7, 3, "build")
    week(assignment, 14, 3, "build")
    week(assignment, 21, 3, "build")
    for n in (0, 3, 7, 9, 11, 12, 13, 15, 21):
        done(assignment, day(n))
    done(assignment, day(16), status=SessionStatus.IN_PROGRESS)  # unfinished: never counted
    return assignment


def test_a_week_that_started_before_the_range_counts_whole_and_extra_sessions_are_capped(
    four_weeks,
):
    (row,) = report(Assignment.objects.all(), day(8), day(20), today=day(23))
    # Weeks 2 (5 done, 3 planned: 3 counted, including day 7, before the range) and 3 (1 of 3).
    assert (row.planned, row.completed, row.counted) == (6, 6, 4)
    assert row.adherence == 66.7
    assert row.streak == 0
    assert row.stage == "Build"
    assert row.current_planned is None  # the range ended before this week
    assert row.last_session == day(15)


def test_a_week_that_ends_after_the_range_does_not_count(four_weeks):
    (row,) = report(Assignment.objects.all(), day(8), day(19), today=day(23))
    assert (row.planned, row.counted) == (3, 3)
    assert row.streak == 1  # the streak, like every figure, stays inside the range


def test_the_week_in_progress_is_shown_apart_from_the_totals(four_weeks):
    (row,) = report(Assignment.objects.all(), day(0), day(30), today=day(23))
    assert (row.planned, row.completed, row.counted) == (8, 8, 6)
    assert (row.current_planned, row.current_completed) == (3, 1)
    assert row.adherence == 75.0


def test_the_streak_counts_full_weeks_back_from_the_last_one_ended(four_weeks):
    (row,) = report(Assignment.objects.all(), day(0), day(13), today=day(23))
    assert row.streak == 2
    assert row.adherence == 100.0


def test_the_streak_goes_back_to_the_last_short_week_and_leaves_the_running_one_aside(carol, erin):
    short_once = AssignmentFactory(patient=carol, start_date=MONDAY)
    for first, planned, sessions in ((0, 2, 2), (7, 3, 1), (14, 3, 3), (21, 3, 4), (28, 3, 0)):
        week(short_once, first, planned, stage=f"s{first}")
        for n in range(sessions):
            done(short_once, day(first + n))
    never_short = AssignmentFactory(patient=erin, start_date=MONDAY)
    for first, planned in ((0, 2), (7, 3), (14, 3), (21, 3), (28, 3)):
        week(never_short, first, planned)
        for n in range(planned if first < 28 else 1):
            done(never_short, day(first + n))
    rows = {
        row.assignment_id: row for row in report(Assignment.objects.all(), day(0), day(34), day(30))
    }
    row = rows[short_once.pk]
    assert (row.planned, row.completed, row.counted, row.streak) == (11, 10, 9, 2)
    assert (row.stage, row.current_planned, row.current_completed) == ("s28", 3, 0)
    assert rows[never_short.pk].streak == 4  # every ended week; the running one 1/3 aside


def test_the_clinic_chart_groups_weeks_by_the_calendar_week_they_ended_in(four_weeks, erin):
    other = AssignmentFactory(patient=erin, start_date=day(1))
    week(other, 1, 2)  # Tuesday to Monday: ends in the next calendar week
    done(other, day(2))
    points = weekly_adherence(ReportScope(Assignment.objects.all(), day(0), day(30), day(23)))
    assert [(point.week, point.planned, point.counted) for point in points] == [
        (day(0), 2, 2),
        (day(7), 5, 4),
        (day(14), 3, 1),
    ]


def test_mean_pain_flags_and_stage_changes_count_only_inside_the_range(four_weeks):
    item = PrescriptionItemFactory(assignment=four_weeks)
    sessions = {s.performed_on: s for s in Session.objects.filter(assignment=four_weeks)}
    for on, pain in ((day(9), 2), (day(11), 4), (day(3), 9)):
        ExerciseLog.objects.create(session=sessions[on], item=item, pain=pain)
    for on, answer in ((day(9), Answer.VERY_SORE), (day(11), Answer.FINE), (day(3), "painful")):
        CheckIn.objects.create(
            session=sessions[on], patient=four_weeks.patient, answer=answer, answered_on=on
        )
    for on, kind in ((day(7), "promotion"), (day(10), "alert"), (day(2), "override")):
        StageChange.objects.create(
            assignment=four_weeks, effective_on=on, to_stage="build", kind=kind, reason="-"
        )
    (row,) = report(Assignment.objects.all(), day(7), day(13), today=day(23))
    assert row.mean_pain == 3.0
    assert row.checkin_flags == 1
    assert row.stage_changes == 1  # the alert is not a change of stage


def test_unrated_exercises_are_left_out_of_the_mean_pain(four_weeks):
    rated, unrated = (
        PrescriptionItemFactory(assignment=four_weeks),
        PrescriptionItemFactory(assignment=four_weeks),
    )
    for on, pain in ((day(9), 3), (day(11), 6)):
        session = Session.objects.get(assignment=four_weeks, performed_on=on)
        ExerciseLog.objects.create(session=session, item=rated, pain=pain)
        ExerciseLog.objects.create(session=session, item=unrated, pain=None)
    (row,) = report(Assignment.objects.all(), day(7), day(13), today=day(23))
    assert row.mean_pain == 4.5
    (row,) = report(Assignment.objects.all(), day(14), day(20), today=day(23))
    assert row.mean_pain is None  # no log in the range


@pytest.mark.parametrize("patients", [1, 6])
def test_the_rows_and_the_chart_are_one_query_each_for_any_number_of_patients(
    django_assert_num_queries, patients
):
    for _ in range(patients):
        assignment = AssignmentFactory(start_date=MONDAY)
        week(assignment, 0, 2)
        done(assignment, day(1))
    scope = ReportScope(Assignment.objects.all(), day(0), day(13), day(10))
    with django_assert_num_queries(1):
        assert len(patient_rows(scope)) == patients
    with django_assert_num_queries(1):
        weekly_adherence(scope)


def test_a_paused_assignment_counts_only_the_weeks_it_had_while_active(carol):
    assignment = AssignmentFactory(patient=carol, start_date=MONDAY)
    with time_machine.travel(datetime.datetime(2026, 3, 10, 12, tzinfo=datetime.UTC)):
        done(assignment, day(0))
        done(assignment, day(3))
        assert assignments_reevaluate(assignments_due()) == 1
    Assignment.objects.filter(pk=assignment.pk).update(status=AssignmentStatus.PAUSED)
    with time_machine.travel(datetime.datetime(2026, 4, 20, 12, tzinfo=datetime.UTC)):
        assert assignments_due() == []  # active ones only
    assert ProgramWeek.objects.filter(assignment=assignment).count() == 2
    (row,) = report(Assignment.objects.all(), day(0), day(60), today=day(49))
    # Week 1 (2 of 2) and the Build week that was running when it was paused (0 of 3).
    assert (row.planned, row.counted) == (5, 2)
    assert row.current_planned is None
    active_only = Assignment.objects.filter(status=AssignmentStatus.ACTIVE)
    assert report(active_only, day(0), day(60), today=day(49)) == []


def test_a_back_off_re_anchors_the_stored_weeks(carol):
    assignment = AssignmentFactory(patient=carol, start_date=MONDAY)
    for n in (0, 3, 7, 9):
        done(assignment, day(n))
    assignment_reevaluate(assignment=assignment, today=day(15))
    assert list(
        ProgramWeek.objects.filter(assignment=assignment).values_list("starts_on", flat=True)
    ) == [day(0), day(7), day(14)]

    # The check-in about day 9 arrives: sketchy or painful on day 10.
    session = Session.objects.get(assignment=assignment, performed_on=day(9))
    checkin_record(session=session, answer="painful", today=day(10))
    assignment_reevaluate(assignment=assignment, today=day(15))
    weeks = list(
        ProgramWeek.objects.filter(assignment=assignment).values_list(
            "starts_on", "ends_on", "stage", "planned"
        )
    )
    assert weeks == [
        (day(0), day(6), "start", 2),
        # Cut short by the back-off after 3 days: reminded on days 7 and 9, and its share
        # of 3 a week is 3 x 3/7, rounded down (docs/adherence.md).
        (day(7), day(9), "build", 1),
        (day(10), day(16), "start", 2),  # the week starting on day 14 is gone
    ]
    (row,) = report(Assignment.objects.all(), day(0), day(13), today=day(15))
    assert (row.planned, row.counted) == (3, 3)
    assert row.stage_changes == 2  # promotion and back-off
    assert row.checkin_flags == 1
    assert (row.stage, row.current_planned, row.current_completed) == ("Start", 2, 0)


def test_re_evaluating_again_rewrites_no_week_in_a_constant_number_of_queries(
    carol, django_assert_max_num_queries
):
    assignment = AssignmentFactory(patient=carol, start_date=MONDAY)
    assignment_reevaluate(assignment=assignment, today=day(20))
    stored = list(ProgramWeek.objects.filter(assignment=assignment).values_list("pk", "ends_on"))
    with django_assert_max_num_queries(12):
        assignment_reevaluate(assignment=assignment, today=day(20))
    assert (
        list(ProgramWeek.objects.filter(assignment=assignment).values_list("pk", "ends_on"))
        == stored
    )


def test_recording_a_check_in_stores_the_weeks(carol):
    from patients.checkins import checkin_record

    assignment = AssignmentFactory(patient=carol, start_date=MONDAY)
    session = done(assignment, day(0))
    checkin_record(session=session, answer="fine", today=day(8))
    assert ProgramWeek.objects.filter(assignment=assignment).count() == 2


def test_a_patients_page_lists_weekly_adherence_and_mean_pain(four_weeks):
    item = PrescriptionItemFactory(assignment=four_weeks)
    for session in Session.objects.filter(assignment=four_weeks, performed_on__lt=day(7)):
        ExerciseLog.objects.create(session=session, item=item, pain=session.performed_on.day)
    weeks = assignment_weeks(Assignment.objects.filter(pk=four_weeks.pk), today=day(23))
    assert [(w.planned, w.completed, w.counted, w.in_progress) for w in weeks] == [
        (2, 2, 2, False),
        (3, 5, 3, False),
        (3, 1, 1, False),
        (3, 1, 1, True),
    ]
    assert [w.mean_pain for w in weeks] == [3.5, None, None, None]


class TestNeedsAttention:
    def test_a_painful_check_in_high_pain_and_two_missed_planned_days_are_listed(self, carol, erin):
        hurting = AssignmentFactory(patient=carol, start_date=MONDAY)
        week(hurting, 0, 2)
        week(hurting, 7, 2)
        session = done(hurting, day(8))
        CheckIn.objects.create(session=session, patient=carol, answer="painful", answered_on=day(9))
        ExerciseLog.objects.create(
            session=session, item=PrescriptionItemFactory(assignment=hurting), pain=8
        )
        missing = AssignmentFactory(patient=erin, start_date=MONDAY)
        week(missing, 0, 2, planned_days=(0, 3))
        week(missing, 7, 2, planned_days=(7, 10))
        done(missing, day(4))  # after day 3: only days 7 and 10 were missed
        items = needs_attention(Assignment.objects.all(), today=day(11))
        reasons = {item.assignment_id: item.reasons for item in items}
        assert reasons[hurting.pk] == (
            f"Sketchy or painful check-in on {day(9)}",
            f"Pain 8/10 on {day(8)}",
        )
        assert reasons[missing.pk] == (f"Missed the planned sessions of {day(7)} and {day(10)}",)

    def test_a_check_in_is_a_reason_for_its_own_program_only_however_old_its_session(self, carol):
        back = AssignmentFactory(patient=carol, start_date=MONDAY)
        AssignmentFactory(patient=carol, start_date=MONDAY)  # her knee program
        session = done(back, day(0))  # long before the last 14 days; answered in them
        CheckIn.objects.create(
            session=session, patient=carol, answer="painful", answered_on=day(20)
        )
        (item,) = needs_attention(Assignment.objects.all(), today=day(21))
        assert (item.assignment_id, item.reasons) == (
            back.pk,
            (f"Sketchy or painful check-in on {day(20)}",),
        )  # not the knee program, nor twice

    @pytest.mark.parametrize("patients", [1, 6])
    def test_it_takes_two_queries_for_any_number_of_patients(
        self, django_assert_num_queries, patients
    ):
        for _ in range(patients):
            assignment = AssignmentFactory(start_date=MONDAY)
            week(assignment, 0, 2, planned_days=(0, 3))
            week(assignment, 7, 2, planned_days=(7, 10))
        with django_assert_num_queries(2):
            items = needs_attention(Assignment.objects.all(), today=day(11))
        assert len(items) == patients  # every one missed days 7 and 10

    def test_a_session_between_the_two_planned_days_means_not_missed_in_a_row(self, erin):
        assignment = AssignmentFactory(patient=erin, start_date=MONDAY)
        week(assignment, 0, 2, planned_days=(0, 3))
        done(assignment, day(1))
        assert needs_attention(Assignment.objects.all(), today=day(5)) == []

    def test_reviewing_acknowledges_alerts_and_clears_the_reasons_until_a_new_one(
        self, carol, alice
    ):
        assignment = AssignmentFactory(patient=carol, start_date=MONDAY)
        session = done(assignment, day(0))
        CheckIn.objects.create(session=session, patient=carol, answer="painful", answered_on=day(1))
        StageChange.objects.create(
            assignment=assignment,
            effective_on=day(1),
            to_stage="start",
            kind="alert",
            reason="-",
            alert_therapist=True,
        )
        (item,) = needs_attention(Assignment.objects.all(), today=day(2))
        assert item.reasons[0] == "1 pain alert not acknowledged"
        attention_review(assignment=assignment, by=alice)
        assert StageChange.objects.get().acknowledged_at is not None
        assert AttentionReview.objects.get().reviewed_by == alice
        assert needs_attention(Assignment.objects.all(), today=day(2)) == []
        later = done(assignment, day(2))
        CheckIn.objects.create(session=later, patient=carol, answer="painful", answered_on=day(3))
        (item,) = needs_attention(Assignment.objects.all(), today=day(3))
        assert item.reasons == (f"Sketchy or painful check-in on {day(3)}",)
