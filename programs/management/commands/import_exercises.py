from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from clinic.models import Clinic
from programs.importexport import (
    ImportRejected,
    exercises_import,
    file_size_check,
    rows_from_bytes,
)


class Command(BaseCommand):
    help = (
        "Import a clinic's exercises from a CSV or JSON file (all or nothing). "
        "Rows are matched to the clinic's exercises by key."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clinic", required=True, help="The clinic's slug.")
        parser.add_argument("--format", choices=["csv", "json"], help="Default: from the name.")
        parser.add_argument("file", type=Path)

    def handle(self, *args, clinic, file, **options):
        try:
            target = Clinic.objects.get(slug=clinic)
        except Clinic.DoesNotExist:
            raise CommandError(f"No clinic with the slug “{clinic}”.") from None
        file_format = options["format"] or file.suffix.lstrip(".").lower()
        try:
            file_size_check(file.stat().st_size)  # before reading it
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from None
        except ImportRejected as rejected:
            raise CommandError("Nothing was imported:\n" + "\n".join(rejected.errors)) from None
        try:
            result = exercises_import(clinic=target, rows=rows_from_bytes(data, file_format))
        except ImportRejected as rejected:
            raise CommandError("Nothing was imported:\n" + "\n".join(rejected.errors)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported into {target}: {len(result.created)} created, "
                f"{len(result.updated)} updated."
            )
        )
