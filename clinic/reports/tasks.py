from celery import shared_task

from patients.progress import program_weeks_refresh


@shared_task
def refresh_program_weeks(assignment_ids: list[int] | None = None) -> int:
    """Store the program weeks of active (or the given) assignments for the reports."""
    return program_weeks_refresh(assignment_ids)
