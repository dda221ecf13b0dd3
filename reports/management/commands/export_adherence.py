import datetime

from django.core.management.base import BaseCommand, CommandError

from clinic.models import Clinic, StaffMember
from patients.models import Assignment, AssignmentStatus

from ...adherence import ReportError, ReportScope, clinic_today, range_check
from ...exports import csv_write, xlsx_write
from ...models import ExportFormat, ExportRows
from ...services import export_record


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from error


class Command(BaseCommand):
    help = "Export a clinic's adherence report as CSV or XLSX (recorded for the clinic's audit)."

    def add_arguments(self, parser):
        parser.add_argument("--clinic", required=True, help="the clinic's slug")
        parser.add_argument("--start", required=True, help="YYYY-MM-DD")
        parser.add_argument("--end", required=True, help="YYYY-MM-DD")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--rows", choices=ExportRows.values, default=ExportRows.PATIENT)
        parser.add_argument("--therapist", help="a therapist's email: only their patients")
        parser.add_argument("--status", choices=AssignmentStatus.values)
        parser.add_argument("--output", required=True, help="the file to write")

    def handle(self, *args, **options):
        start, end = _date(options["start"]), _date(options["end"])
        try:
            range_check(start, end)
        except ReportError as error:
            raise CommandError(str(error)) from error
        clinic = Clinic.objects.filter(slug=options["clinic"]).first()
        if clinic is None:
            raise CommandError(f"Unknown clinic {options['clinic']!r}.")
        assignments = Assignment.objects.for_clinic(clinic.pk)
        filters = {}
        if options["therapist"]:
            therapist = (
                StaffMember.objects.for_clinic(clinic.pk)
                .filter(user__email__iexact=options["therapist"])
                .first()
            )
            if therapist is None:
                raise CommandError(f"No therapist {options['therapist']!r} in {clinic.slug}.")
            assignments = assignments.filter(therapist=therapist)
            filters["therapist"] = therapist.pk
        if options["status"]:
            assignments = assignments.filter(status=options["status"])
            filters["status"] = options["status"]
        scope = ReportScope(assignments, start, end, clinic_today(clinic.timezone))
        export_record(
            scope=scope,
            clinic=clinic,
            by=None,
            format=options["format"],
            rows=options["rows"],
            filters=filters,
            via="command",
        )
        if options["format"] == ExportFormat.XLSX:
            with open(options["output"], "wb") as output:
                xlsx_write(scope, options["rows"], output)
        else:
            with open(options["output"], "w", newline="", encoding="utf-8") as output:
                csv_write(scope, options["rows"], output)
        self.stdout.write(f"Wrote {options['output']}")
