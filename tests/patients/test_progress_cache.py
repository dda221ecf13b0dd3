"""The evaluated progress is cached per assignment and day, and every input makes a new key."""

import datetime

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.checkins import checkin_record
from patients.models import Answer, Assignment
from patients.player import session_log_past
from patients.progress import assignment_progress
from patients.services import stage_override
from programs.models import SchemeStage

from .back_pain import back_pain_assignment

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)
WEDNESDAY = MONDAY + datetime.timedelta(days=2)


@pytest.fixture
def assignment(carol):
    return back_pain_assignment(carol, MONDAY)


def progress_now(assignment, today=WEDNESDAY):
    """The progress as a page sees it: the assignment freshly loaded, as each request does."""
    fresh = Assignment.objects.select_related("scheme").get(pk=assignment.pk)
    return assignment_progress(fresh, today)


def test_a_second_evaluation_reads_no_history_and_no_stages(assignment):
    progress_now(assignment)
    with CaptureQueriesContext(connection) as queries:
        again = progress_now(assignment)
    tables = " ".join(query["sql"] for query in queries.captured_queries)
    assert "patients_session" not in tables
    assert "patients_checkin" not in tables
    assert "programs_schemestage" not in tables
    assert again.current_week.completed == 0


def test_the_warm_today_page_reads_no_history(client, carol, assignment):
    client.force_login(carol.user)
    with time_machine.travel(datetime.datetime(2026, 3, 4, 12, tzinfo=datetime.UTC)):
        client.get(reverse("patients:home"))
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("patients:home")).text
    assert "This week: 0 of 2 sessions done." in page
    history = [q["sql"] for q in queries.captured_queries if "patients_checkin" in q["sql"]]
    # The only session query left is the one for today's and recent sessions (with their
    # check-ins); the history and the stages for the rule come from the cache.
    assert len(history) == 1
    assert not [q for q in queries.captured_queries if "programs_schemestage" in q["sql"]]


def test_a_logged_session_shows_at_once(assignment):
    assert progress_now(assignment).current_week.completed == 0
    session_log_past(assignment=assignment, performed_on=MONDAY, today=WEDNESDAY)
    assert progress_now(assignment).current_week.completed == 1


def test_a_check_in_shows_at_once(assignment):
    session = session_log_past(assignment=assignment, performed_on=MONDAY, today=MONDAY)
    before = progress_now(assignment, MONDAY + datetime.timedelta(days=1))
    checkin_record(
        session=session, answer=Answer.PAINFUL, today=MONDAY + datetime.timedelta(days=1)
    )
    after = progress_now(assignment, MONDAY + datetime.timedelta(days=1))
    assert len(after.changes) == len(before.changes) + 1
    assert after.changes[-1].alert_therapist


def test_an_override_shows_at_once(assignment, alice):
    assert progress_now(assignment).current_stage.code == "start"
    stage_override(assignment=assignment, stage_code="build", by=alice, on=WEDNESDAY)
    assert progress_now(assignment).current_stage.code == "build"


def test_an_edited_assignment_shows_at_once(assignment):
    assert progress_now(assignment).current_week.planned_days != (
        MONDAY + datetime.timedelta(days=3),
        MONDAY + datetime.timedelta(days=5),
    )
    assignment.preferred_weekdays = [3, 5]
    assignment.save()
    assert progress_now(assignment).current_week.planned_days == (
        MONDAY + datetime.timedelta(days=3),
        MONDAY + datetime.timedelta(days=5),
    )


def test_an_edited_scheme_shows_at_once(assignment):
    assert progress_now(assignment).current_week.planned == 2
    stage = SchemeStage.objects.get(scheme=assignment.scheme, code="start")
    stage.planned_sessions = stage.max_sessions = 3
    stage.save()
    assert progress_now(assignment).current_week.planned == 3


def test_a_deleted_stage_shows_at_once(assignment):
    assert progress_now(assignment).current_stage.code == "start"
    SchemeStage.objects.get(scheme=assignment.scheme, code="start").delete()
    assert progress_now(assignment).current_stage.code == "build"


def test_saving_or_deleting_a_stage_renews_the_schemes_stages_version(assignment):
    scheme = assignment.scheme
    versions = [scheme.stages_version]
    stage = SchemeStage.objects.get(scheme=scheme, code="build")
    stage.name = "Build up"
    stage.save()
    scheme.refresh_from_db()
    versions.append(scheme.stages_version)
    stage.delete()
    scheme.refresh_from_db()
    versions.append(scheme.stages_version)
    assert len(set(versions)) == 3


def test_each_day_is_evaluated_for_itself(assignment):
    session_log_past(assignment=assignment, performed_on=MONDAY, today=MONDAY)
    assert progress_now(assignment, MONDAY).current_week.completed == 1
    next_week = MONDAY + datetime.timedelta(days=7)
    assert progress_now(assignment, next_week).current_week.start == next_week


def test_a_change_rolled_back_leaves_the_cache_right(assignment):
    progress_now(assignment)
    version = Assignment.objects.get(pk=assignment.pk).history_version
    with pytest.raises(RuntimeError), transaction.atomic():
        session_log_past(assignment=assignment, performed_on=MONDAY, today=WEDNESDAY)
        assert progress_now(assignment).current_week.completed == 1
        raise RuntimeError("the request failed after the session was recorded")
    assert Assignment.objects.get(pk=assignment.pk).history_version == version
    assert progress_now(assignment).current_week.completed == 0
    # The next real change gets a version of its own, not the rolled-back one.
    session_log_past(assignment=assignment, performed_on=MONDAY, today=WEDNESDAY)
    assert progress_now(assignment).current_week.completed == 1
