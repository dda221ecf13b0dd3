from django.core.management.base import BaseCommand, CommandError

from clinic.models import Clinic
from patients.models import Assignment, AssignmentStatus
from patients.reevaluation import assignments_reevaluate, progress_differences


class Command(BaseCommand):
    help = (
        "Evaluate every active assignment afresh and list each stored program week or stage "
        "change that differs; --fix stores the fresh evaluation. Exits 1 when differences "
        "remain."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clinic", metavar="SLUG", help="Only this clinic's assignments.")
        parser.add_argument("--fix", action="store_true", help="Re-evaluate what differs.")

    def handle(self, *args, clinic=None, fix=False, **options):
        assignments = Assignment.objects.filter(status=AssignmentStatus.ACTIVE)
        if clinic is not None:
            try:
                assignments = assignments.for_clinic(Clinic.objects.get(slug=clinic).pk)
            except Clinic.DoesNotExist as error:
                raise CommandError(f"No clinic with the slug {clinic!r}.") from error
        ids = list(assignments.values_list("pk", flat=True))
        differences = progress_differences(ids)
        for difference in differences:
            self.stdout.write(str(difference))
        affected = sorted({difference.assignment_id for difference in differences})
        self.stdout.write(
            f"Checked {len(ids)} active assignments: {len(differences)} differences "
            f"in {len(affected)} assignments."
        )
        if differences and fix:
            assignments_reevaluate(affected)
            differences = progress_differences(affected)
            self.stdout.write(f"After --fix: {len(differences)} differences.")
        if differences:
            raise CommandError(f"{len(differences)} differences remain.")
