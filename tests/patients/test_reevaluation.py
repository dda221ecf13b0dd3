"""Everything derived from a history has one owner, and every write path calls it.

``progress_differences`` (what ``manage.py progress_check`` prints) compares what is
stored with a fresh evaluation: after any write through the admin, the API or the
patient site, and after the beat task that runs past each local midnight, it finds
nothing.
"""

import datetime
import io

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from rest_framework.test import APIClient

from clinic.models import Role
from clinic.tokens import api_token_issue
from patients import alerts, tasks
from patients.models import (
    Assignment,
    AssignmentStatus,
    ChangeKind,
    CheckIn,
    ProgramWeek,
    Session,
    SessionStatus,
    StageChange,
)
from patients.reevaluation import (
    assignment_reevaluate,
    assignments_due,
    assignments_reevaluate,
    progress_differences,
)
from patients.services import stage_override
from tests.factories import (
    AssignmentFactory,
    ClinicFactory,
    PatientFactory,
    ProgramFactory,
    ProgramItemFactory,
    StaffFactory,
    UserFactory,
)
from tests.patients.test_admin_assignments import assignment_form, item_data
from tests.patients.test_progress import completed_session as completed

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)
DAY = datetime.timedelta(days=1)


def noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)


def stored_changes(assignment):
    return list(
        StageChange.objects.filter(assignment=assignment)
        .order_by("effective_on", "created_at")
        .values_list("effective_on", "kind", "from_stage", "to_stage")
    )


def test_a_check_in_changed_the_same_day_takes_back_the_back_off_it_caused(carol, time_machine):
    time_machine.move_to(noon(MONDAY + DAY))
    assignment = AssignmentFactory(patient=carol, start_date=MONDAY)
    session = completed(assignment, MONDAY, "painful", answered_on=MONDAY + DAY)
    assignment_reevaluate(assignment=assignment)
    assert [kind for _, kind, _, _ in stored_changes(assignment)] == [ChangeKind.ALERT]
    CheckIn.objects.filter(session=session).update(answer="fine")
    assert assignment_reevaluate(assignment=assignment) == []
    assert stored_changes(assignment) == []
    assert progress_differences([assignment.pk]) == []


def test_a_new_pain_alert_is_queued_once_after_the_commit_and_emailed_once(
    carol, alice, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(
        alerts.therapist_alert_send, "apply_async", lambda args, **kw: queued.append(args)
    )
    assignment = AssignmentFactory(patient=carol, start_date=MONDAY, therapist=alice.staff)
    completed(assignment, MONDAY, "painful")
    with django_capture_on_commit_callbacks(execute=True):
        (alert,) = assignment_reevaluate(assignment=assignment, today=MONDAY + DAY)
        assert assignment_reevaluate(assignment=assignment, today=MONDAY + DAY) == []
        assert queued == []  # not before the commit
    assert queued == [(alert.pk,)]
    assert [alerts.therapist_alert_send(*args) for args in queued * 2] == [True, False]
    assert [message.to for message in mail.outbox] == [[alice.email]]


def test_the_beat_task_records_a_week_end_promotion_after_local_midnight(carol, time_machine):
    # Carol is in Sydney: her Monday 9 March begins at 13:00 UTC on Sunday 8 March.
    assignment = AssignmentFactory(
        patient=carol, start_date=MONDAY, timezone="Australia/Sydney", evaluated_on=MONDAY
    )
    completed(assignment, MONDAY, "fine")
    completed(assignment, MONDAY + 3 * DAY, "sore")
    time_machine.move_to(datetime.datetime(2026, 3, 8, 12, 50, tzinfo=datetime.UTC))
    assert tasks.assignments_reevaluate_due.apply().get() == 1
    assert stored_changes(assignment) == []  # still Sunday in Sydney
    time_machine.move_to(datetime.datetime(2026, 3, 8, 13, 5, tzinfo=datetime.UTC))
    assert tasks.assignments_reevaluate_due.apply().get() == 1
    assert stored_changes(assignment) == [(MONDAY + 7 * DAY, "promotion", "start", "build")]
    assert assignments_due() == []  # nothing left for this day: later runs do nothing
    assert ProgramWeek.objects.filter(assignment=assignment, stage="build").exists()


def test_only_a_week_that_ended_or_an_override_set_ahead_makes_an_assignment_due(
    carol, erin, alice, time_machine
):
    time_machine.move_to(noon(MONDAY + 2 * DAY))
    mid_week = AssignmentFactory(patient=carol, start_date=MONDAY)
    planned_ahead = AssignmentFactory(patient=erin, start_date=MONDAY)
    stage_override(assignment=planned_ahead, stage_code="build", by=alice, on=MONDAY + 3 * DAY)
    assignments_reevaluate([mid_week.pk, planned_ahead.pk])
    time_machine.move_to(noon(MONDAY + 3 * DAY))  # Thursday: both weeks still hold the day
    assert assignments_due() == [planned_ahead.pk]
    assignments_reevaluate(assignments_due())
    assert ProgramWeek.objects.get(assignment=planned_ahead, starts_on=MONDAY + 3 * DAY).stage == (
        "build"
    )
    time_machine.move_to(noon(MONDAY + 7 * DAY))  # Monday: a new week for both
    assert set(assignments_due()) == {mid_week.pk}  # Erin's restarted week runs to Wednesday
    assert progress_differences([mid_week.pk, planned_ahead.pk]) != []
    assignments_reevaluate(assignments_due())
    assert progress_differences([mid_week.pk, planned_ahead.pk]) == []


def test_the_beat_task_leaves_paused_and_ended_assignments_alone(carol, erin, time_machine):
    time_machine.move_to(noon(MONDAY + 9 * DAY))
    AssignmentFactory(patient=carol, start_date=MONDAY, status=AssignmentStatus.PAUSED)
    AssignmentFactory(patient=erin, start_date=MONDAY, status=AssignmentStatus.ENDED)
    assert assignments_due() == []


def test_one_broken_assignment_never_stops_the_batch(carol, erin, time_machine, caplog):
    time_machine.move_to(noon(MONDAY + 9 * DAY))
    broken = AssignmentFactory(patient=carol, start_date=MONDAY)
    fine = AssignmentFactory(patient=erin, start_date=MONDAY)
    # Bad data from before a fix: an override to a stage the scheme does not have.
    StageChange.objects.create(
        assignment=broken, effective_on=MONDAY + DAY, to_stage="olympic", kind="override"
    )
    assert assignments_reevaluate([broken.pk, fine.pk]) == 1
    assert ProgramWeek.objects.filter(assignment=fine).count() == 2
    assert f"Could not evaluate assignment {broken.pk}" in caplog.text


def test_progress_check_lists_what_differs_and_fix_repairs_it(carol, time_machine):
    time_machine.move_to(noon(MONDAY + 9 * DAY))
    assignment = AssignmentFactory(patient=carol, start_date=MONDAY)
    completed(assignment, MONDAY, "fine")
    completed(assignment, MONDAY + 3 * DAY, "fine")  # written behind the owner's back
    out = io.StringIO()
    with pytest.raises(CommandError, match="differences remain"):
        call_command("progress_check", "--clinic", assignment.clinic.slug, stdout=out)
    assert f"assignment {assignment.pk}: week stored -, expected 2026-03-02..2026-03-08" in (
        out.getvalue()
    )
    assert "stage change stored -, expected 2026-03-09 promotion start->build" in out.getvalue()
    out = io.StringIO()
    call_command("progress_check", "--fix", stdout=out)
    assert "After --fix: 0 differences." in out.getvalue()
    call_command("progress_check", stdout=io.StringIO())  # exit 0: nothing differs


def test_progress_check_refuses_an_unknown_clinic():
    with pytest.raises(CommandError, match="No clinic"):
        call_command("progress_check", "--clinic", "nowhere")


# Each way of assigning stores the weeks at once, and refuses dates no program has.

TODAY = datetime.date(2026, 12, 5)


@pytest.fixture
def frozen_today(time_machine):
    time_machine.move_to(noon(TODAY))


@pytest.fixture
def api(alma):
    """Clinic A's integration, with a clinic admin's token."""
    _token, key = api_token_issue(
        clinic=alma.staff.clinic, name="EHR", role=Role.CLINIC_ADMIN, created_by=alma
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def program_of_a(clinic_a):
    program = ProgramFactory(clinic=clinic_a)
    ProgramItemFactory(program=program)
    return program


def assign_data(program, start: datetime.date, **changes) -> dict:
    data = {
        "program": program.pk,
        "start_date": start.isoformat(),
        "therapist": "",
        "reminder_time": "08:00",
        "timezone": "Europe/London",
    }
    return data | changes


@pytest.mark.usefixtures("frozen_today")
@pytest.mark.parametrize("start", ["9999-12-31", "0001-01-01", "2025-12-03", "2027-12-07"])
def test_a_start_date_more_than_a_year_away_is_refused_on_every_way_of_assigning(
    client, alice, carol, program_of_a, api, start
):
    client.force_login(alice)
    page = client.post(
        reverse("admin:patients_patient_assign", args=[carol.pk]),
        assign_data(program_of_a, datetime.date.fromisoformat(start)),
    )
    assert "Choose a date within a year of today" in page.context["form"].errors["start_date"][0]
    bulk = client.post(
        reverse("admin:programs_program_assign", args=[program_of_a.pk]),
        assign_data(program_of_a, datetime.date.fromisoformat(start), patients=[carol.pk]),
    )
    assert "start_date" in bulk.context["form"].errors
    response = api.post(
        "/api/v1/assignments/",
        {"patient": carol.pk, "program": program_of_a.pk, "start_date": start},
        format="json",
    )
    assert response.status_code == 400
    assert "within a year of today" in response.json()["fields"]["start_date"][0]
    assert not Assignment.objects.exists()
    assert not ProgramWeek.objects.exists()


@pytest.mark.usefixtures("frozen_today")
def test_a_start_date_a_year_away_is_still_taken_and_stores_its_weeks(
    client, alice, carol, erin, program_of_a, api
):
    client.force_login(alice)
    client.post(
        reverse("admin:patients_patient_assign", args=[carol.pk]),
        assign_data(program_of_a, TODAY - 366 * DAY),
    )
    response = api.post(
        "/api/v1/assignments/",
        {"patient": erin.pk, "program": program_of_a.pk, "start_date": "2027-12-06"},
        format="json",
    )
    assert response.status_code == 201
    assert ProgramWeek.objects.filter(assignment__patient=carol).count() == 53
    assert ProgramWeek.objects.filter(assignment__patient=erin).count() == 1
    assert progress_differences(Assignment.objects.values_list("pk", flat=True)) == []


@pytest.mark.usefixtures("frozen_today")
def test_a_start_date_moved_in_the_admin_is_bounded_but_an_old_one_may_stay(client, alice, carol):
    assignment = AssignmentFactory(patient=carol, start_date=datetime.date(2025, 6, 2))
    items = [item_data(item) for item in assignment.items.all()]
    url = reverse("admin:patients_assignment_change", args=[assignment.pk])
    client.force_login(alice)
    kept = client.post(url, assignment_form(assignment, items, goal="Walk the dog"))
    assert kept.status_code == 302  # a program older than a year can still be edited
    moved = client.post(url, assignment_form(assignment, items, start_date="1999-01-04"))
    assert "within a year of today" in str(moved.context["adminform"].form.errors["start_date"])
    assignment.refresh_from_db()
    assert assignment.start_date == datetime.date(2025, 6, 2)


@pytest.mark.usefixtures("frozen_today")
@pytest.mark.parametrize("on", ["9999-12-31", "2028-01-03"])
def test_an_override_dated_more_than_a_year_away_is_a_field_error(client, alice, carol, on):
    assignment = AssignmentFactory(patient=carol, start_date=TODAY)
    client.force_login(alice)
    page = client.post(
        reverse("admin:patients_assignment_stage", args=[assignment.pk]),
        {"stage": "build", "effective_on": on},
    )
    assert page.status_code == 200
    assert "within a year of today" in str(page.context["form"].errors)
    assert not StageChange.objects.exists()


@pytest.mark.usefixtures("frozen_today")
def test_the_therapist_chooses_the_starting_stage_recorded_as_their_override(
    client, alice, carol, erin, program_of_a, api
):
    client.force_login(alice)
    client.post(
        reverse("admin:patients_patient_assign", args=[carol.pk]),
        assign_data(program_of_a, TODAY, starting_stage="build"),
    )
    (change,) = StageChange.objects.filter(assignment__patient=carol)
    assert (change.effective_on, change.kind, change.to_stage) == (TODAY, "override", "build")
    assert change.created_by == alice
    assert ProgramWeek.objects.get(assignment__patient=carol).stage == "build"
    response = api.post(
        "/api/v1/assignments/",
        {
            "patient": erin.pk,
            "program": program_of_a.pk,
            "start_date": TODAY.isoformat(),
            "starting_stage": "olympic",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "starting_stage" in response.json()["fields"]
    assert not Assignment.objects.filter(patient=erin).exists()


@pytest.mark.usefixtures("frozen_today")
def test_assigning_to_several_patients_stores_each_ones_weeks(
    client, alice, carol, erin, program_of_a
):
    client.force_login(alice)
    response = client.post(
        reverse("admin:programs_program_assign", args=[program_of_a.pk]),
        assign_data(program_of_a, TODAY - 10 * DAY, patients=[carol.pk, erin.pk]),
    )
    assert response.status_code == 302
    ids = list(Assignment.objects.values_list("pk", flat=True))
    assert len(ids) == 2
    assert ProgramWeek.objects.count() == 4
    assert progress_differences(ids) == []


@pytest.mark.usefixtures("frozen_today")
def test_erasure_goes_through_the_owner_too(carol, alma):
    from patients.privacy import patient_erase

    assignment = AssignmentFactory(patient=carol, start_date=TODAY - 10 * DAY)
    completed(assignment, TODAY - 9 * DAY, "painful")
    version = assignment.history_version
    patient_erase(patient=carol, by=alma)
    assignment.refresh_from_db()
    assert assignment.history_version != version
    assert progress_differences([assignment.pk]) == []


# The write paths, driven as their users drive them, in any order.


class ClinicMonth(RuleBasedStateMachine):
    """A therapist, a patient and the clinic's integration writing to one assignment.

    Each example is a new clinic, so the examples of one run do not see each other's rows.
    After every step (the beat task runs as each day begins) a fresh evaluation agrees
    with everything stored.
    """

    @initialize(advanced=st.booleans(), starting=st.sampled_from(["", "build"]))
    def assign(self, advanced, starting):
        self.day = MONDAY
        self.traveller = time_machine.travel(noon(self.day), tick=False)
        self.clock = self.traveller.start()
        clinic = ClinicFactory(timezone="Europe/London")
        therapist = StaffFactory(clinic=clinic, role=Role.THERAPIST).user
        patient = PatientFactory(clinic=clinic, user=UserFactory(), timezone="Europe/London")
        program = ProgramFactory(clinic=clinic)
        ProgramItemFactory(program=program)
        self.admin, self.site, self.patient_api = Client(), Client(), APIClient()
        self.people = [
            (self.admin, therapist),
            (self.site, patient.user),
            (self.patient_api, patient.user),
        ]
        for client, user in self.people:
            client.force_login(user)
        _token, key = api_token_issue(
            clinic=clinic, name="EHR", role=Role.CLINIC_ADMIN, created_by=therapist
        )
        self.api = APIClient()
        self.api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        response = self.admin.post(
            reverse("admin:patients_patient_assign", args=[patient.pk]),
            {
                "program": program.pk,
                "start_date": self.day.isoformat(),
                "therapist": "",
                "reminder_time": "08:00",
                "timezone": "Europe/London",
                "advanced": "on" if advanced else "",
                "starting_stage": starting,
            },
        )
        assert response.status_code == 302, response.context["form"].errors
        self.assignment = Assignment.objects.get(patient=patient)

    def teardown(self):
        if hasattr(self, "traveller"):
            self.traveller.stop()

    def sessions(self, **filters):
        return Session.objects.filter(assignment=self.assignment, **filters)

    @rule(days=st.integers(1, 3))
    def days_pass(self, days):
        for _ in range(days):
            self.day += DAY
            self.clock.move_to(noon(self.day))
            tasks.assignments_reevaluate_due.apply()
        # Signed-in sessions expire while the days pass; everyone signs in again.
        for client, user in self.people:
            client.force_login(user)

    @rule()
    def a_session_on_the_patient_site(self):
        self.site.post(reverse("patients:session_start", args=[self.assignment.pk]))
        session = self.sessions(status=SessionStatus.IN_PROGRESS).first()
        if session is not None:
            self.site.post(reverse("patients:session_finish", args=[session.pk]), {"effort": 4})

    @rule()
    def a_session_through_the_api(self):
        response = self.patient_api.post(
            "/api/v1/sessions/", {"assignment": self.assignment.pk}, format="json"
        )
        if response.status_code == 201:
            self.patient_api.post(f"/api/v1/sessions/{response.data['id']}/finish/", {})

    @rule(back=st.integers(1, 7))
    def a_session_logged_afterwards(self, back):
        self.site.post(
            reverse("patients:session_log_past"),
            {
                "assignment": self.assignment.pk,
                "performed_on": (self.day - back * DAY).isoformat(),
                "effort": "3",
                "note": "",
            },
        )

    @rule(
        answer=st.sampled_from(["fine", "sore", "very_sore", "painful"]),
        through=st.sampled_from(["site", "api"]),
    )
    def a_check_in(self, answer, through):
        session = (
            self.sessions(status=SessionStatus.COMPLETED, performed_on__lt=self.day)
            .filter(checkin__isnull=True)
            .order_by("-performed_on")
            .first()
        )
        if session is None:
            return
        if through == "site":
            self.site.post(
                reverse("patients:session_checkin", args=[session.pk]), {"answer": answer}
            )
        else:
            self.patient_api.post(
                "/api/v1/checkins/", {"session": session.pk, "answer": answer}, format="json"
            )

    @rule(stage=st.sampled_from(["start", "build", "daily"]), ahead=st.sampled_from([0, 0, 2]))
    def the_therapist_sets_the_stage(self, stage, ahead):
        self.admin.post(
            reverse("admin:patients_assignment_stage", args=[self.assignment.pk]),
            {"stage": stage, "effective_on": (self.day + ahead * DAY).isoformat()},
        )

    @rule(advanced=st.booleans(), weekdays=st.sets(st.integers(0, 6), max_size=3))
    def the_integration_edits_the_assignment(self, advanced, weekdays):
        self.api.patch(
            f"/api/v1/assignments/{self.assignment.pk}/",
            {"advanced": advanced, "preferred_weekdays": sorted(weekdays)},
            format="json",
        )

    @rule(status=st.sampled_from(["active", "paused", "active"]))
    def the_integration_pauses_or_resumes(self, status):
        self.api.patch(
            f"/api/v1/assignments/{self.assignment.pk}/", {"status": status}, format="json"
        )

    @rule(back=st.integers(0, 6), advanced=st.booleans())
    def the_therapist_edits_the_assignment_in_the_admin(self, back, advanced):
        assignment = Assignment.objects.get(pk=self.assignment.pk)
        items = [item_data(item) for item in assignment.items.all()]
        changes = {"start_date": (MONDAY - back * DAY).isoformat()}
        if advanced:
            changes["advanced"] = "on"
        response = self.admin.post(
            reverse("admin:patients_assignment_change", args=[assignment.pk]),
            assignment_form(assignment, items, **changes),
        )
        assert response.status_code == 302

    @invariant()
    def nothing_stored_differs_from_a_fresh_evaluation(self):
        if not hasattr(self, "assignment"):
            return
        if Assignment.objects.get(pk=self.assignment.pk).status == AssignmentStatus.ACTIVE:
            assert progress_differences([self.assignment.pk]) == []


def test_any_sequence_of_writes_leaves_nothing_for_progress_check():
    run_state_machine_as_test(
        ClinicMonth,
        settings=settings(
            max_examples=15,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
