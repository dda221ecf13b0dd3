"""A month of a clinic chain's writes through the interfaces, then ``progress_check``.

    FLEXION_BENCH_APPS=1 python manage.py bench_progress_month --days 30 --share 0.02

On a loaded data set (``generate_load_data``), day after day from tomorrow on (the clock
moved with time-machine): the beat task's re-evaluation of the assignments a new day began
for (timed), then for a random share of the active assignments what their people do that
day, each through the interface they use: the patient starts and finishes a session or
logs one done earlier and answers yesterday's check-in on the patient site; the therapist
sets a stage in the admin or edits the assignment there; the clinic's integration pauses,
resumes or marks a patient advanced through the API. At the end ``progress_check`` over
every active assignment. Emails go to Django's in-memory outbox (test environment).
"""

from __future__ import annotations

import datetime
import random
import statistics
import time
from collections import Counter

import time_machine
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import reverse
from rest_framework.test import APIClient

from clinic.models import Role, StaffMember
from clinic.tokens import api_token_issue
from patients.models import Assignment, AssignmentStatus, Session, SessionStatus
from patients.reevaluation import assignments_due, assignments_reevaluate

STATUSES: Counter = Counter()


def tally(response) -> None:
    STATUSES[response.status_code] += 1


ANSWERS = ["fine", "fine", "fine", "sore", "sore", "very_sore", "painful"]


class Command(BaseCommand):
    help = "Simulate a month of writes through the interfaces, then run progress_check."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--share", type=float, default=0.02)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, days, share, seed, **options):
        setup_test_environment()  # the in-memory outbox, and the test client's host
        rng = random.Random(seed)
        start = datetime.datetime.now(datetime.UTC).replace(hour=12, minute=0, second=0)
        tokens = {}
        for staff in StaffMember.objects.filter(role=Role.CLINIC_ADMIN).select_related("clinic"):
            _token, key = api_token_issue(
                clinic=staff.clinic, name="bench", role=Role.CLINIC_ADMIN, created_by=staff.user
            )
            tokens[staff.clinic_id] = key
        reevaluations, writes = [], 0
        with time_machine.travel(start, tick=False) as clock:
            for day in range(1, days + 1):
                clock.move_to(start + datetime.timedelta(days=day))
                began = time.perf_counter()
                count = assignments_reevaluate(assignments_due())
                reevaluations.append((count, time.perf_counter() - began))
                active = list(
                    Assignment.objects.filter(status__in=["active", "paused"]).values_list(
                        "pk", "patient__user_id", "therapist__user_id", "clinic_id"
                    )
                )
                for pk, patient_user, therapist_user, clinic_id in rng.sample(
                    active, int(len(active) * share)
                ):
                    writes += self.day_of(
                        rng, pk, patient_user, therapist_user, tokens.get(clinic_id)
                    )
                self.stdout.write(
                    f"day {day}: re-evaluated {count} assignments in "
                    f"{reevaluations[-1][1]:.1f} s; {writes} writes so far"
                )
            self.stdout.write(
                f"{writes} writes over {days} days; the midnight re-evaluation took a median "
                f"of {statistics.median(t for _, t in reevaluations):.1f} s for a median of "
                f"{statistics.median(c for c, _ in reevaluations):.0f} assignments "
                f"({connection.vendor})."
            )
            self.stdout.write(f"Responses by status: {dict(sorted(STATUSES.items()))}")
            call_command("progress_check", stdout=self.stdout)

    def day_of(self, rng, pk, patient_user, therapist_user, token) -> int:
        from clinic.models import User

        assignment = Assignment.objects.get(pk=pk)
        what = rng.random()
        if assignment.status == AssignmentStatus.PAUSED or what < 0.05:
            if token is None:
                return 0
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            status = "active" if assignment.status == AssignmentStatus.PAUSED else "paused"
            body = {"status": status} if rng.random() < 0.7 else {"advanced": True}
            tally(api.patch(f"/api/v1/assignments/{pk}/", body, format="json"))
            return 1
        if what < 0.10 and therapist_user:
            admin = Client()
            admin.force_login(User.objects.get(pk=therapist_user))
            tally(
                admin.post(
                    reverse("admin:patients_assignment_stage", args=[pk]),
                    {
                        "stage": rng.choice(["start", "build", "daily"]),
                        "effective_on": datetime.date.today().isoformat(),
                    },
                )
            )
            return 1
        if not patient_user:
            return 0
        site = Client()
        site.force_login(User.objects.get(pk=patient_user))
        done = 0
        yesterday = (
            Session.objects.filter(
                assignment_id=pk,
                status=SessionStatus.COMPLETED,
                performed_on__lt=datetime.date.today(),
                checkin__isnull=True,
            )
            .order_by("-performed_on")
            .first()
        )
        if yesterday is not None:
            tally(
                site.post(
                    reverse("patients:session_checkin", args=[yesterday.pk]),
                    {"answer": rng.choice(ANSWERS)},
                )
            )
            done += 1
        if what < 0.25:
            two_days_ago = datetime.date.today() - datetime.timedelta(days=2)
            tally(
                site.post(
                    reverse("patients:session_log_past"),
                    {
                        "assignment": pk,
                        "performed_on": two_days_ago.isoformat(),
                        "effort": "4",
                        "note": "",
                    },
                )
            )
            return done + 1
        tally(site.post(reverse("patients:session_start", args=[pk])))
        session = Session.objects.filter(assignment_id=pk, status=SessionStatus.IN_PROGRESS).first()
        if session is not None:
            tally(site.post(reverse("patients:session_finish", args=[session.pk]), {"effort": "5"}))
        return done + 2
