from django.core.management.base import BaseCommand

from patients.progress import program_weeks_refresh


class Command(BaseCommand):
    help = "Recompute the stored program weeks of all active assignments (for the reports)."

    def handle(self, *args, **options):
        count = program_weeks_refresh()
        self.stdout.write(f"Refreshed the weeks of {count} assignments.")
