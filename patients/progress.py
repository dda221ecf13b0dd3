"""Feed an assignment's history from the database to the pure progression rule.

``programs.progression`` decides; this module loads its inputs and serves the evaluated
progress to the pages (cached). What it decided is stored by ``patients.reevaluation``.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable

from django.core.cache import caches
from django.db.models import Prefetch
from django.utils import timezone, translation

from programs import progression
from programs.models import SchemeStage

from .models import Assignment, ChangeKind, CheckIn, Session, SessionStatus, StageChange

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


def therapist_reasons(changes, assignments) -> dict[int, str]:
    """Each stored stage change's reason as a therapist reads it, by the rule's own wording
    (``progression.therapist_reason``); ``change.reason`` is the patient's sentence ("you
    told us…"). The one definition for every staff page: the story, the patient report,
    the stage override page."""
    schemes = {assignment.pk: scheme_of(assignment) for assignment in assignments}
    reasons = {}
    for change in changes:
        scheme = schemes.get(change.assignment_id)
        specs = {stage.code: stage for stage in scheme.stages} if scheme else {}
        to = specs.get(change.to_stage)
        if to is None:
            reasons[change.pk] = change.reason
            continue
        reasons[change.pk] = progression.therapist_reason(
            progression.ChangeKind(change.kind), specs.get(change.from_stage), to
        )
    return reasons


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
        .order_by("effective_on", "created_at", "pk")
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
    ``patients.reevaluation``), its start date, advanced flag and preferred days, its scheme and
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
