"""Measure one reminder dispatch pass over many active assignments.

Everything runs in one transaction that is rolled back at the end, so the generated
patients never stay in the database; still, run it on a development or test database.
"""

import datetime
import time
import zoneinfo
from json import dumps as json_dumps

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.models import Clinic
from patients.models import Assignment, Patient, Session, SessionStatus
from patients.reminders import (
    CLAIM_BATCH,
    batched,
    claim_batches,
    due_candidates,
    reminders_claim,
    reminders_reclaim_stale,
)
from programs.models import ProgressionScheme

ZONES = [
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
]


def assignments_generate(count: int, *, now: datetime.datetime, sessions: int = 2) -> Clinic:
    """Bulk-insert `count` patients with one active assignment each, due at `now`.

    Reminder times are midnight in eight time zones, the programs started three weeks
    before, and each has `sessions` completed sessions in the last days, so the
    progression rule has a history to replay.
    """
    clinic = Clinic.objects.create(name="Benchmark clinic", slug=f"bench-{time.time_ns()}")
    scheme = ProgressionScheme.objects.get(clinic=None, is_default=True)
    patients = Patient.objects.bulk_create(
        [
            Patient(
                clinic=clinic,
                first_name=f"Patient {n}",
                email=f"bench{n}@example.com",
                timezone=ZONES[n % len(ZONES)],
                reminder_consent=True,
            )
            for n in range(count)
        ],
        batch_size=5000,
    )
    assignments = Assignment.objects.bulk_create(
        [
            Assignment(
                clinic=clinic,
                patient=patient,
                name="Hip flexor stretches",
                scheme=scheme,
                start_date=now.astimezone(zoneinfo.ZoneInfo(patient.timezone)).date()
                - datetime.timedelta(days=21),
                reminder_time=datetime.time(0, 0),
                timezone=patient.timezone,
            )
            for patient in patients
        ],
        batch_size=5000,
    )
    Session.objects.bulk_create(
        [
            Session(
                assignment=assignment,
                patient_id=assignment.patient_id,
                performed_on=assignment.start_date + datetime.timedelta(days=14 + 2 * n),
                status=SessionStatus.COMPLETED,
            )
            for assignment in assignments
            for n in range(sessions)
        ],
        batch_size=5000,
    )
    return clinic


class Command(BaseCommand):
    help = "Time one reminder dispatch pass over N generated active assignments (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--assignments", type=int, default=10_000)
        parser.add_argument("--sessions", type=int, default=2)
        parser.add_argument(
            "--claim", action="store_true", help="Also time the claim batches (rule + insert)."
        )
        parser.add_argument(
            "--json", action="store_true", help="End with one line of JSON with the figures."
        )

    def handle(self, *args, assignments, sessions, claim, json, **options):
        now = timezone.now()
        figures = {"assignments": assignments}
        with transaction.atomic():
            started = time.perf_counter()
            assignments_generate(assignments, now=now, sessions=sessions)
            self.stdout.write(
                f"Generated {assignments} assignments in {time.perf_counter() - started:.1f} s."
            )
            figures["generate_seconds"] = round(time.perf_counter() - started, 1)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                reminders_reclaim_stale(now)
                candidates = due_candidates(now)
                batches = claim_batches(candidates)
                elapsed = time.perf_counter() - started
            self.stdout.write(
                f"Dispatch pass: {elapsed:.2f} s, {len(queries)} queries, "
                f"{len(candidates)} due, {len(batches)} claim batches."
            )
            figures |= {
                "dispatch_seconds": round(elapsed, 2),
                "dispatch_queries": len(queries),
                "due": len(candidates),
                "batches": len(batches),
            }

            if claim:
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    claimed = 0
                    for batch in batched(candidates, CLAIM_BATCH):
                        claimed += len(reminders_claim(batch, now))
                    elapsed = time.perf_counter() - started
                self.stdout.write(
                    f"Claim batches: {elapsed:.2f} s, {len(queries)} queries "
                    f"({len(queries) / max(len(batches), 1):.0f} per batch), {claimed} claimed."
                )
                figures |= {
                    "claim_seconds": round(elapsed, 2),
                    "claim_queries": len(queries),
                    "claimed": claimed,
                }
            transaction.set_rollback(True)
        if json:
            self.stdout.write(json_dumps(figures))
