"""The one owner of everything derived from an assignment's history.

The progression rule (``programs.progression``) turns an assignment's inputs (start date,
advanced flag, preferred days, scheme, sessions, check-ins, overrides) into program weeks
and stage changes. Reports read the weeks from ``ProgramWeek``, the therapist reads the
changes and their alerts from ``StageChange``, and the patient's pages cache the evaluated
progress under the assignment's ``history_version``. ``assignment_reevaluate`` brings all
three in step with the inputs, in the transaction of the write that changed them; every
write path calls it (session finished or logged afterwards, check-in, override, every
assignment edit in the admin and the API, assigning, erasure). ``assignments_reevaluate``
does the same for many assignments at once: the beat task shortly after each time zone's
local midnight (a week that ended is judged then, not when someone next looks) and
``manage.py progress_check --fix``.
"""

from __future__ import annotations

import datetime
import itertools
import logging
import uuid
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation

from clinic.bulk import rows_insert_new
from clinic.queue import enqueue_on_commit
from programs import progression

from .alerts import therapist_alert_send
from .models import Assignment, AssignmentStatus, ChangeKind, ProgramWeek, StageChange
from .progress import histories_of, local_today, schemes_of

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# What makes two stage changes the same, whatever the language their reason was written in.
CHANGE_KEY = ("effective_on", "kind", "from_stage", "to_stage", "evaluated_week_start")
WEEK_FIELDS = ("ends_on", "stage", "planned", "planned_days")


def assignment_reevaluate(
    *, assignment: Assignment, today: datetime.date | None = None
) -> list[StageChange]:
    """Store what the rule now decides for the assignment; return the new stage changes.

    In one transaction (the caller's, when there is one) with the assignment's row locked,
    so two writes at once are evaluated one after the other and the second sees the first:
    a new history version (the cached progress of the old one is not read again), the
    stage changes the rule decides recorded exactly once and the ones it no longer decides
    removed, the program weeks stored, and an email to the therapist queued for each new
    pain alert (sent once, after the commit). `today` is the patient's local date (default).
    """
    with transaction.atomic():
        locked = _locked([assignment.pk])
        _progresses, created = _reevaluate(locked, today)
    if locked:
        assignment.history_version = locked[0].history_version
        assignment.evaluated_on = locked[0].evaluated_on
    return created


def assignments_reevaluate(assignment_ids: Iterable[int]) -> int:
    """Re-evaluate many assignments in batches; return how many were stored.

    Each batch is its own transaction with a fixed number of queries. An assignment that
    cannot be evaluated is logged with its id and left out; the others go on.
    """
    ids = sorted(set(assignment_ids))
    done = 0
    for first in range(0, len(ids), BATCH_SIZE):
        batch = ids[first : first + BATCH_SIZE]
        try:
            with transaction.atomic():
                done += len(_reevaluate(_locked(batch), None)[0])
        except Exception:
            # One bad row spoiled the batch's writes: do them one by one to find it.
            log.exception("Re-evaluating a batch failed; going on one assignment at a time.")
            for assignment_id in batch:
                try:
                    with transaction.atomic():
                        done += len(_reevaluate(_locked([assignment_id]), None)[0])
                except Exception:
                    log.exception("Could not re-evaluate assignment %s.", assignment_id)
    return done


def assignments_due(now: datetime.datetime | None = None) -> list[int]:
    """Active assignments whose stored evaluation a new local day may have changed.

    Time alone changes what the rule decides only when a week ends (the next one begins,
    perhaps one stage up) or when an override set ahead takes effect: so, of the
    assignments not evaluated yet on their local date, those with no stored week holding
    that date or with an override dated since. A query per time zone in use.
    """
    now = now or timezone.now()
    active = Assignment.objects.filter(status=AssignmentStatus.ACTIVE)
    due: list[int] = []
    for zone in sorted(set(active.values_list("timezone", flat=True).distinct())):
        today = now.astimezone(zoneinfo.ZoneInfo(zone)).date()
        week_holds_today = ProgramWeek.objects.filter(
            assignment=OuterRef("pk"), starts_on__lte=today, ends_on__gte=today
        )
        override_since = StageChange.objects.filter(
            assignment=OuterRef("pk"),
            kind=ChangeKind.OVERRIDE,
            effective_on__gt=OuterRef("evaluated_on"),
            effective_on__lte=today,
        )
        due += active.filter(
            Q(evaluated_on__isnull=True)
            | Q(evaluated_on__lt=today) & (~Exists(week_holds_today) | Exists(override_since)),
            timezone=zone,
        ).values_list("pk", flat=True)
    return sorted(due)


def _locked(ids: list[int]) -> list[Assignment]:
    """The assignments' rows, locked in id order (no deadlock), with the rule's inputs."""
    return list(
        Assignment.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .order_by("pk")
        .select_related("patient")
        .only(
            "pk",
            "scheme_id",
            "start_date",
            "advanced",
            "preferred_weekdays",
            "timezone",
            "patient__language",
        )
    )


def _reevaluate(
    assignments: list[Assignment], today: datetime.date | None
) -> tuple[dict[int, progression.Progress], list[StageChange]]:
    """Evaluate locked assignments and store the results; return them and the new changes."""
    if not assignments:
        return {}, []
    histories = histories_of(assignments)
    schemes = schemes_of(assignment.scheme_id for assignment in assignments)
    progresses: dict[int, progression.Progress] = {}
    evaluated_on: dict[int, datetime.date] = {}
    # The reasons are stored as written: in each patient's language, one switch per language.
    languages = {assignment.pk: assignment.patient.language for assignment in assignments}
    by_language = sorted(assignments, key=lambda a: languages[a.pk])
    for language, group in itertools.groupby(by_language, key=lambda a: languages[a.pk]):
        with translation.override(language or settings.LANGUAGE_CODE):
            for assignment in group:
                day = today or local_today(assignment)
                try:
                    progresses[assignment.pk] = progression.evaluate(
                        schemes[assignment.scheme_id],
                        histories[assignment.pk],
                        max(day, assignment.start_date),
                    )
                except Exception:
                    log.exception("Could not evaluate assignment %s.", assignment.pk)
                    continue
                evaluated_on[assignment.pk] = day
    version = uuid.uuid4()
    for assignment in assignments:
        assignment.history_version = version
    Assignment.objects.filter(pk__in=[a.pk for a in assignments]).update(history_version=version)
    for day in set(evaluated_on.values()):
        ids = [pk for pk, on in evaluated_on.items() if on == day]
        Assignment.objects.filter(pk__in=ids).update(evaluated_on=day)
    created = changes_store(progresses)
    weeks_store(progresses)
    alerts = [(change.pk,) for change in created if change.alert_therapist]
    enqueue_on_commit(therapist_alert_send, alerts)
    return progresses, created


def change_key(change: progression.StageChange) -> tuple:
    """The stored identity of a change the rule decided (see ``CHANGE_KEY``)."""
    return (
        change.on,
        change.kind.value,
        change.from_stage,
        change.to_stage,
        change.evaluated_week_start,
    )


def stage_change_fields(assignment_id: int, change: progression.StageChange) -> dict:
    """The stored fields of a change the rule decided, by attribute name."""
    return {
        "assignment_id": assignment_id,
        "effective_on": change.on,
        "evaluated_week_start": change.evaluated_week_start,
        "from_stage": change.from_stage,
        "to_stage": change.to_stage,
        "kind": change.kind.value,
        "reason": change.reason,
        "alert_therapist": change.alert_therapist,
    }


def changes_store(progresses: dict[int, progression.Progress]) -> list[StageChange]:
    """Make the stored stage changes those the rule decides; return the new ones.

    The rule's own changes (promotions, back-offs, pain alerts) are inserted when missing
    (``ON CONFLICT DO NOTHING``: a change is stored once) and deleted when the rule no
    longer decides them (a check-in changed the same day). A therapist's override is an
    input and stays; only the stage it was set from follows the history before it.
    """
    computed, overrides = _decided(progresses)
    stored, stored_overrides = _stored(list(progresses))
    stale = [pk for key, pk in stored.items() if key not in computed]
    if stale:
        StageChange.objects.filter(pk__in=stale).delete()
    for day_key, (pk, from_stage) in stored_overrides.items():
        wanted = overrides.get(day_key)
        if wanted is not None and wanted != from_stage:
            StageChange.objects.filter(pk=pk).update(from_stage=wanted)
    new = [fields for key, fields in computed.items() if key not in stored]
    inserted = rows_insert_new(StageChange, new, returning=("id",))
    return list(StageChange.objects.filter(pk__in=[pk for (pk,) in inserted]))


def _decided(progresses: dict[int, progression.Progress]) -> tuple[dict, dict]:
    """The rule's own changes by key, with their fields; the overrides' stage-from by day."""
    computed: dict[tuple, dict] = {}
    overrides: dict[tuple, str] = {}
    for assignment_id, progress in progresses.items():
        for change in progress.changes:
            if change.kind is progression.ChangeKind.OVERRIDE:
                overrides[(assignment_id, change.on)] = change.from_stage
            else:
                key = (assignment_id, *change_key(change))
                computed[key] = stage_change_fields(assignment_id, change)
    return computed, overrides


def _stored(assignment_ids: list[int]) -> tuple[dict, dict]:
    """The stored rule's changes by key (with their ids); each day's latest override."""
    stored: dict[tuple, int] = {}
    overrides: dict[tuple, tuple[int, str]] = {}
    for pk, assignment_id, *key in (
        StageChange.objects.filter(assignment_id__any_of=assignment_ids)
        .order_by("created_at", "pk")
        .values_list("pk", "assignment_id", *CHANGE_KEY)
    ):
        if key[1] == ChangeKind.OVERRIDE:
            overrides[(assignment_id, key[0])] = (pk, key[2])
        else:
            stored[(assignment_id, *key)] = pk
    return stored, overrides


def week_values(week: progression.Week) -> dict:
    """The stored fields of a week the rule decided, besides its assignment and first day."""
    return {
        "ends_on": week.end,
        "stage": week.stage.code,
        "planned": week.planned,
        "planned_days": [day.isoformat() for day in week.planned_days],
    }


def weeks_store(progresses: dict[int, progression.Progress]) -> None:
    """Upsert the weeks of several assignments and delete their stale ones, in a few queries.

    A back-off or an override restarts the evaluation week, so weeks stored earlier can
    start on other days now: those are deleted, the rest upserted.
    """
    stored = {
        (row["assignment_id"], row["starts_on"]): row
        for row in ProgramWeek.objects.filter(assignment__in=list(progresses)).values(
            "pk", "assignment_id", "starts_on", *WEEK_FIELDS
        )
    }
    wanted = {
        (assignment_id, week.start): week_values(week)
        for assignment_id, progress in progresses.items()
        for week in progress.weeks
    }
    changed = [
        ProgramWeek(assignment_id=assignment_id, starts_on=starts_on, **values)
        for (assignment_id, starts_on), values in wanted.items()
        if (row := stored.get((assignment_id, starts_on))) is None
        or any(row[field] != value for field, value in values.items())
    ]
    stale = [row["pk"] for key, row in stored.items() if key not in wanted]
    if stale:
        ProgramWeek.objects.filter(pk__in=stale).delete()
    if changed:
        ProgramWeek.objects.bulk_create(
            changed,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["assignment", "starts_on"],
            update_fields=list(WEEK_FIELDS),
        )


@dataclass(frozen=True)
class Difference:
    """A stored week or stage change that a fresh evaluation does not agree with."""

    assignment_id: int
    kind: str  # "week" or "stage change"
    stored: str  # "-" when missing
    expected: str  # "-" when it should not be there

    def __str__(self) -> str:
        return (
            f"assignment {self.assignment_id}: {self.kind} stored {self.stored}, "
            f"expected {self.expected}"
        )


def progress_differences(assignment_ids: Iterable[int]) -> list[Difference]:
    """Compare what is stored of these assignments with a fresh evaluation as of their today.

    Reads only; a fixed number of queries per batch of ``BATCH_SIZE``.
    """
    ids = sorted(set(assignment_ids))
    found: list[Difference] = []
    for first in range(0, len(ids), BATCH_SIZE):
        batch = list(
            Assignment.objects.filter(pk__in=ids[first : first + BATCH_SIZE])
            .order_by("pk")
            .only("pk", "scheme_id", "start_date", "advanced", "preferred_weekdays", "timezone")
        )
        histories = histories_of(batch)
        schemes = schemes_of(assignment.scheme_id for assignment in batch)
        days = {a.pk: max(local_today(a), a.start_date) for a in batch}
        progresses = {
            a.pk: progression.evaluate(schemes[a.scheme_id], histories[a.pk], days[a.pk])
            for a in batch
        }
        found += _weeks_differences(progresses) + _changes_differences(progresses, days)
    return found


def _weeks_differences(progresses: dict[int, progression.Progress]) -> list[Difference]:
    stored: dict[tuple, dict] = {
        (row.pop("assignment_id"), row.pop("starts_on")): row
        for row in ProgramWeek.objects.filter(assignment__in=list(progresses)).values(
            "assignment_id", "starts_on", *WEEK_FIELDS
        )
    }
    wanted = {
        (assignment_id, week.start): week_values(week)
        for assignment_id, progress in progresses.items()
        for week in progress.weeks
    }
    return [
        Difference(
            key[0],
            "week",
            _describe(key[1], stored.get(key)),
            _describe(key[1], wanted.get(key)),
        )
        for key in sorted(stored.keys() | wanted.keys())
        if stored.get(key) != wanted.get(key)
    ]


def _describe(starts_on: datetime.date, values: dict | None) -> str:
    if values is None:
        return "-"
    return (
        f"{starts_on}..{values['ends_on']} {values['stage']} planned {values['planned']} "
        f"on {','.join(values['planned_days'])}"
    )


def _changes_differences(
    progresses: dict[int, progression.Progress], days: dict[int, datetime.date]
) -> list[Difference]:
    computed, overrides = _decided(progresses)
    stored, stored_overrides = _stored(list(progresses))
    # An override dated after today is the therapist's plan: it takes effect on its day.
    stored_overrides = {key: row for key, row in stored_overrides.items() if key[1] <= days[key[0]]}
    found = [
        Difference(key[0], "stage change", _change_text(key), "-")
        for key in sorted(stored.keys() - computed.keys(), key=repr)
    ]
    found += [
        Difference(key[0], "stage change", "-", _change_text(key))
        for key in sorted(computed.keys() - stored.keys(), key=repr)
    ]
    for day_key in sorted(stored_overrides.keys() | overrides.keys(), key=repr):
        had = stored_overrides[day_key][1] if day_key in stored_overrides else None
        if had != overrides.get(day_key):
            found.append(
                Difference(
                    day_key[0],
                    "override",
                    f"{day_key[1]} from {had or '-'}",
                    f"{day_key[1]} from {overrides.get(day_key) or '-'}",
                )
            )
    return found


def _change_text(key: tuple) -> str:
    _assignment_id, on, kind, from_stage, to_stage, _week = key
    return f"{on} {kind} {from_stage}->{to_stage}"
