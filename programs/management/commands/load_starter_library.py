from django.core.management.base import BaseCommand

from programs.services import starter_library_load, starter_questionnaires_load


class Command(BaseCommand):
    help = "Create or refresh the shared starter exercises and default programs (idempotent)."

    def handle(self, *args, **options):
        exercises, programs = starter_library_load()
        questionnaires = starter_questionnaires_load()
        self.stdout.write(
            self.style.SUCCESS(
                f"Starter library ready: {exercises} exercises, {programs} programs, "
                f"{questionnaires} questionnaires."
            )
        )
