"""Tests for the progression engine: the product brief's worked examples, then properties."""

from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from programs.progression import (
    SEED_SCHEME,
    Answer,
    ChangeKind,
    History,
    Scheme,
    StageSpec,
    evaluate,
    planned_days,
)

DAY = timedelta(days=1)
MON = date(2026, 3, 2)  # the brief's worked examples start on Monday 2 March 2026
FINE, SORE, VERY_SORE, PAINFUL = Answer.FINE, Answer.SORE, Answer.VERY_SORE, Answer.PAINFUL

FOUR_STAGES = Scheme(
    (
        StageSpec("walk", "Walk", 1, 1),
        StageSpec("jog", "Jog", 2, 3),
        StageSpec("run", "Run", 3, 3, weeks_to_promote=2),
        StageSpec("race", "Race", 5, 6, requires_advanced=True),
    )
)


def day(offset: int) -> date:
    return MON + offset * DAY


def make_history(sessions=(), checkins=(), overrides=(), advanced=False, **kwargs) -> History:
    """Return a history of an assignment that starts on Monday 2 March 2026."""
    return History(MON, advanced, list(sessions), list(checkins), list(overrides), **kwargs)


def full_weeks(until: int, per_week: tuple[int, ...], first_week: int = 0) -> list[date]:
    """Return sessions on the `per_week` day offsets of program weeks first_week..until-1."""
    return [day(7 * week + offset) for week in range(first_week, until) for offset in per_week]


def stage_codes(progress) -> list[str]:
    return [week.stage.code for week in progress.weeks]


# The worked examples of the product brief.


def test_both_sessions_and_feeling_fine_in_week_one_moves_to_build_in_week_two():
    progress = evaluate(
        SEED_SCHEME, make_history([day(0), day(3)], [(day(1), FINE), (day(4), SORE)]), day(7)
    )
    week_one, week_two = progress.weeks
    assert week_one.tolerated is True
    assert week_two.start == date(2026, 3, 9)
    assert week_two.stage.code == "build"
    assert week_two.planned == 3
    assert week_two.planned_days == (day(7), day(9), day(11))
    (change,) = progress.changes
    assert (change.on, change.kind, change.from_stage, change.to_stage) == (
        day(7),
        ChangeKind.PROMOTION,
        "start",
        "build",
    )
    assert change.evaluated_week_start == MON
    assert change.alert_therapist is False
    assert change.reason == (
        "3 sessions this week: last week you did both sessions and felt fine the next day."
    )
    assert week_two.reason == change.reason


def test_one_session_in_week_one_stays_at_start():
    progress = evaluate(SEED_SCHEME, make_history([day(0)], [(day(1), FINE)]), day(7))
    assert stage_codes(progress) == ["start", "start"]
    assert progress.weeks[0].tolerated is False
    assert progress.changes == ()
    assert progress.current_week.reason == (
        "Staying at 2 sessions a week: last week you did 1 of the 2 planned sessions."
    )


def test_painful_check_in_on_a_build_wednesday_backs_off_to_start_from_that_wednesday():
    sessions = [day(0), day(3), day(7), day(8)]
    checkins = [(day(1), FINE), (day(4), FINE), (day(9), PAINFUL)]
    wednesday = day(9)
    progress = evaluate(SEED_SCHEME, make_history(sessions, checkins), day(16))

    assert [(w.start, w.end, w.stage.code) for w in progress.weeks] == [
        (day(0), day(6), "start"),
        (day(7), day(8), "build"),
        (wednesday, day(15), "start"),
        (day(16), day(22), "start"),
    ]
    back_off = progress.changes[-1]
    assert (back_off.on, back_off.kind, back_off.from_stage, back_off.to_stage) == (
        wednesday,
        ChangeKind.BACK_OFF,
        "build",
        "start",
    )
    assert back_off.alert_therapist is True
    assert back_off.evaluated_week_start == day(7)
    assert back_off.reason == (
        "Back to 2 sessions a week from today: you told us a session felt sketchy or painful "
        "the next day. Your therapist has been told."
    )
    cut, restarted = progress.weeks[1], progress.weeks[2]
    assert cut.tolerated is False
    assert (restarted.start.strftime("%a"), restarted.end.strftime("%a")) == ("Wed", "Tue")


def test_patient_not_advanced_stays_at_build_after_three_tolerated_build_weeks():
    sessions = full_weeks(1, (0, 3)) + full_weeks(4, (0, 2, 4), first_week=1)
    progress = evaluate(SEED_SCHEME, make_history(sessions), day(28))
    assert stage_codes(progress) == ["start", "build", "build", "build", "build"]
    assert all(week.tolerated for week in progress.weeks[:-1])
    assert progress.current_stage.code == "build"
    assert progress.current_week.reason.startswith("Staying at 3\u20134 sessions a week")


def test_advanced_patient_moves_to_daily_after_two_tolerated_build_weeks():
    sessions = full_weeks(1, (0, 3)) + full_weeks(3, (0, 2, 4), first_week=1)
    progress = evaluate(SEED_SCHEME, make_history(sessions, advanced=True), day(21))
    assert stage_codes(progress) == ["start", "build", "build", "daily"]
    assert progress.changes[-1].evaluated_week_start == day(14)
    assert progress.current_week.planned_days == tuple(day(21 + n) for n in range(7))


# Reasons and edge cases the brief leaves to us.


def test_first_week_says_it_is_the_first_week():
    progress = evaluate(SEED_SCHEME, make_history(), MON)
    assert progress.current_week.reason == "2 sessions a week to start: your first week."
    assert progress.current_week.in_progress is True
    assert progress.current_week.tolerated is None


def test_a_very_sore_check_in_holds_the_stage_whatever_the_sessions():
    sessions = full_weeks(2, (0, 2, 4, 5))
    progress = evaluate(SEED_SCHEME, make_history(sessions, [(day(6), VERY_SORE)]), day(7))
    assert stage_codes(progress) == ["start", "start"]
    assert progress.current_week.reason == (
        "Staying at 2 sessions a week: you were very sore after a session last week."
    )


def test_one_tolerated_build_week_says_one_more_week_to_go():
    sessions = full_weeks(1, (0, 3)) + full_weeks(2, (0, 2, 4), first_week=1)
    progress = evaluate(SEED_SCHEME, make_history(sessions, advanced=True), day(14))
    assert progress.current_week.reason == (
        "Staying at 3\u20134 sessions a week: last week went well. "
        "One more week like that and you move up."
    )


def test_a_missed_week_at_build_restarts_the_count_of_good_weeks():
    good, missed = (0, 2, 4), (0,)
    sessions = full_weeks(1, (0, 3)) + [day(7 + n) for n in good] + [day(14 + n) for n in missed]
    sessions += [day(21 + n) for n in good] + [day(28 + n) for n in good]
    progress = evaluate(SEED_SCHEME, make_history(sessions, advanced=True), day(35))
    assert stage_codes(progress) == ["start", "build", "build", "build", "build", "daily"]


def test_check_in_answered_after_the_week_ended_counts_for_the_next_week():
    # Decisions at a week's end use only what was known by then.
    progress = evaluate(SEED_SCHEME, make_history([day(0), day(6)], [(day(7), VERY_SORE)]), day(14))
    assert stage_codes(progress) == ["start", "build", "build"]
    assert progress.weeks[1].tolerated is False


def test_painful_check_in_on_the_first_day_after_a_promotion_backs_off_at_once():
    progress = evaluate(SEED_SCHEME, make_history([day(0), day(6)], [(day(7), PAINFUL)]), day(7))
    kinds = [(c.on, c.kind, c.from_stage, c.to_stage) for c in progress.changes]
    assert kinds == [
        (day(7), ChangeKind.PROMOTION, "start", "build"),
        (day(7), ChangeKind.BACK_OFF, "build", "start"),
    ]
    assert progress.current_stage.code == "start"
    assert progress.current_week.start == day(7)
    assert progress.changes[-1].evaluated_week_start == day(7)


def test_painful_check_in_at_start_alerts_the_therapist_and_restarts_the_week():
    progress = evaluate(SEED_SCHEME, make_history([day(0)], [(day(1), PAINFUL)] * 3), day(10))
    (alert,) = progress.changes
    assert (alert.kind, alert.from_stage, alert.to_stage) == (
        ChangeKind.ALERT_ONLY,
        "start",
        "start",
    )
    assert alert.alert_therapist is True
    assert alert.reason.startswith("Staying at 2 sessions a week: you told us")
    assert [(w.start, w.end) for w in progress.weeks] == [
        (day(0), day(0)),
        (day(1), day(7)),
        (day(8), day(14)),
    ]


def test_a_cut_week_plans_only_its_share_of_the_week_and_keeps_its_reminded_days():
    # Cut after one day: 2 x 1/7 rounds down to nothing asked; the session is welcome.
    progress = evaluate(SEED_SCHEME, make_history([day(0)], overrides=[(day(1), "build")]), day(1))
    cut = progress.weeks[0]
    assert (cut.planned, cut.completed, cut.counted, cut.planned_days) == (0, 1, 0, (day(0),))
    # Cut after five days of a 3-a-week Build week: reminded on days 1, 3 and 5, but
    # 3 x 5/7 rounds down to 2 asked.
    sessions = [*full_weeks(1, (0, 3)), day(7), day(9)]
    progress = evaluate(
        SEED_SCHEME, make_history(sessions, overrides=[(day(12), "start")]), day(12)
    )
    cut = progress.weeks[1]
    assert (cut.start, cut.end, cut.stage.code) == (day(7), day(11), "build")
    assert cut.planned_days == (day(7), day(9), day(11))
    assert (cut.planned, cut.completed, cut.counted) == (2, 2, 2)


# The two defects found after the first round, as the clinic met them.


def test_after_a_back_off_the_restarted_week_is_judged_on_its_own_check_ins():
    # Build from week 2; on Wednesday of week 2 a sketchy/painful answer backs off to Start.
    # The restarted week (Wed-Tue) has both sessions and fine answers: Build again after it,
    # not a week later.
    sessions = [*full_weeks(1, (0, 3)), day(7), day(8), day(9), day(12)]
    checkins = [(day(1), FINE), (day(4), FINE), (day(9), PAINFUL), (day(10), FINE)]
    progress = evaluate(SEED_SCHEME, make_history(sessions, checkins), day(16))
    restarted = progress.weeks[2]
    assert (restarted.start, restarted.end, restarted.stage.code) == (day(9), day(15), "start")
    assert restarted.tolerated is True
    assert progress.current_stage.code == "build"
    assert progress.changes[-1].kind is ChangeKind.PROMOTION
    assert progress.changes[-1].evaluated_week_start == day(9)


def test_after_a_back_off_from_daily_two_tolerated_build_weeks_lead_back_to_daily():
    # Advanced: Start, Build, Build, then Daily from day 21; a painful answer on day 23
    # backs off to Build from that day. Two tolerated Build weeks later: Daily again.
    sessions = full_weeks(1, (0, 3)) + full_weeks(3, (0, 2, 4), first_week=1)
    sessions += [day(21), day(22)] + [day(23 + n) for n in range(0, 14, 2)]
    progress = evaluate(
        SEED_SCHEME, make_history(sessions, [(day(23), PAINFUL)], advanced=True), day(37)
    )
    assert [(w.start, w.stage.code) for w in progress.weeks[3:]] == [
        (day(21), "daily"),
        (day(23), "build"),
        (day(30), "build"),
        (day(37), "daily"),
    ]
    assert [w.tolerated for w in progress.weeks[4:6]] == [True, True]


def test_a_back_off_never_makes_a_fully_adherent_week_look_half_adherent():
    # Start week from Monday: sessions Thursday and Friday; on Friday the patient answers
    # Thursday's check-in "sketchy or painful". The week is cut on Friday, Friday's session
    # moves into the new week, and the cut week (Mon-Thu) asked only 2 x 4/7 -> 1 session.
    sessions, checkins = [day(3), day(4)], [(day(4), PAINFUL)]
    progress = evaluate(SEED_SCHEME, make_history(sessions, checkins), day(4))
    cut, restarted = progress.weeks
    assert (cut.start, cut.end) == (day(0), day(3))
    assert (cut.planned, cut.completed, cut.counted) == (1, 1, 1)
    assert (restarted.start, restarted.completed, restarted.in_progress) == (day(4), 1, True)


def test_therapist_override_takes_effect_on_its_day_and_restarts_the_week():
    progress = evaluate(SEED_SCHEME, make_history(overrides=[(day(3), "build")]), day(12))
    (change,) = progress.changes
    assert (change.on, change.kind, change.to_stage) == (day(3), ChangeKind.OVERRIDE, "build")
    assert change.evaluated_week_start is None
    assert change.alert_therapist is False
    assert change.reason == "Your therapist set this stage: 3 sessions a week."
    assert [(w.start, w.stage.code) for w in progress.weeks] == [
        (day(0), "start"),
        (day(3), "build"),
        (day(10), "build"),
    ]


def test_override_to_daily_for_a_patient_not_advanced_stops_at_build():
    progress = evaluate(SEED_SCHEME, make_history(overrides=[(day(2), "daily")]), day(2))
    assert progress.current_stage.code == "build"
    assert "Daily is only for patients marked as advanced" in progress.changes[0].reason


def test_therapist_override_has_the_last_word_over_a_painful_check_in_the_same_day():
    progress = evaluate(
        SEED_SCHEME,
        make_history([day(0)], [(day(4), PAINFUL)], [(day(4), "build")], initial_stage="build"),
        day(4),
    )
    assert [c.kind for c in progress.changes] == [ChangeKind.BACK_OFF, ChangeKind.OVERRIDE]
    assert progress.current_stage.code == "build"


def test_initial_stage_starts_the_patient_higher():
    progress = evaluate(SEED_SCHEME, make_history(initial_stage="build"), MON)
    assert progress.current_stage.code == "build"
    assert progress.current_week.reason == "3\u20134 sessions a week to start: your first week."


def test_sessions_and_check_ins_outside_the_program_or_in_the_future_are_ignored():
    sessions = [day(-1), day(-2), day(0), day(5)]
    checkins = [(day(-1), PAINFUL), (day(5), PAINFUL)]
    progress = evaluate(SEED_SCHEME, make_history(sessions, checkins, [(day(4), "build")]), day(3))
    assert progress.current_week.completed == 1
    assert progress.current_week.end == day(6)
    assert progress.changes == ()


def test_weeks_plan_their_days_on_the_preferred_weekdays():
    tuesday, thursday = 1, 3
    progress = evaluate(SEED_SCHEME, make_history(preferred_weekdays={tuesday, thursday}), MON)
    assert progress.current_week.planned_days == (day(1), day(3))


def test_today_before_the_start_date_shows_the_first_week_as_upcoming():
    progress = evaluate(SEED_SCHEME, make_history([day(0)]), day(-5))
    (week,) = progress.weeks
    assert (week.start, week.completed, week.in_progress) == (MON, 0, True)


def test_check_in_answers_may_be_plain_strings_from_the_database():
    as_strings = make_history([day(0), day(3)], [(day(1), "fine"), (day(4), "painful")])
    as_answers = make_history([day(0), day(3)], [(day(1), FINE), (day(4), PAINFUL)])
    assert evaluate(SEED_SCHEME, as_strings, day(9)) == evaluate(SEED_SCHEME, as_answers, day(9))


def test_unknown_override_code_is_rejected():
    with pytest.raises(ValueError, match="Unknown stage code 'sprint'"):
        evaluate(SEED_SCHEME, make_history(overrides=[(day(1), "sprint")]), day(3))


def test_unknown_initial_stage_is_rejected():
    with pytest.raises(ValueError, match="Unknown stage code"):
        evaluate(SEED_SCHEME, make_history(initial_stage="sprint"), day(3))


def test_two_different_overrides_on_one_day_are_rejected():
    with pytest.raises(ValueError, match="Conflicting overrides"):
        evaluate(
            SEED_SCHEME, make_history(overrides=[(day(1), "build"), (day(1), "start")]), day(3)
        )


@pytest.mark.parametrize(
    "stages",
    [
        (),
        (StageSpec("a", "A", 2, 2), StageSpec("a", "A again", 3, 3)),
        (StageSpec("a", "A", 0, 2),),
        (StageSpec("a", "A", 3, 2),),
        (StageSpec("a", "A", 3, 8),),
        (StageSpec("a", "A", 2, 2, weeks_to_promote=0),),
        (StageSpec("a", "A", 2, 2, requires_advanced=True),),
    ],
    ids=[
        "empty",
        "duplicate code",
        "no sessions",
        "planned above max",
        "above 7",
        "0 weeks",
        "adv",
    ],
)
def test_invalid_schemes_are_rejected(stages):
    with pytest.raises(ValueError):
        Scheme(stages)


def test_a_clinic_scheme_is_just_data():
    # Walk 1/week, Jog 2 (3 welcome), Run 3 after two good weeks, Race only for advanced movers.
    sessions = [day(0), day(7), day(9), *full_weeks(6, (0, 2, 4), first_week=2)]
    progress = evaluate(FOUR_STAGES, make_history(sessions), day(42))
    assert stage_codes(progress) == ["walk", "jog", "run", "run", "run", "run", "run"]
    assert progress.weeks[1].reason == (
        "2 sessions this week: last week you did your session and felt fine the next day."
    )
    assert progress.current_week.reason.startswith("Staying at 3 sessions a week: last week went")
    advanced = evaluate(FOUR_STAGES, make_history(sessions, advanced=True), day(42))
    assert stage_codes(advanced) == ["walk", "jog", "run", "run", "race", "race", "race"]
    assert advanced.current_week.planned == 5


# Planned days.


@pytest.mark.parametrize(
    ("planned", "offsets"),
    [(2, (0, 3)), (3, (0, 2, 4)), (4, (0, 2, 4, 6)), (7, tuple(range(7))), (1, (0,))],
)
def test_planned_days_spread_over_a_full_week(planned, offsets):
    assert planned_days(MON, planned) == tuple(day(n) for n in offsets)


def test_planned_days_fall_on_preferred_weekdays_first_then_fill_from_the_spread():
    tuesday, thursday, saturday = 1, 3, 5
    assert planned_days(MON, 3, {tuesday, thursday}) == (day(0), day(1), day(3))
    assert planned_days(MON, 2, {tuesday, thursday, saturday}) == (day(1), day(3))
    assert planned_days(day(2), 2, [saturday, tuesday]) == (day(5), day(8))


def test_planned_days_of_a_cut_week_fit_inside_it():
    assert planned_days(MON, 3, length=2) == (day(0), day(1))
    assert planned_days(MON, 7, length=3) == (day(0), day(1), day(2))
    assert planned_days(MON, 2, length=3) == (day(0), day(2))
    assert planned_days(MON, 3, length=5) == (day(0), day(2), day(4))
    assert planned_days(MON, 2, {6}, length=4) == (day(0), day(3))


@settings(max_examples=200, deadline=None, database=None)
@given(
    start=st.dates(date(2024, 1, 1), date(2028, 12, 31)),
    planned=st.integers(0, 9),
    length=st.integers(1, 7),
    preferred=st.sets(st.integers(0, 6)),
)
def test_planned_days_are_sorted_unique_inside_the_window_and_keep_preferences(
    start, planned, length, preferred
):
    days = planned_days(start, planned, preferred, length)
    assert len(days) == min(planned, length)
    assert list(days) == sorted(set(days))
    assert all(start <= d < start + length * DAY for d in days)
    in_window = [start + n * DAY for n in range(length) if (start + n * DAY).weekday() in preferred]
    assert set(in_window[:planned]) <= set(days)


# Properties over random histories.


@st.composite
def scenarios(draw):
    scheme = draw(st.sampled_from([SEED_SCHEME, FOUR_STAGES]))
    codes = [stage.code for stage in scheme.stages]
    start = draw(st.dates(date(2024, 1, 1), date(2028, 12, 31)))
    offsets = st.integers(-3, 75)
    # One bit per program day: cheap to draw, and dense enough that full weeks (and so
    # promotions) are common; a few extra entries add same-day doubles.
    days = draw(st.integers(0, 2**77 - 1))
    sessions = [n for n in range(77) if days >> n & 1]
    sessions += draw(st.lists(offsets, max_size=3))
    mostly_fine = st.sampled_from([FINE, FINE, FINE, SORE, SORE, VERY_SORE, PAINFUL])
    checkins = draw(st.lists(st.tuples(offsets, mostly_fine), max_size=12))
    overrides = draw(st.dictionaries(offsets, st.sampled_from(codes), max_size=3))
    initial = draw(st.none() | st.sampled_from(codes))
    built = History(
        start_date=start,
        advanced=draw(st.booleans()),
        sessions=[start + n * DAY for n in sessions],
        checkins=[(start + n * DAY, answer) for n, answer in checkins],
        overrides=[(start + n * DAY, code) for n, code in overrides.items()],
        initial_stage=initial,
    )
    return scheme, built, start + draw(st.integers(-2, 72)) * DAY


def painful_days(history: History, today: date) -> set[date]:
    return {
        d
        for d, answer in history.checkins
        if answer is PAINFUL and history.start_date <= d <= today
    }


PROPERTY = settings(max_examples=200, deadline=None, database=None)


@PROPERTY
@given(scenarios())
def test_stage_never_leaves_the_scheme_or_ignores_the_advanced_flag(scenario):
    scheme, history, today = scenario
    progress = evaluate(scheme, history, today)
    reached = [week.stage for week in progress.weeks]
    reached += [scheme.stages[scheme.index(c.to_stage)] for c in progress.changes]
    assert all(stage in scheme.stages for stage in reached)
    assert history.advanced or not any(stage.requires_advanced for stage in reached)
    assert progress.current_stage == progress.current_week.stage == progress.weeks[-1].stage


@PROPERTY
@given(scenarios())
def test_no_promotion_follows_a_week_with_a_very_sore_or_painful_check_in(scenario):
    scheme, history, today = scenario
    progress = evaluate(scheme, history, today)
    for change in progress.changes:
        if change.kind is ChangeKind.PROMOTION:
            evaluated = next(w for w in progress.weeks if w.start == change.evaluated_week_start)
            assert evaluated.end == change.on - DAY
            assert evaluated.tolerated is True
            assert evaluated.completed >= evaluated.stage.planned_sessions
            # A painful answer on the week's first day was acted on when the week began.
            assert not any(
                (evaluated.start <= d <= evaluated.end and answer is VERY_SORE)
                or (evaluated.start < d <= evaluated.end and answer is PAINFUL)
                for d, answer in history.checkins
            )


@PROPERTY
@given(scenarios())
def test_the_check_in_that_caused_a_back_off_never_counts_against_the_week_it_starts(scenario):
    scheme, history, today = scenario
    for week in evaluate(scheme, history, today).weeks:
        if week.in_progress or week.end < week.start + 6 * DAY:
            continue  # judged only when whole and ended
        answers = [(d, a) for d, a in history.checkins if week.start <= d <= week.end]
        expected = (
            week.completed >= week.stage.planned_sessions
            and not any(a is VERY_SORE for _, a in answers)
            and not any(a is PAINFUL and d > week.start for d, a in answers)
        )
        assert week.tolerated is expected


@st.composite
def plan_followers(draw):
    """A patient who keeps up with the plan their today page shows each morning.

    They train on a planned day, and the next morning when a planned day went by without
    a session (a back-off in the evening makes that day the first of a new week). Check-ins
    come any day, before or after that day's session; the therapist overrides on some days.
    Return the scheme, the history and the last day.
    """
    scheme = draw(st.sampled_from([SEED_SCHEME, FOUR_STAGES]))
    codes = [stage.code for stage in scheme.stages]
    start = draw(st.dates(date(2024, 1, 1), date(2028, 12, 31)))
    length = draw(st.integers(1, 60))
    answers = st.sampled_from([FINE, SORE, VERY_SORE, PAINFUL])
    checkins = draw(st.dictionaries(st.integers(1, length), answers, max_size=12))
    after_session = draw(st.sets(st.integers(1, length)))
    overrides = draw(st.dictionaries(st.integers(1, length), st.sampled_from(codes), max_size=3))
    history = History(
        start_date=start,
        advanced=draw(st.booleans()),
        sessions=[],
        checkins=[],
        overrides=[(start + n * DAY, code) for n, code in overrides.items()],
        initial_stage=draw(st.none() | st.sampled_from(codes)),
        preferred_weekdays=draw(st.sets(st.integers(0, 6), max_size=3)),
    )
    for n in range(length + 1):
        today = start + n * DAY
        before = [(today, checkins[n])] if n in checkins and n not in after_session else []
        morning = replace(history, checkins=[*history.checkins, *before])
        week = evaluate(scheme, morning, today).current_week
        due = sum(1 for d in week.planned_days if d <= today)
        if today in week.planned_days or week.completed < due:
            morning = replace(morning, sessions=[*morning.sessions, today])
        if n in checkins and n in after_session:
            morning = replace(morning, checkins=[*morning.checkins, (today, checkins[n])])
        history = morning
    return scheme, history, start + length * DAY


@PROPERTY
@given(plan_followers())
def test_a_patient_who_did_every_planned_session_is_at_full_adherence(scenario):
    # Whatever they answered and whenever they answered it, back-offs and overrides included.
    scheme, history, today = scenario
    ended = [week for week in evaluate(scheme, history, today).weeks if not week.in_progress]
    assert sum(week.counted for week in ended) == sum(week.planned for week in ended)


@PROPERTY
@given(scenarios())
def test_every_painful_check_in_backs_off_or_alerts_on_its_day(scenario):
    scheme, history, today = scenario
    progress = evaluate(scheme, history, today)
    alerts = [c for c in progress.changes if c.kind in (ChangeKind.BACK_OFF, ChangeKind.ALERT_ONLY)]
    assert sorted(c.on for c in alerts) == sorted(painful_days(history, today))
    for change in alerts:
        assert change.alert_therapist is True
        from_level, to_level = scheme.index(change.from_stage), scheme.index(change.to_stage)
        assert to_level == max(from_level - 1, 0)
        assert (change.kind is ChangeKind.ALERT_ONLY) == (from_level == 0)
        interrupted = change.evaluated_week_start
        assert interrupted in {week.start for week in progress.weeks}
        assert timedelta(0) <= change.on - interrupted < 7 * DAY
    assert all(not c.alert_therapist for c in progress.changes if c not in alerts)


@PROPERTY
@given(scenarios())
def test_changes_happen_at_week_starts_and_events_on_their_own_day(scenario):
    scheme, history, today = scenario
    progress = evaluate(scheme, history, today)
    week_starts = {week.start for week in progress.weeks}
    overrides = {d for d, _ in history.overrides if history.start_date <= d <= today}
    for change in progress.changes:
        assert change.on in week_starts
        if change.kind is ChangeKind.OVERRIDE:
            assert change.on in overrides
        elif change.kind is not ChangeKind.PROMOTION:
            assert change.on in painful_days(history, today)
    assert sorted(c.on for c in progress.changes if c.kind is ChangeKind.OVERRIDE) == sorted(
        overrides
    )
    events = overrides | painful_days(history, today)
    for week in progress.weeks:
        assert week.end == week.start + 6 * DAY or week.end + DAY in events


@PROPERTY
@given(scenarios(), st.randoms(use_true_random=False))
def test_input_order_and_duplicate_check_ins_do_not_matter(scenario, random):
    scheme, history, today = scenario
    shuffled = [list(history.sessions), list(history.checkins), list(history.overrides)]
    for entries in shuffled:
        random.shuffle(entries)
    sessions, checkins, overrides = shuffled
    variants = [
        replace(history, sessions=sessions, checkins=checkins * 2, overrides=overrides * 2),
        replace(
            history,
            sessions=tuple(reversed(list(history.sessions))),
            checkins=frozenset(history.checkins),
            overrides=tuple(reversed(list(history.overrides))),
        ),
    ]
    expected = evaluate(scheme, history, today)
    for variant in variants:
        assert evaluate(scheme, variant, today) == expected


@PROPERTY
@given(scenarios())
def test_weeks_are_contiguous_and_cover_the_start_date_through_today(scenario):
    scheme, history, today = scenario
    weeks = evaluate(scheme, history, today).weeks
    assert weeks[0].start == history.start_date
    for before, after in pairwise(weeks):
        assert after.start == before.end + DAY
    assert weeks[-1].start <= max(today, history.start_date) <= weeks[-1].end
    assert [week.in_progress for week in weeks] == [False] * (len(weeks) - 1) + [True]
    assert all(week.start <= week.end < week.start + 7 * DAY for week in weeks)
    assert all((week.tolerated is None) == week.in_progress for week in weeks)
    cut_short = [week for week in weeks[:-1] if week.end < week.start + 6 * DAY]
    assert all(week.tolerated is False for week in cut_short)


@PROPERTY
@given(scenarios())
def test_each_week_counts_sessions_against_its_plan(scenario):
    scheme, history, today = scenario
    for week in evaluate(scheme, history, today).weeks:
        length = (week.end - week.start).days + 1
        assert week.counted == min(week.completed, week.planned) <= week.planned
        whole = planned_days(week.start, week.stage.planned_sessions, history.preferred_weekdays)
        assert week.planned_days == tuple(d for d in whole if d <= week.end)
        if length == 7 or week.in_progress:
            assert week.planned == week.stage.planned_sessions == len(week.planned_days)
        else:
            share = week.stage.planned_sessions * length // 7
            assert week.planned == min(share, len(week.planned_days))
        in_week = [d for d in history.sessions if week.start <= d <= min(week.end, today)]
        assert week.completed == len(in_week)
        assert week.reason


@PROPERTY
@given(scenarios())
def test_each_week_stage_is_where_the_changes_left_it(scenario):
    scheme, history, today = scenario
    progress = evaluate(scheme, history, today)
    for before, after in pairwise(progress.weeks):
        landed = [c for c in progress.changes if c.on == after.start]
        if landed:
            assert landed[0].from_stage == before.stage.code
            assert landed[-1].to_stage == after.stage.code
        else:
            assert after.stage == before.stage


@PROPERTY
@given(scenarios())
def test_promotions_happen_only_at_the_end_of_a_full_uninterrupted_week(scenario):
    scheme, history, today = scenario
    progress = evaluate(scheme, history, today)
    ends = {week.end + DAY: week for week in progress.weeks}
    for change in progress.changes:
        if change.kind is ChangeKind.PROMOTION:
            evaluated = ends[change.on]
            assert evaluated.start == change.evaluated_week_start
            assert evaluated.end == evaluated.start + 6 * DAY
        else:
            # Back-offs, alerts and overrides are the only changes inside a week.
            assert change.on in painful_days(history, today) | {d for d, _ in history.overrides}


@PROPERTY
@given(scenarios(), st.integers(0, 30))
def test_later_evaluations_never_rewrite_earlier_changes(scenario, days_later):
    # Stage changes are stored as they happen, so tomorrow's evaluation must agree with today's.
    scheme, history, today = scenario
    earlier = evaluate(scheme, history, today).changes
    later = evaluate(scheme, history, today + days_later * DAY).changes
    assert [c for c in later if c.on <= today] == list(earlier)


def test_the_reasons_go_through_the_installed_translation():
    """The programs app installs Django's gettext; any translator is used the same way."""
    from programs import progression

    installed = (progression._translate, progression._translate_plural)
    try:
        progression.translations_use(
            lambda message: f"«{message}»",
            lambda one, many, count: f"«{one if count == 1 else many}»",
        )
        history = History(
            start_date=date(2026, 3, 2),
            advanced=False,
            sessions=[date(2026, 3, 2), date(2026, 3, 5)],
            checkins=[],
        )
        progress = evaluate(SEED_SCHEME, history, date(2026, 3, 9))
    finally:
        progression.translations_use(*installed)
    reason = progress.current_week.reason
    assert reason.startswith("«") and "«3 sessions»" in reason


def test_inside_reasons_untranslated_nothing_is_translated_and_only_the_reasons_differ():
    import dataclasses

    from programs import progression

    asked = []

    def gettext(message):
        asked.append(message)
        return f"«{message}»"

    def ngettext(one, many, count):
        asked.append((one, many, count))
        return f"«{one if count == 1 else many}»"

    def without_reasons(progress):
        return (
            [dataclasses.replace(week, reason="") for week in progress.weeks],
            [dataclasses.replace(change, reason="") for change in progress.changes],
        )

    history = make_history(sessions=[day(0), day(3), day(8)], checkins=[(day(9), SORE)])
    installed = (progression._translate, progression._translate_plural)
    try:
        progression.translations_use(gettext, ngettext)
        translated = evaluate(SEED_SCHEME, history, day(30))
        asked_before, asked[:] = list(asked), []
        with progression.reasons_untranslated():
            english = evaluate(SEED_SCHEME, history, day(30))
        asked_inside = list(asked)
        after = evaluate(SEED_SCHEME, history, day(30))
    finally:
        progression.translations_use(*installed)
    assert asked_before and asked_inside == []
    assert without_reasons(english) == without_reasons(translated)
    assert "«" in translated.current_week.reason and "«" not in english.current_week.reason
    assert english.current_week.reason and after == translated  # translated again after it


def test_the_therapists_reasons_speak_of_the_patient_not_to_them():
    from programs.progression import ChangeKind, StageSpec, therapist_reason

    start, build = StageSpec("start", "Start", 2, 2), StageSpec("build", "Build", 3, 4)
    reasons = {
        kind: therapist_reason(kind, start if kind is not ChangeKind.BACK_OFF else build, to)
        for kind, to in (
            (ChangeKind.PROMOTION, build),
            (ChangeKind.BACK_OFF, start),
            (ChangeKind.ALERT_ONLY, start),
            (ChangeKind.OVERRIDE, build),
        )
    }
    assert reasons[ChangeKind.PROMOTION].startswith("Moved up to Build (3–4 sessions a week)")
    assert reasons[ChangeKind.BACK_OFF].startswith("Backed off from Build to Start")
    assert "the patient answered" in reasons[ChangeKind.ALERT_ONLY]
    assert reasons[ChangeKind.OVERRIDE] == "Set to Build (3–4 sessions a week) by a therapist."
    assert not any("you" in reason.lower().split() for reason in reasons.values())
    assert "at the lowest stage" in therapist_reason(ChangeKind.BACK_OFF, start, start)
