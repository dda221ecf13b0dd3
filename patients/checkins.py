"""Recording the next-day check-in, and what follows from it."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Answer, CheckIn, Session, StageChange
from .progress import local_today
from .reevaluation import assignment_reevaluate


def checkin_record(
    *, session: Session, answer: str, today: datetime.date | None = None
) -> tuple[CheckIn, list[StageChange]]:
    """Record (or change, the same day) the answer about a completed session.

    Return the check-in and the stage changes it caused (a painful answer backs
    off at once and alerts the therapist; the email goes after the commit).
    """
    if answer not in Answer.values:
        raise ValidationError(_("Please choose one of the answers."))
    if not session.is_completed:
        raise ValidationError(_("This session is not finished yet."))
    today = today or local_today(session.assignment)
    if today <= session.performed_on:
        raise ValidationError(_("The check-in opens the day after the session."))
    with transaction.atomic():
        existing = CheckIn.objects.select_for_update().filter(session=session).first()
        if existing is not None and existing.answered_on != today:
            raise ValidationError(
                _("You answered on %(day)s; an answer can only be changed the same day.")
                % {"day": existing.answered_on.isoformat()}
            )
        checkin, _created = CheckIn.objects.update_or_create(
            session=session,
            defaults={"patient_id": session.patient_id, "answer": answer, "answered_on": today},
        )
        changes = assignment_reevaluate(assignment=session.assignment, today=today)
    return checkin, changes
