"""Which reminders are due, and claiming and sending each of them exactly once.

A dispatch pass (every few minutes, in UTC) does three set-based things:

1. ``reminders_reclaim_stale``: a reminder left "claimed" or "sending" longer than any
   worker would take lost its worker or its task; it goes back to "claimed" to be sent.
2. ``due_candidates``: two queries (time zones in use, then one condition per zone) find
   the patients whose local reminder time has passed today and who have no reminder row
   for their local day yet.
3. ``reminders_claim`` (per batch of candidates, in a task): the progression rule decides
   what each patient's message says, and one ``INSERT ... ON CONFLICT DO NOTHING`` claims
   the (patient, local day) rows. Only the rows this insert created are sent, so two
   passes at once never send twice. A patient with nothing due gets a "skipped" row,
   which also stops later passes from looking at them again that day.

``reminder_send`` moves one row from "claimed" to "sending" with a conditional UPDATE
(only one worker can win it), sends, and marks it "sent" at once. The one window left is
between the SMTP server accepting the message and that UPDATE: a worker killed exactly
there leaves the row "sending", the reconciler sends it again, and the patient gets a
duplicate carrying the same Message-ID. Everywhere else a crash leads to exactly one send.
"""

from __future__ import annotations

import datetime
import logging
import time
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import Case, DateField, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone, translation

from clinic.bulk import rows_insert_new
from programs import progression

from . import emails, outcomes
from .models import (
    Assignment,
    AssignmentStatus,
    Reminder,
    ReminderStatus,
    Session,
    SessionStatus,
)
from .progress import histories_of, schemes_of

log = logging.getLogger(__name__)

CLAIM_BATCH = 1000
MINUTE = datetime.timedelta(minutes=1)
# What deciding a reminder reads of an assignment: its history's inputs and its message.
DECISION_FIELDS = (
    "patient_id",
    "scheme_id",
    "name",
    "start_date",
    "reminder_time",
    "timezone",
    "advanced",
    "preferred_weekdays",
    # The key of the cached questionnaires due (patients.outcomes.due_questionnaires).
    "outcomes_version",
)


@dataclass(frozen=True)
class Candidate:
    """A patient whose reminder time has passed on their local date, with no reminder yet."""

    patient_id: int
    local_date: datetime.date


def reminder_instant(
    day: datetime.date, at: datetime.time, tz: zoneinfo.ZoneInfo
) -> datetime.datetime:
    """Return the UTC instant of the local time `at` on `day` in `tz`.

    On the day clocks go forward a time that does not exist is reached at the first valid
    instant after it (the moment of the change); on the day they go back, a time that
    happens twice counts at its first occurrence.
    """
    local = datetime.datetime.combine(day, at, tzinfo=tz)  # fold=0: the first occurrence
    instant = local.astimezone(datetime.UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # In a gap: walk from the earliest reading of the wall time to where the clock passes it.
    instant = local.replace(fold=1).astimezone(datetime.UTC)
    while instant.astimezone(tz).replace(tzinfo=None) < local.replace(tzinfo=None):
        instant += MINUTE
    return instant


def reminder_assignments():
    """Active assignments of patients who agreed to reminders and can receive them."""
    return Assignment.objects.filter(
        status=AssignmentStatus.ACTIVE,
        patient__reminder_consent=True,
        patient__reminders_opted_out_at__isnull=True,
    ).exclude(patient__email="")


def due_candidates(now: datetime.datetime) -> list[Candidate]:
    """Return, in two queries whatever the number of patients, who is due a decision at `now`.

    The first query lists the time zones in use; for each, zoneinfo gives the local date
    and wall-clock time at `now`, and the second query compares every assignment with its
    zone's wall clock. Comparing wall clocks gives the DST rules of ``reminder_instant``
    for free: a time skipped by spring-forward is passed as soon as the clock jumps over
    it, and a time repeated by fall-back is reached the first time (the second time, the
    reminder row already exists).
    """
    assignments = reminder_assignments()
    zones = sorted(set(assignments.values_list("timezone", flat=True).distinct()))
    if not zones:
        return []
    local = {zone: now.astimezone(zoneinfo.ZoneInfo(zone)) for zone in zones}
    passed = Q()
    for zone, wall in local.items():
        passed |= Q(timezone=zone, reminder_time__lte=wall.time(), start_date__lte=wall.date())
    local_date = Case(
        *[When(timezone=zone, then=Value(wall.date())) for zone, wall in local.items()],
        output_field=DateField(),
    )
    rows = (
        assignments.filter(passed)
        .annotate(local_date=local_date)
        .filter(
            ~Exists(
                Reminder.objects.filter(
                    patient_id=OuterRef("patient_id"), local_date=OuterRef("local_date")
                )
            )
        )
        .values_list("patient_id", "local_date")
        .distinct()
        .order_by("patient_id", "local_date")
    )
    return [Candidate(patient_id, local_date) for patient_id, local_date in rows]


def _db_datetime(value: datetime.datetime):
    # Raw SQL below: let the database backend format datetimes as its ORM would.
    return connection.ops.adapt_datetimefield_value(value)


def reminders_reclaim_stale(now: datetime.datetime) -> list[int]:
    """Hand back reminders whose worker or task was lost; return the ids to send again.

    A row claimed or sending for longer than ``REMINDER_STALE_AFTER`` goes back to
    "claimed" (or to "failed" once it used up its attempts), in one UPDATE.
    """
    cutoff = now - datetime.timedelta(seconds=settings.REMINDER_STALE_AFTER)
    table = Reminder._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table}
               SET status = CASE WHEN attempts >= %s THEN %s ELSE %s END,
                   locked_at = %s,
                   last_error = CASE WHEN status = %s
                       THEN 'The worker stopped while sending; sending again.'
                       ELSE last_error END
             WHERE status IN (%s, %s) AND locked_at < %s
         RETURNING id, status
            """,
            [
                settings.REMINDER_MAX_ATTEMPTS,
                ReminderStatus.FAILED,
                ReminderStatus.CLAIMED,
                _db_datetime(now),
                ReminderStatus.SENDING,
                ReminderStatus.CLAIMED,
                ReminderStatus.SENDING,
                _db_datetime(cutoff),
            ],
        )
        rows = cursor.fetchall()
    if rows:
        log.warning("Reclaimed %d stale reminders.", len(rows))
    return sorted(pk for pk, status in rows if status == ReminderStatus.CLAIMED)


def batched(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def claim_batches(candidates: list[Candidate]) -> list[list[list]]:
    """Split candidates into task-sized batches of JSON-ready [patient id, ISO date] pairs."""
    return [
        [[c.patient_id, c.local_date.isoformat()] for c in batch]
        for batch in batched(candidates, CLAIM_BATCH)
    ]


Decision = tuple[list[dict], datetime.datetime | None]


# Each patient has their own language, and the items keep no reason: none is translated.
@progression.reasons_untranslated()
def _message_items(candidates: list[Candidate]) -> dict[Candidate, Decision]:
    """Decide with the progression rule what each candidate's message says, and when it was due.

    Only reads: what the rule decides is stored by ``patients.reevaluation`` (a promotion at
    a week's end by its beat task just after local midnight). A constant number of queries
    per batch, whatever its size.
    """
    wanted = {candidate.patient_id for candidate in candidates}
    assignments = list(
        reminder_assignments()
        .filter(patient_id__any_of=list(wanted))
        .order_by("patient_id", "start_date", "pk")
        .only(*DECISION_FIELDS)
        .annotate(patient_language=F("patient__language"))
    )
    histories = histories_of(assignments)
    schemes = schemes_of(assignment.scheme_id for assignment in assignments)
    by_patient: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in assignments:
        by_patient[assignment.patient_id].append(assignment)
    days = {candidate.local_date - datetime.timedelta(days=1) for candidate in candidates}
    to_check_in: dict[tuple[int, datetime.date], list[int]] = defaultdict(list)
    for assignment_id, performed_on, session_id in (
        Session.objects.filter(
            assignment_id__any_of=[assignment.pk for assignment in assignments],
            status=SessionStatus.COMPLETED,
            performed_on__in=days,
            checkin__isnull=True,
        )
        .order_by("performed_on", "completed_at", "pk")
        .values_list("assignment_id", "performed_on", "pk")
    ):
        to_check_in[(assignment_id, performed_on)].append(session_id)

    # Questionnaires due on each candidate's day: a few queries per distinct local date.
    questionnaires: dict[int, list[outcomes.Due]] = defaultdict(list)
    for day in {candidate.local_date for candidate in candidates}:
        patients = {c.patient_id for c in candidates if c.local_date == day}
        mine = [a for a in assignments if a.patient_id in patients and a.start_date <= day]
        for due in outcomes.due_questionnaires(mine, {a.pk: day for a in mine}):
            questionnaires[due.assignment.pk].append(due)

    # The program's name as the patient reads it: its every language is loaded (``only``),
    # so this costs no query.
    names = {}
    for assignment in assignments:
        with translation.override(assignment.patient_language):
            names[assignment.pk] = assignment.name

    decided = {}
    for candidate in candidates:
        day = candidate.local_date
        items, due_at = [], None
        for assignment in by_patient[candidate.patient_id]:
            if assignment.start_date > day:
                continue
            tz = zoneinfo.ZoneInfo(assignment.timezone)
            instant = reminder_instant(day, assignment.reminder_time, tz)
            due_at = instant if due_at is None else min(due_at, instant)
            history = histories[assignment.pk]
            progress = progression.evaluate(schemes[assignment.scheme_id], history, day)
            week = progress.current_week
            # Nothing to remind of when today's session is done or the week's target is met.
            if (
                day in week.planned_days
                and day not in history.sessions
                and week.completed < week.planned
            ):
                items.append(
                    {"kind": "session", "assignment": assignment.pk, "name": names[assignment.pk]}
                )
            for session_id in to_check_in[(assignment.pk, day - datetime.timedelta(days=1))]:
                items.append(
                    {
                        "kind": "checkin",
                        "assignment": assignment.pk,
                        "name": names[assignment.pk],
                        "session": session_id,
                    }
                )
        # A due questionnaire rides on the day's message; on its first day it is a reason
        # to write on its own. Its title stays out of the email (no health data there).
        rides = bool(items)
        for assignment in by_patient[candidate.patient_id]:
            for due in questionnaires[assignment.pk] if assignment.start_date <= day else ():
                if rides or due.occasion == day:
                    items.append(
                        {
                            "kind": "questionnaire",
                            "assignment": assignment.pk,
                            "name": names[assignment.pk],
                            "questionnaire": due.questionnaire.pk,
                            "occasion": due.occasion.isoformat(),
                        }
                    )
        decided[candidate] = (items, due_at)
    return decided


def reminders_claim(candidates: Iterable[Candidate], now: datetime.datetime) -> list[int]:
    """Decide and claim the reminders of a batch of candidates; return the ids to send.

    Runs in the caller's transaction: enqueue the sends only after it commits. Rows another
    pass claimed first are left alone (ON CONFLICT DO NOTHING), so they are not returned.
    """
    candidates = list(candidates)
    if not candidates:
        return []
    rows = [
        {
            "patient_id": candidate.patient_id,
            "local_date": candidate.local_date,
            "due_at": due_at,
            "includes_session": any(item["kind"] == "session" for item in items),
            "includes_checkin": any(item["kind"] == "checkin" for item in items),
            "items": items,
            "status": ReminderStatus.CLAIMED if items else ReminderStatus.SKIPPED,
            "claimed_at": now,
            "locked_at": now if items else None,
        }
        for candidate, (items, due_at) in _message_items(candidates).items()
        # No due time: the assignment ended or was paused since the candidate was found.
        if due_at is not None
    ]
    claimed = rows_insert_new(Reminder, rows, returning=("id", "status"))
    return sorted(pk for pk, status in claimed if status == ReminderStatus.CLAIMED)


class SendOutcome:
    SENT = "sent"
    TAKEN = "taken"  # another worker has it, or it was already sent


def reminder_send(reminder_id: int) -> str:
    """Send one claimed reminder and mark it sent; raise if the SMTP server fails.

    On failure the row goes back to "claimed" with the error (the caller retries), or to
    "failed" after ``REMINDER_MAX_ATTEMPTS`` attempts.
    """
    started = timezone.now()
    won = Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.CLAIMED).update(
        status=ReminderStatus.SENDING, attempts=F("attempts") + 1, locked_at=started
    )
    if not won:
        return SendOutcome.TAKEN  # another worker got there first
    reminder = Reminder.objects.select_related("patient__clinic").get(pk=reminder_id)
    try:
        emails.reminder_message(reminder).send()
    except Exception as error:
        failed = reminder.attempts >= settings.REMINDER_MAX_ATTEMPTS
        Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.SENDING).update(
            status=ReminderStatus.FAILED if failed else ReminderStatus.CLAIMED,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            locked_at=timezone.now(),
        )
        raise
    _mark_sent(reminder_id)
    return SendOutcome.SENT


def _mark_sent(reminder_id: int, tries: int = 5) -> None:
    # The message is out: losing this UPDATE would send it again, so try hard, on a fresh
    # connection each time (the old one may be what broke).
    for attempt in range(tries):
        try:
            Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.SENDING).update(
                status=ReminderStatus.SENT, sent_at=timezone.now(), last_error=""
            )
            return
        except DatabaseError:
            if attempt == tries - 1:
                raise
            log.warning("Could not mark reminder %s sent; retrying.", reminder_id)
            connection.close()
            time.sleep(0.2 * 2**attempt)


def dispatch_pass_inline(now: datetime.datetime) -> dict[str, int]:
    """Run one whole pass in this process: reclaim, find, claim and send (operators, tests)."""
    counts = {"reclaimed": 0, "candidates": 0, "claimed": 0, "sent": 0, "failed": 0}
    to_send = reminders_reclaim_stale(now)
    counts["reclaimed"] = len(to_send)
    candidates = due_candidates(now)
    counts["candidates"] = len(candidates)
    for batch in batched(candidates, CLAIM_BATCH):
        with transaction.atomic():
            claimed = reminders_claim(batch, now)
        counts["claimed"] += len(claimed)
        to_send += claimed
    for reminder_id in to_send:
        try:
            outcome = reminder_send(reminder_id)
        except Exception:
            log.exception("Reminder %s could not be sent.", reminder_id)
            counts["failed"] += 1
            close_old_connections()
            continue
        counts["sent"] += outcome == SendOutcome.SENT
    return counts
