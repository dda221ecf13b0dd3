from django.core.management.base import BaseCommand, CommandError

from clinic.models import Clinic
from programs.importexport import exercises_export
from programs.models import Exercise


class Command(BaseCommand):
    help = (
        "Write a clinic's own exercises (not the shared library) to standard output as CSV or JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clinic", required=True, help="The clinic's slug.")
        parser.add_argument("--format", choices=["csv", "json"], default="json")

    def handle(self, *args, clinic, **options):
        try:
            target = Clinic.objects.get(slug=clinic)
        except Clinic.DoesNotExist:
            raise CommandError(f"No clinic with the slug “{clinic}”.") from None
        exercises = Exercise.objects.filter(clinic=target)
        self.stdout.write(exercises_export(exercises, options["format"]), ending="")
