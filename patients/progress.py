"""Feed an assignment's history from the database to the pure progression rule.

``programs.progression`` decides; this module only loads the inputs, calls it,
and records what it decided (stage changes) so patients and therapists can read
the reasons.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable

from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone, translation

from clinic.bulk import rows_insert_new
from programs import progression
from programs.models import SchemeStage

from .models import (
    Assignment,
    AssignmentStatus,
    ChangeKind,
    CheckIn,
    ProgramWeek,
    Session,
    SessionStatus,
    StageChange,
)

REFRESH_BATCH_SIZE = 500
# The cache (settings.CACHES) of evaluated progress: see assignment_progress.
PROGRESS_CACHE = "progress"


def local_today(assignment: Assignment, now: datetime.datetime | None = None) -> datetime.date:
    """Return today's date in the assignment's time zone."""
    now = now or timezone.now()
    return now.astimezone(zoneinfo.ZoneInfo(assignment.timezone)).date()


# The stage fields the pure rule reads, named alike on SchemeStage.
STAGE_FIELDS = tuple(field.name for field in dataclasses.fields(progression.StageSpec))


def stages_prefetch() -> Prefetch:
    """Prefetch the stages of assignments' schemes for ``scheme_of``, in one query.

    Ordered by the stage order alone: the model's default ordering would join the schemes
    to sort by their names, which ``scheme_of`` does not need.
    """
    return Prefetch("scheme__stages", queryset=SchemeStage.objects.order_by("order"))


def scheme_of(assignment: Assignment) -> progression.Scheme:
    """Return the assignment's progression scheme as the pure rule's data."""
    stages = assignment.scheme.stages.all()  # prefetch with stages_prefetch() to share one query
    return progression.Scheme(
        tuple(
            progression.StageSpec(**{name: getattr(stage, name) for name in STAGE_FIELDS})
            for stage in sorted(stages, key=lambda stage: stage.order)
        )
    )


def schemes_of(scheme_ids: Iterable[int]) -> dict[int, progression.Scheme]:
    """Return the progression schemes with these ids as the pure rule's data, in one query."""
    stages: dict[int, list[progression.StageSpec]] = defaultdict(list)
    for scheme_id, *values in (
        SchemeStage.objects.filter(scheme_id__in=set(scheme_ids))
        .order_by("scheme_id", "order")
        .values_list("scheme_id", *STAGE_FIELDS)
    ):
        stages[scheme_id].append(
            progression.StageSpec(**dict(zip(STAGE_FIELDS, values, strict=True)))
        )
    return {scheme_id: progression.Scheme(tuple(specs)) for scheme_id, specs in stages.items()}


def history_of(assignment: Assignment) -> progression.History:
    """Load the sessions, check-ins and therapist overrides of one assignment."""
    return histories_of([assignment])[assignment.pk]


def histories_of(assignments: Iterable[Assignment]) -> dict[int, progression.History]:
    """Load the histories of many assignments in three queries, keyed by assignment id."""
    assignments = list(assignments)
    ids = [assignment.pk for assignment in assignments]
    sessions: dict[int, list[datetime.date]] = defaultdict(list)
    for assignment_id, performed_on in Session.objects.filter(
        assignment_id__any_of=ids, status=SessionStatus.COMPLETED
    ).values_list("assignment_id", "performed_on"):
        sessions[assignment_id].append(performed_on)
    checkins: dict[int, list[tuple[datetime.date, progression.Answer]]] = defaultdict(list)
    for assignment_id, answered_on, answer in CheckIn.objects.filter(
        session__assignment_id__any_of=ids
    ).values_list("session__assignment_id", "answered_on", "answer"):
        checkins[assignment_id].append((answered_on, progression.Answer(answer)))
    # The latest override of a day wins: the therapist may correct themselves.
    overrides: dict[int, dict[datetime.date, str]] = defaultdict(dict)
    for assignment_id, effective_on, to_stage in (
        StageChange.objects.filter(assignment_id__any_of=ids, kind=ChangeKind.OVERRIDE)
        .order_by("effective_on", "created_at")
        .values_list("assignment_id", "effective_on", "to_stage")
    ):
        overrides[assignment_id][effective_on] = to_stage
    return {
        assignment.pk: progression.History(
            start_date=assignment.start_date,
            advanced=assignment.advanced,
            sessions=sessions[assignment.pk],
            checkins=checkins[assignment.pk],
            overrides=sorted(overrides[assignment.pk].items()),
            preferred_weekdays=tuple(assignment.preferred_weekdays or ()),
        )
        for assignment in assignments
    }


def assignment_progress(
    assignment: Assignment, today: datetime.date | None = None
) -> progression.Progress:
    """Evaluate the assignment's weeks, stages and planned days up to today (local).

    The result is cached under a key made of every input of the rule: the assignment's
    history version (a new one with each session, check-in and override, see
    ``history_changed``), its start date, advanced flag and preferred days, its scheme and
    the version of the scheme's stages (a new one with each stage saved or deleted, see
    ``programs.signals``), the day and the language of the reasons. A changed input is a
    new key, so an entry is never stale; the patient's pages read the history and the
    stages once per change, not on every request. The versions are the instances': an
    instance loaded before a change made through another one answers as of its loading,
    like its other fields (each request loads its own). Load the scheme with the
    assignment (``select_related("scheme")``); its stages are read only when the cache
    misses.
    """
    today = today or local_today(assignment)
    if today < assignment.start_date:
        # Not started yet: show the first week as it will be.
        today = assignment.start_date
    cache = caches[PROGRESS_CACHE]
    key = _progress_key(assignment, today)
    progress = cache.get(key)
    if progress is None:
        progress = progression.evaluate(scheme_of(assignment), history_of(assignment), today)
        cache.set(key, progress)
    return progress


def _progress_key(assignment: Assignment, today: datetime.date) -> str:
    inputs = (
        assignment.pk,
        str(assignment.history_version),
        assignment.start_date,
        assignment.advanced,
        tuple(assignment.preferred_weekdays or ()),
        assignment.scheme_id,
        str(assignment.scheme.stages_version),
        today,
        translation.get_language(),
    )
    digest = hashlib.blake2b(repr(inputs).encode(), digest_size=16).hexdigest()
    return f"progress:{assignment.pk}:{digest}"


def history_changed(assignment: Assignment) -> None:
    """Give the assignment a new history version: progress cached for the old one is not read.

    Call it in the transaction that changes a session, check-in or override; a version
    rolled back with its transaction is never used again (it is random, not a counter).
    """
    assignment.history_version = uuid.uuid4()
    Assignment.objects.filter(pk=assignment.pk).update(history_version=assignment.history_version)


def stage_changes_record(
    *, assignment: Assignment, progress: progression.Progress
) -> list[StageChange]:
    """Store the computed changes not stored yet; return the new ones.

    Safe to run from several processes at once: a unique constraint makes a
    second insert of the same change fail, and that change is simply skipped.
    """
    stored = set(
        StageChange.objects.filter(assignment=assignment)
        .exclude(kind=ChangeKind.OVERRIDE)
        .values_list("effective_on", "kind", "to_stage")
    )
    created = []
    for change in progress.changes:
        if change.kind == progression.ChangeKind.OVERRIDE:
            continue
        if (change.on, change.kind.value, change.to_stage) in stored:
            continue
        try:
            with transaction.atomic():
                row = _stage_change_row(assignment.pk, change)
                row.save(force_insert=True)
                created.append(row)
        except IntegrityError:
            continue  # another process recorded it first
    return created


def stage_changes_record_many(progresses: dict[int, progression.Progress]) -> None:
    """Store the computed changes of many assignments (keyed by id) in two queries.

    The daily reminder pass calls this, so a promotion at a week's end is recorded on its
    day even when no check-in comes to record it. Concurrent passes are safe: the unique
    constraint drops a change another process stored first.
    """
    stored = set(
        StageChange.objects.filter(assignment_id__any_of=list(progresses))
        .exclude(kind=ChangeKind.OVERRIDE)
        .values_list("assignment_id", "effective_on", "kind", "to_stage")
    )
    new = [
        stage_change_fields(assignment_id, change)
        for assignment_id, progress in progresses.items()
        for change in progress.changes
        if change.kind != progression.ChangeKind.OVERRIDE
        and (assignment_id, change.on, change.kind.value, change.to_stage) not in stored
    ]
    rows_insert_new(StageChange, new)


def _stage_change_row(assignment_id: int, change: progression.StageChange) -> StageChange:
    return StageChange(**stage_change_fields(assignment_id, change))


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


def stage_override(
    *, assignment: Assignment, stage_code: str, by, on: datetime.date | None = None
) -> StageChange:
    """Record a therapist setting the stage by hand, effective on the given local date.

    The reason is the rule's own sentence for the override (it says so when the
    stage asked for is only for advanced patients and a lower one applies).
    """
    scheme = scheme_of(assignment)
    scheme.index(stage_code)  # ValueError for an unknown code
    on = on or local_today(assignment)
    history = history_of(assignment)
    before = progression.evaluate(scheme, history, on)
    overrides = dict(history.overrides) | {on: stage_code}
    after = progression.evaluate(
        scheme, dataclasses.replace(history, overrides=sorted(overrides.items())), on
    )
    change = next(
        change
        for change in reversed(after.changes)
        if change.kind == progression.ChangeKind.OVERRIDE and change.on == on
    )
    with transaction.atomic():
        override = StageChange.objects.create(
            assignment=assignment,
            effective_on=on,
            from_stage=before.current_stage.code,
            to_stage=stage_code,
            kind=ChangeKind.OVERRIDE,
            reason=change.reason,
            alert_therapist=False,
            created_by=by,
        )
        history_changed(assignment)
    return override


def progress_record(
    *, assignment: Assignment, today: datetime.date | None = None
) -> tuple[progression.Progress, list[StageChange]]:
    """Evaluate the assignment after new input and store what follows from it.

    Call it in the transaction of the new input. Gives the assignment a new history
    version, records the stage changes not stored yet and the program weeks the reports
    read; returns the progress and the new changes.
    """
    history_changed(assignment)
    progress = assignment_progress(assignment, today)
    changes = stage_changes_record(assignment=assignment, progress=progress)
    program_weeks_sync(assignment=assignment, progress=progress)
    return progress, changes


def program_weeks_sync(*, assignment: Assignment, progress: progression.Progress) -> None:
    """Store the weeks of ``progress`` for reports; drop stored weeks it no longer has.

    A back-off or an override restarts the evaluation week, so weeks stored
    earlier can start on other days now: those are deleted, the rest upserted.
    """
    _weeks_store({assignment.pk: progress})


def program_weeks_refresh(assignment_ids: Iterable[int] | None = None) -> int:
    """Recompute and store the program weeks of the given (default: all active) assignments.

    Works in batches with a fixed number of queries per batch. Return how many
    assignments were refreshed.
    """
    assignments = Assignment.objects.order_by("pk")
    if assignment_ids is None:
        assignments = assignments.filter(status=AssignmentStatus.ACTIVE)
    else:
        assignments = assignments.filter(pk__in=list(assignment_ids))
    ids = list(assignments.values_list("pk", flat=True))
    for first in range(0, len(ids), REFRESH_BATCH_SIZE):
        batch = list(
            Assignment.objects.filter(pk__in=ids[first : first + REFRESH_BATCH_SIZE])
            .select_related("scheme")
            .prefetch_related(stages_prefetch())
        )
        histories = histories_of(batch)
        progresses = {}
        for assignment in batch:
            today = max(local_today(assignment), assignment.start_date)
            progresses[assignment.pk] = progression.evaluate(
                scheme_of(assignment), histories[assignment.pk], today
            )
        _weeks_store(progresses)
    return len(ids)


def _weeks_store(progresses: dict[int, progression.Progress]) -> None:
    """Upsert the weeks of several assignments and delete their stale ones, in a few queries."""
    stored = {
        (row["assignment_id"], row["starts_on"]): row
        for row in ProgramWeek.objects.filter(assignment__in=list(progresses)).values(
            "pk", "assignment_id", "starts_on", "ends_on", "stage", "planned", "planned_days"
        )
    }
    wanted: dict[tuple[int, datetime.date], dict] = {}
    for assignment_id, progress in progresses.items():
        for week in progress.weeks:
            wanted[(assignment_id, week.start)] = {
                "ends_on": week.end,
                "stage": week.stage.code,
                "planned": week.planned,
                "planned_days": [day.isoformat() for day in week.planned_days],
            }
    changed = [
        ProgramWeek(assignment_id=assignment_id, starts_on=starts_on, **values)
        for (assignment_id, starts_on), values in wanted.items()
        if (row := stored.get((assignment_id, starts_on))) is None
        or any(row[field] != value for field, value in values.items())
    ]
    stale = [row["pk"] for key, row in stored.items() if key not in wanted]
    if not stale and not changed:
        return
    with transaction.atomic():
        if stale:
            ProgramWeek.objects.filter(pk__in=stale).delete()
        if changed:
            # Upsert: another process may store the same week at the same time.
            ProgramWeek.objects.bulk_create(
                changed,
                batch_size=1000,
                update_conflicts=True,
                unique_fields=["assignment", "starts_on"],
                update_fields=["ends_on", "stage", "planned", "planned_days"],
            )
