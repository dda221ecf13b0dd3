"""A patient's session, exercise by exercise: start, log each exercise, finish.

Every step is saved on the server as it happens, so the session's state is simply
its logs: a reload, a closed tab or a dropped connection loses nothing.
"""

from __future__ import annotations

import datetime
import uuid

from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from programs.models import MAX_REPS, MAX_SETS, ExercisePicture, Intensity, Side

from .messages import message_body_clean, message_send
from .models import (
    MAX_PAIN,
    Assignment,
    AssignmentStatus,
    ExerciseLog,
    PrescriptionItem,
    Session,
    SessionStatus,
)
from .progress import local_today
from .reevaluation import assignment_reevaluate

MAX_DAYS_BACK = 7
MAX_EFFORT = 10
# The cache (settings.CACHES) of prescribed exercises: see session_items.
PRESCRIPTION_CACHE = "prescriptions"


def session_items(user, session: Session) -> list[PrescriptionItem]:
    """The session's prescribed exercises in order, each with its exercise.

    ``session`` is one ``user`` may see (``Session.objects.visible_to``), loaded with its
    assignment. The items are read with the same scoping and cached under the user, the
    assignment and its items version, which is new with every item or exercise of the
    assignment saved or deleted (``items_changed``, called by ``patients.signals``): a
    change is a new key, so an entry is never stale, and the player reads the prescription
    once per change, not on every exercise.
    """
    assignment = session.assignment
    key = f"items:{user.pk}:{assignment.pk}:{assignment.items_version}"
    cache = caches[PRESCRIPTION_CACHE]
    items = cache.get(key)
    if items is None:
        items = list(
            PrescriptionItem.objects.visible_to(user)
            .filter(assignment_id=assignment.pk)
            .select_related("exercise")
            # The pictures of the prescribed exercises are the patient's to see, and cached
            # with the items: a picture added or deleted is a new items version (signals).
            .prefetch_related(
                Prefetch(
                    "exercise__pictures", queryset=ExercisePicture.objects.order_by("order", "pk")
                )
            )
        )
        cache.set(key, items)
    return items


def items_changed(assignments) -> None:
    """Give the assignments (a queryset) a new items version: cached items are not read again.

    Random, not a counter, so that a version rolled back with its transaction is never
    used again. The assignment's ``updated_at`` moves too: its prescription changed (the
    FHIR interface's ``_lastUpdated`` of the prescribed exercises reads it).
    """
    assignments.update(items_version=uuid.uuid4(), updated_at=timezone.now())


def session_start(*, assignment: Assignment, today: datetime.date | None = None) -> Session:
    """Return today's unfinished session of the assignment, or start a new one.

    The assignment row is locked so that a double click on Start makes one session.
    """
    if assignment.status != AssignmentStatus.ACTIVE:
        raise ValidationError(_("This program is not active."))
    today = today or local_today(assignment)
    if today < assignment.start_date:
        raise ValidationError(_("Your program has not started yet."))
    with transaction.atomic():
        Assignment.objects.select_for_update().filter(pk=assignment.pk).first()
        session = (
            Session.objects.filter(
                assignment=assignment, status=SessionStatus.IN_PROGRESS, performed_on=today
            )
            .order_by("-started_at")
            .first()
        )
        if session is None:
            session = Session.objects.create(
                assignment=assignment, patient_id=assignment.patient_id, performed_on=today
            )
    return session


def exercise_log_validate(
    *, item: PrescriptionItem, sets_done: int, reps_done: int, pain: int | None, skipped: bool
) -> None:
    """Refuse numbers no one could have done; the messages are shown as they are."""
    errors = {}
    if pain is not None and not 0 <= pain <= MAX_PAIN:
        errors["pain"] = _("Pain is a number from 0 (none) to 10 (worst imaginable).")
    if not skipped:
        if not 0 <= sets_done <= max(MAX_SETS, item.sets * 2):
            errors["sets_done"] = _("That many sets cannot be right: please check the number.")
        if not 0 <= reps_done <= max(MAX_REPS, item.reps * 2):
            errors["reps_done"] = _("That many reps cannot be right: please check the number.")
    if errors:
        raise ValidationError(errors)


def exercise_log_save(
    *,
    session: Session,
    item: PrescriptionItem,
    sets_done: int = 0,
    reps_done: int = 0,
    pain: int | None = None,
    skipped: bool = False,
    skip_reason: str = "",
) -> ExerciseLog:
    """Save what was done of one exercise; saving it again updates the same log."""
    if item.assignment_id != session.assignment_id:
        raise ValidationError(_("This exercise is not part of this session."))
    if session.is_completed:
        raise ValidationError(_("This session is finished already."))
    exercise_log_validate(
        item=item, sets_done=sets_done, reps_done=reps_done, pain=pain, skipped=skipped
    )
    values = {
        "sets_done": 0 if skipped else sets_done,
        "reps_done": 0 if skipped else reps_done,
        "pain": pain,
        "skipped": skipped,
        "skip_reason": skip_reason.strip() if skipped else "",
    }
    log, _created = ExerciseLog.objects.update_or_create(
        session=session, item=item, defaults=values
    )
    return log


def session_finish(
    *, session: Session, effort: int | None, note: str = "", request=None
) -> Session:
    """Complete the session; a note becomes the patient's message to the clinic.

    Finishing it again changes nothing.
    """
    if effort is not None and not 0 <= effort <= MAX_EFFORT:
        raise ValidationError({"effort": _("Effort is a number from 0 to 10.")})
    if note.strip():
        message_body_clean(note)
    with transaction.atomic():
        finished = Session.objects.filter(pk=session.pk, status=SessionStatus.IN_PROGRESS).update(
            status=SessionStatus.COMPLETED,
            completed_at=timezone.now(),
            effort=effort,
        )
        if finished:
            session.refresh_from_db()
            _note_send(session, note, request)
            assignment_reevaluate(assignment=session.assignment)
    return session


def _note_send(session: Session, note: str, request) -> None:
    if note.strip():
        patient = session.patient
        message_send(
            patient=patient,
            author=patient.user,
            body=note,
            from_patient=True,
            session=session,
            request=request,
        )


def past_dates(today: datetime.date) -> list[datetime.date]:
    """The dates a session may be logged for afterwards, newest first."""
    return [today - datetime.timedelta(days=back) for back in range(MAX_DAYS_BACK + 1)]


class SessionAlreadyLogged(ValidationError):
    """A completed session is already recorded for that day: only a confirmed second one counts."""

    def __init__(self):
        super().__init__(
            _("You already logged a session on that day. Log another?"), code="already_logged"
        )


def session_log_past(
    *,
    assignment: Assignment,
    performed_on: datetime.date,
    effort: int | None = None,
    note: str = "",
    today: datetime.date | None = None,
    another: bool = False,
    request=None,
) -> Session:
    """Record a session done earlier (up to a week back) as completed.

    One per assignment and day unless ``another`` confirms a second: a double submit, or
    the same form sent from two tabs, records one. The assignment row is locked, so
    concurrent requests check one after the other.
    """
    today = today or local_today(assignment)
    if performed_on > today:
        raise ValidationError({"performed_on": _("This date is in the future.")})
    if performed_on < today - datetime.timedelta(days=MAX_DAYS_BACK):
        raise ValidationError({"performed_on": _("Sessions can be logged up to 7 days back.")})
    if performed_on < assignment.start_date:
        raise ValidationError({"performed_on": _("Your program had not started on that day.")})
    if effort is not None and not 0 <= effort <= MAX_EFFORT:
        raise ValidationError({"effort": _("Effort is a number from 0 to 10.")})
    if note.strip():
        message_body_clean(note)
    with transaction.atomic():
        Assignment.objects.select_for_update().filter(pk=assignment.pk).first()
        logged = Session.objects.filter(
            assignment=assignment, performed_on=performed_on, status=SessionStatus.COMPLETED
        )
        if not another and logged.exists():
            raise SessionAlreadyLogged()
        session = Session.objects.create(
            assignment=assignment,
            patient_id=assignment.patient_id,
            performed_on=performed_on,
            status=SessionStatus.COMPLETED,
            completed_at=timezone.now(),
            effort=effort,
            logged_afterwards=True,
        )
        _note_send(session, note, request)
        assignment_reevaluate(assignment=assignment, today=today)
    return session


def _range(low: int | None, high: int | None) -> str:
    return f"{low}\u2013{high}" if high and high != low else f"{low}"


def dosage_in_words(dosage: PrescriptionItem) -> str:
    """Say the dosage the way a therapist would: "2 reps each side, hold 20 s, light"."""
    reps = ngettext("%(count)d rep", "%(count)d reps", dosage.reps) % {"count": dosage.reps}
    if dosage.side == Side.PER_SIDE:
        reps = _("%(reps)s each side") % {"reps": reps}
    elif dosage.side == Side.EACH_WAY:
        reps = _("%(reps)s each way") % {"reps": reps}
    parts = [reps]
    if dosage.sets > 1:
        parts = [
            ngettext("%(count)d set of %(reps)s", "%(count)d sets of %(reps)s", dosage.sets)
            % {"count": dosage.sets, "reps": reps}
        ]
    if dosage.hold_seconds:
        seconds = _range(dosage.hold_seconds, dosage.hold_seconds_max)
        parts.append(_("hold %(seconds)s s") % {"seconds": seconds})
    if dosage.contraction_seconds:
        seconds = _range(dosage.contraction_seconds, dosage.contraction_seconds_max)
        parts.append(_("contract %(seconds)s s") % {"seconds": seconds})
    if dosage.rest_seconds and dosage.sets > 1:
        parts.append(_("rest %(seconds)d s between sets") % {"seconds": dosage.rest_seconds})
    parts.append(str(Intensity(dosage.intensity).label).lower())
    return ", ".join(parts)
