import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import Assignment, ExerciseLog, Session, SessionStatus
from patients.player import dosage_in_words, session_finish, session_items, session_start
from patients.privacy import patient_erase
from tests.factories import ExerciseFactory, PrescriptionItemFactory

from .back_pain import back_pain_assignment

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)
MONDAY_NOON = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def assignment(carol):
    return back_pain_assignment(carol, MONDAY)


@pytest.fixture
def session(assignment):
    with time_machine.travel(MONDAY_NOON):
        return session_start(assignment=assignment)


@pytest.fixture
def signed_in(client, carol):
    client.force_login(carol.user)
    return client


def items_of(assignment):
    return list(assignment.items.select_related("exercise"))


def log_url(session, item):
    return reverse("patients:exercise_log", args=[session.pk, item.pk])


def test_the_dosage_reads_as_a_therapist_would_say_it(assignment):
    stretch, _side_bend, knee_drops = items_of(assignment)
    assert dosage_in_words(stretch) == "2 reps each side, hold 20 s, light"
    assert dosage_in_words(knee_drops) == "5 reps each way, hold 2\u20133 s, light"


@time_machine.travel(MONDAY_NOON)
def test_start_makes_one_session_and_a_second_press_resumes_it(signed_in, assignment):
    url = reverse("patients:session_start", args=[assignment.pk])
    first = signed_in.post(url)
    second = signed_in.post(url)
    session = Session.objects.get()
    assert first.url == second.url == reverse("patients:session", args=[session.pk])
    assert session.performed_on == MONDAY


@time_machine.travel(MONDAY_NOON)
def test_the_player_shows_the_first_exercise_without_a_log(signed_in, session):
    stretch = items_of(session.assignment)[0]
    page = signed_in.get(reverse("patients:session", args=[session.pk]))
    assert "<h1>90-90 hip flexor stretch</h1>" in page.text
    assert "Exercise 1 of 3" in page.text
    assert "2 reps each side, hold 20 s, light" in page.text
    assert "A light stretch at the front of the hip" in page.text  # cue and stop rule
    ExerciseLog.objects.create(session=session, item=stretch, sets_done=1, reps_done=2)
    page = signed_in.get(reverse("patients:session", args=[session.pk]))
    assert "<h1>90-90 hip flexor stretch with side bend</h1>" in page.text


@time_machine.travel(MONDAY_NOON)
def test_saving_an_exercise_goes_on_to_the_next_one(signed_in, session):
    stretch = items_of(session.assignment)[0]
    response = signed_in.post(
        log_url(session, stretch), {"sets_done": 1, "reps_done": 2, "pain": 1}
    )
    assert response.status_code == 302
    assert response.url == reverse("patients:session", args=[session.pk])
    log = ExerciseLog.objects.get()
    assert (log.sets_done, log.reps_done, log.pain, log.skipped) == (1, 2, 1, False)


@time_machine.travel(MONDAY_NOON)
def test_saving_the_same_exercise_twice_updates_its_one_log(signed_in, session):
    stretch = items_of(session.assignment)[0]
    signed_in.post(log_url(session, stretch), {"sets_done": 1, "reps_done": 2, "pain": 1})
    signed_in.post(log_url(session, stretch), {"sets_done": 1, "reps_done": 1, "pain": 3})
    log = ExerciseLog.objects.get()
    assert (log.reps_done, log.pain) == (1, 3)


@time_machine.travel(MONDAY_NOON)
def test_an_exercise_can_be_skipped_with_a_reason(signed_in, session):
    stretch = items_of(session.assignment)[0]
    signed_in.post(log_url(session, stretch), {"skip": "1", "skip_reason": "Knee hurts kneeling"})
    log = ExerciseLog.objects.get()
    assert log.skipped and log.skip_reason == "Knee hurts kneeling"
    assert (log.sets_done, log.reps_done) == (0, 0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sets_done": 1, "reps_done": 2, "pain": 11}, "Pain is a number from 0 (none) to 10"),
        ({"sets_done": 1, "reps_done": 2, "pain": -1}, "Pain is a number from 0 (none) to 10"),
        ({"sets_done": 1, "reps_done": -2}, "Please enter a number of 0 or more."),
        ({"sets_done": 1, "reps_done": 5000}, "That many reps cannot be right"),
        ({"sets_done": 400, "reps_done": 2}, "That many sets cannot be right"),
        ({"sets_done": "", "reps_done": ""}, "Please enter how many you did, or skip."),
    ],
)
@time_machine.travel(MONDAY_NOON)
def test_impossible_numbers_get_a_clear_message_and_nothing_is_saved(
    signed_in, session, data, message
):
    stretch = items_of(session.assignment)[0]
    response = signed_in.post(log_url(session, stretch), data)
    assert response.status_code == 400
    assert message in response.text
    assert "nothing was saved" in response.text
    assert not ExerciseLog.objects.exists()


@time_machine.travel(MONDAY_NOON)
def test_after_the_last_exercise_the_finish_form_completes_the_session(signed_in, session):
    for item in items_of(session.assignment):
        signed_in.post(log_url(session, item), {"sets_done": 1, "reps_done": item.reps})
    page = signed_in.get(reverse("patients:session", args=[session.pk]))
    assert "Last step: how was it?" in page.text
    finish = reverse("patients:session_finish", args=[session.pk])
    response = signed_in.post(finish, {"effort": 4, "note": "Felt good"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED
    assert session.effort == 4
    message = session.messages.get()
    assert (message.body, message.from_patient, message.patient) == (
        "Felt good",
        True,
        session.patient,
    )
    assert "Session done" in signed_in.get(response.url).text


@time_machine.travel(MONDAY_NOON)
def test_finishing_twice_changes_nothing(signed_in, session):
    finish = reverse("patients:session_finish", args=[session.pk])
    signed_in.post(finish, {"effort": 4})
    completed_at = Session.objects.get().completed_at
    response = signed_in.post(finish, {"effort": 9})
    assert response.status_code == 302
    session = Session.objects.get()
    assert (session.effort, session.completed_at) == (4, completed_at)


@time_machine.travel(MONDAY_NOON)
def test_effort_outside_0_to_10_is_refused(signed_in, session):
    finish = reverse("patients:session_finish", args=[session.pk])
    response = signed_in.post(finish, {"effort": 12})
    assert response.status_code == 400
    assert "Effort is a number from 0 to 10." in response.text
    assert Session.objects.get().status == SessionStatus.IN_PROGRESS


@time_machine.travel(MONDAY_NOON)
def test_a_finished_session_takes_no_more_logs(signed_in, session):
    session_finish(session=session, effort=3)
    stretch = items_of(session.assignment)[0]
    signed_in.post(log_url(session, stretch), {"sets_done": 1, "reps_done": 2})
    assert not ExerciseLog.objects.exists()


@time_machine.travel(MONDAY_NOON)
def test_another_patients_session_does_not_exist_for_them(client, erin, session):
    client.force_login(erin.user)
    stretch = items_of(session.assignment)[0]
    assert client.get(reverse("patients:session", args=[session.pk])).status_code == 404
    response = client.post(log_url(session, stretch), {"sets_done": 1, "reps_done": 2})
    assert response.status_code == 404
    finish = reverse("patients:session_finish", args=[session.pk])
    assert client.post(finish, {"effort": 1}).status_code == 404
    assert not ExerciseLog.objects.exists()
    assert Session.objects.get().status == SessionStatus.IN_PROGRESS


@time_machine.travel(MONDAY_NOON)
def test_another_patients_program_cannot_be_started(client, erin, assignment):
    client.force_login(erin.user)
    response = client.post(reverse("patients:session_start", args=[assignment.pk]))
    assert response.status_code == 404
    assert not Session.objects.exists()


@time_machine.travel(MONDAY_NOON)
def test_the_video_is_a_link_until_asked_for(signed_in, session):
    stretch = items_of(session.assignment)[0]
    stretch.exercise.set_video_url("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    stretch.exercise.save()
    page = signed_in.get(reverse("patients:session", args=[session.pk]))
    assert 'data-embed="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in page.text
    assert "<iframe" not in page.text


@time_machine.travel(MONDAY_NOON - datetime.timedelta(days=1))
def test_a_program_cannot_be_started_before_its_start_date(signed_in, assignment):
    response = signed_in.post(reverse("patients:session_start", args=[assignment.pk]), follow=True)
    assert "Your program has not started yet." in response.text
    assert not Session.objects.exists()


def test_finishing_a_session_stores_the_program_weeks_and_the_stage_changes(assignment):
    """The reports read the stored weeks; a week-end promotion is recorded as it happens."""
    from patients.models import ProgramWeek, StageChange

    first = Session.objects.create(
        assignment=assignment, patient=assignment.patient, performed_on=MONDAY
    )
    with time_machine.travel(MONDAY_NOON):
        session_finish(session=first, effort=3)
    assert list(ProgramWeek.objects.filter(assignment=assignment).values_list("planned", flat=True))
    second = Session.objects.create(
        assignment=assignment,
        patient=assignment.patient,
        performed_on=MONDAY + datetime.timedelta(days=3),
    )
    with time_machine.travel(MONDAY_NOON + datetime.timedelta(days=7)):
        session_finish(session=second, effort=3)
    weeks = ProgramWeek.objects.filter(assignment=assignment).order_by("starts_on")
    assert [(week.stage, week.planned) for week in weeks] == [("start", 2), ("build", 3)]
    assert StageChange.objects.get(assignment=assignment).to_stage == "build"


# The prescribed exercises are cached per assignment, and every change is a new key.


@pytest.fixture
def player(signed_in, session):
    """The player page as the patient sees it now."""
    url = reverse("patients:session", args=[session.pk])

    def get():
        with time_machine.travel(MONDAY_NOON):
            response = signed_in.get(url)
        assert response.status_code == 200
        return response.text

    return get


def items_version(assignment):
    return Assignment.objects.values_list("items_version", flat=True).get(pk=assignment.pk)


def test_the_warm_player_reads_no_items(player):
    player()
    with CaptureQueriesContext(connection) as queries:
        page = player()
    assert "<h1>90-90 hip flexor stretch</h1>" in page
    assert not [q for q in queries.captured_queries if "patients_prescriptionitem" in q["sql"]]
    assert not [q for q in queries.captured_queries if "programs_exercise" in q["sql"]]


def test_the_warm_player_asks_the_shared_cache_nothing(player, monkeypatch):
    # The shared cache is Redis in production: a round trip per page for words that only
    # depend on the language would cost the player more than the rest of its caches save.
    from django.core.cache import caches

    player()
    shared = caches["default"]
    asked = []
    for name in ("get", "get_many", "set", "add", "has_key"):
        monkeypatch.setattr(shared, name, lambda *args, _name=name, **kw: asked.append(_name))
    page = player()
    assert 'data-t-hold="Hold"' in page
    assert asked == []


def test_a_changed_dosage_shows_at_once(player, assignment):
    assert "2 reps each side, hold 20 s, light" in player()
    item = assignment.items.order_by("order").first()
    item.reps, item.hold_seconds = 4, 30
    item.save()
    assert "4 reps each side, hold 30 s, light" in player()


def test_an_added_or_deleted_exercise_shows_at_once(player, assignment):
    assert "Exercise 1 of 3" in player()
    added = PrescriptionItemFactory(assignment=assignment, order=9)
    assert "Exercise 1 of 4" in player()
    assert added.exercise.name in player()
    added.delete()
    assert "Exercise 1 of 3" in player()


def test_an_exercise_edited_in_the_library_shows_at_once_in_every_prescription(
    player, assignment, erin
):
    other = back_pain_assignment(erin, MONDAY)
    before = items_version(other)
    assert "<h1>90-90 hip flexor stretch</h1>" in player()
    exercise = assignment.items.order_by("order").first().exercise
    exercise.name = "Kneeling hip flexor stretch"
    exercise.save()
    assert "<h1>Kneeling hip flexor stretch</h1>" in player()
    assert items_version(other) != before  # the same library exercise, another patient


def test_a_new_exercise_changes_no_prescription(assignment):
    before = items_version(assignment)
    ExerciseFactory(clinic=assignment.clinic)
    assert items_version(assignment) == before


def test_erasure_gives_the_prescriptions_a_new_version(carol, alice, assignment):
    before = items_version(assignment)
    patient_erase(patient=carol, by=alice)
    assert items_version(assignment) != before


def test_the_items_are_cached_per_user(carol, dave, session):
    """A user who may not see the session finds nothing, and leaves the patient's entry alone."""
    session = type(session).objects.select_related("assignment").get(pk=session.pk)
    assert session_items(dave.user, session) == []
    assert len(session_items(carol.user, session)) == 3
