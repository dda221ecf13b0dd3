"""The today page's cached parts are never stale: whatever is written, in any order.

The questionnaires due and the end of the thread are cached per process under a version
their writers renew (``Assignment.outcomes_version``, ``Patient.messages_version``). A
state machine drives the writes as the patient, the therapist and the clinic's admin make
them, and after each one the today page shows exactly what a fresh reading decides.
"""

import datetime

import time_machine
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

from clinic.models import Role
from patients import outcomes
from patients.messages import messages_read, thread_read
from patients.models import AssignmentQuestionnaire, OutcomeResponse, ResponseStatus
from patients.progress import local_today
from programs.models import Questionnaire
from programs.services import starter_questionnaires_load
from tests.factories import (
    AssignmentFactory,
    ClinicFactory,
    PatientFactory,
    StaffFactory,
    UserFactory,
)

MONDAY = datetime.date(2026, 3, 2)
DAY = datetime.timedelta(days=1)


def noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)


class TodayPage(RuleBasedStateMachine):
    """One patient with a program asking for the pain scale weekly and the PSFS at the start."""

    @initialize()
    def assign(self):
        self.day = MONDAY
        self.traveller = time_machine.travel(noon(self.day), tick=False)
        self.clock = self.traveller.start()
        starter_questionnaires_load()
        clinic = ClinicFactory(timezone="Europe/London")
        self.therapist = StaffFactory(clinic=clinic, role=Role.THERAPIST).user
        self.patient = PatientFactory(clinic=clinic, user=UserFactory(), timezone="Europe/London")
        self.assignment = AssignmentFactory(
            patient=self.patient, start_date=self.day, timezone="Europe/London"
        )
        self.nprs = Questionnaire.objects.get(clinic=None, code="nprs")
        self.psfs = Questionnaire.objects.get(clinic=None, code="psfs")
        AssignmentQuestionnaire.objects.create(
            assignment=self.assignment, questionnaire=self.nprs, at_start=True, every_weeks=1
        )
        self.site, self.admin = Client(), Client()
        self.sign_in()

    def sign_in(self):
        self.site.force_login(self.patient.user)
        self.admin.force_login(self.therapist)

    def teardown(self):
        if hasattr(self, "traveller"):
            self.traveller.stop()

    def fresh(self):
        """What the today page should show, read without the caches (and marking nothing)."""
        self.assignment.refresh_from_db()
        today = local_today(self.assignment)
        due = [
            (questionnaire.pk, questionnaire.title, occasion, draft)
            for questionnaire, occasion, draft in outcomes._due_decide(
                [self.assignment], {self.assignment.pk: today}
            )[self.assignment.pk]
        ]
        thread = thread_read(self.patient)
        unread = sum(1 for message in thread if message.unread_by_reader)
        return due, [(m.pk, m.unread_by_reader) for m in thread[-3:]], unread

    @rule(days=st.integers(1, 4))
    def days_pass(self, days):
        self.day += days * DAY
        self.clock.move_to(noon(self.day))
        self.sign_in()

    @rule(body=st.sampled_from(["How is the knee?", "Keep going"]))
    def the_therapist_replies(self, body):
        reply = reverse("patient_reply", args=[self.patient.pk])
        assert self.admin.post(reply, {"body": body}).status_code == 302

    @rule()
    def the_patient_writes_from_the_today_page(self):
        response = self.site.post(
            reverse("patients:messages"), {"body": "It was sore", "next": "home"}
        )
        assert response.status_code == 302

    @rule()
    def the_patient_opens_the_messages(self):
        assert self.site.get(reverse("patients:messages")).status_code == 200

    @rule()
    def the_therapist_reads_the_story(self):
        messages_read(patient=self.patient, by_patient=False)

    @rule(code=st.sampled_from(["nprs", "psfs"]))
    def the_patient_starts_a_questionnaire(self, code):
        questionnaire = self.nprs if code == "nprs" else self.psfs
        self.site.post(
            reverse("patients:questionnaire_start", args=[self.assignment.pk, questionnaire.pk])
        )

    @rule()
    def the_patient_sends_the_pain_scale(self):
        draft = OutcomeResponse.objects.filter(
            assignment=self.assignment, questionnaire=self.nprs, status=ResponseStatus.DRAFT
        ).first()
        if draft is None:
            return
        page = reverse("patients:response", args=[draft.pk])
        self.site.post(page + "?screen=1", {"pain": "4"})
        self.site.post(reverse("patients:response_send", args=[draft.pk]))

    @rule()
    def the_patient_corrects_a_sent_answer(self):
        sent = OutcomeResponse.objects.filter(
            assignment=self.assignment, status=ResponseStatus.SUBMITTED
        ).last()
        if sent is not None:
            outcomes.response_correct(response=sent)

    @rule(every=st.sampled_from([None, 1, 2]))
    def the_therapist_schedules_the_psfs(self, every):
        row = AssignmentQuestionnaire.objects.filter(
            assignment=self.assignment, questionnaire=self.psfs
        ).first()
        if every is None:
            if row is not None:
                row.delete()
        elif row is None:
            AssignmentQuestionnaire.objects.create(
                assignment=self.assignment, questionnaire=self.psfs, every_weeks=every
            )
        else:
            row.every_weeks = every
            row.save()

    @rule(title=st.sampled_from(["Pain today", "Numeric Pain Rating Scale"]))
    def the_questionnaire_is_renamed(self, title):
        self.nprs.title = title
        self.nprs.save()

    @rule(back=st.integers(0, 10))
    def the_start_date_moves(self, back):
        self.assignment.refresh_from_db()
        self.assignment.start_date = self.day - back * DAY
        self.assignment.save()

    @invariant()
    def the_today_page_shows_what_a_fresh_reading_decides(self):
        if not hasattr(self, "assignment"):
            return
        due, latest, unread = self.fresh()
        page = self.site.get(reverse("patients:home"))
        assert page.status_code == 200
        shown = [
            (item.questionnaire.pk, item.questionnaire.title, item.occasion, item.draft_id)
            for item in page.context["questionnaires"]
        ]
        assert shown == due
        assert [(m.pk, m.unread_by_reader) for m in page.context["messages_recent"]] == latest
        assert page.context["unread"] == unread


def test_the_today_page_never_shows_a_stale_questionnaire_or_message(db):
    run_state_machine_as_test(
        TodayPage,
        settings=settings(
            max_examples=12,
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
