import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from patients.reminders import dispatch_pass_inline


class Command(BaseCommand):
    help = (
        "Run one reminder dispatch pass in this process: hand back lost reminders, "
        "find who is due, claim and send. Safe to run beside the Celery beat."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--at",
            help="Run the pass as if it were this instant (ISO 8601 with an offset, "
            "e.g. 2026-03-29T01:00:00+00:00). Default: now.",
        )

    def handle(self, *args, at=None, **options):
        now = timezone.now()
        if at:
            try:
                now = datetime.datetime.fromisoformat(at)
            except ValueError as error:
                raise CommandError(f"--at: {error}") from error
            if now.tzinfo is None:
                raise CommandError("--at needs a UTC offset, e.g. 2026-03-02T08:00:00+00:00.")
        counts = dispatch_pass_inline(now)
        self.stdout.write(
            "{reclaimed} reclaimed, {candidates} due, {claimed} claimed, "
            "{sent} sent, {failed} failed.".format(**counts)
        )
