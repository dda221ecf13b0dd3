import datetime
import time

from django.core.management.base import BaseCommand, CommandError

from bench.dataset import SLUG_PREFIX, load_data_generate
from clinic.models import Clinic


class Command(BaseCommand):
    help = (
        "Generate a reproducible benchmark data set: clinics, staff, patients with logins, "
        "assignments across stages, sessions, exercise logs, check-ins, program weeks, "
        "stage changes and reminders. The same seed and --today give the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=1000)
        parser.add_argument("--weeks", type=int, default=12, help="weeks of history per patient")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--clinics", type=int, help="default: one clinic per 2,000 patients (at least one)"
        )
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            help="the day histories end (YYYY-MM-DD); default: today",
        )

    def handle(self, *args, **options):
        if options["patients"] < 1 or options["weeks"] < 1:
            raise CommandError("--patients and --weeks must be at least 1.")
        if Clinic.objects.filter(slug__startswith=SLUG_PREFIX).exists():
            raise CommandError(
                "Load data is already here: regenerate it in a fresh database (manage.py flush)."
            )
        started = time.perf_counter()
        counts = load_data_generate(
            patients=options["patients"],
            weeks=options["weeks"],
            seed=options["seed"],
            today=options["today"] or datetime.date.today(),
            clinics=options["clinics"],
            log=self.stdout.write if options["verbosity"] > 1 else lambda message: None,
        )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"{counts.clinics} clinics, {counts.patients} patients, {counts.sessions} sessions, "
            f"{counts.logs} exercise logs, {counts.checkins} check-ins, {counts.weeks} program "
            f"weeks, {counts.changes} stage changes, {counts.reminders} reminders, "
            f"{counts.responses} questionnaire responses "
            f"in {elapsed:.1f} s. Logins: password 'flexion-load'."
        )
