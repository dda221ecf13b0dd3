"""Outcome questionnaires of a patient's program: what is due, answering, sending, trends.

The definitions, their scoring and the schedules' dates are pure code in
``programs.outcomes``; this module stores what patients answer.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from programs import outcomes
from programs.models import Program, Questionnaire

from .models import (
    Assignment,
    AssignmentQuestionnaire,
    OutcomeResponse,
    ResponseStatus,
)

PROBLEMS = {
    "required": gettext_lazy("Please answer this question."),
    "not_a_number": gettext_lazy("Please choose a number."),
    "not_an_option": gettext_lazy("Please choose one of the answers."),
    "out_of_range": gettext_lazy("Please choose a number from %(low)s to %(high)s."),
    "too_long": gettext_lazy("Please keep this under %(max)s characters."),
    "invalid_text": gettext_lazy("Please use ordinary text."),
}


def problem_text(question: outcomes.Item, problem: str) -> str:
    low, high = question.bounds if question.type != outcomes.ItemType.STRING else (0, 0)
    return str(PROBLEMS[problem]) % {"low": low, "high": high, "max": outcomes.MAX_TEXT}


def schedules_copy(*, assignment: Assignment, program: Program) -> None:
    """Give a new assignment its program's questionnaire schedule (its own copy)."""
    AssignmentQuestionnaire.objects.bulk_create(
        AssignmentQuestionnaire(
            assignment=assignment,
            questionnaire_id=row.questionnaire_id,
            at_start=row.at_start,
            every_weeks=row.every_weeks,
            end_after_weeks=row.end_after_weeks,
        )
        for row in program.questionnaires.all()
    )


def current_responses():
    """Sent responses that no sent correction supersedes: one per occasion."""
    return OutcomeResponse.objects.filter(status=ResponseStatus.SUBMITTED).exclude(
        Exists(
            OutcomeResponse.objects.filter(
                supersedes=OuterRef("pk"), status=ResponseStatus.SUBMITTED
            )
        )
    )


@dataclass(frozen=True)
class Due:
    assignment: Assignment
    questionnaire: Questionnaire
    occasion: datetime.date
    draft_id: int | None  # the occasion's response, started and not sent yet


# The questionnaires due per assignment and day (settings.CACHES), keyed by every input:
# the assignment's outcomes version (a new one with each schedule row, response or
# questionnaire saved: outcomes_changed), its start date and the day. An entry is never
# stale, so each process keeps its own.
DUE_CACHE = "derived"


def outcomes_changed(assignments) -> None:
    """Give the assignments (a queryset) a new outcomes version: their cached due lists go."""
    assignments.update(outcomes_version=uuid.uuid4())


def due_questionnaires(
    assignments: Iterable[Assignment], todays: Mapping[int, datetime.date]
) -> list[Due]:
    """Return the questionnaires due on each assignment's day in ``todays``, by assignment.

    Read from the cache; the assignments missing from it are decided in two queries.
    """
    assignments = {assignment.pk: assignment for assignment in assignments}
    keys = {
        pk: f"due:{pk}:{a.outcomes_version}:{a.start_date}:{todays[pk]}"
        for pk, a in assignments.items()
    }
    cache = caches[DUE_CACHE]
    cached = cache.get_many(keys.values()) if keys else {}
    missing = [a for pk, a in assignments.items() if keys[pk] not in cached]
    if missing:
        decided = _due_decide(missing, todays)
        fresh = {keys[a.pk]: decided[a.pk] for a in missing}
        cache.set_many(fresh)
        cached |= fresh
    return [
        Due(assignments[pk], questionnaire, occasion, draft_id)
        for pk in sorted(assignments)
        for questionnaire, occasion, draft_id in cached[keys[pk]]
    ]


def _due_decide(
    assignments: list[Assignment], todays: Mapping[int, datetime.date]
) -> dict[int, list[tuple[Questionnaire, datetime.date, int | None]]]:
    """Decide what is due for each assignment: (questionnaire, occasion, draft id) by title."""
    decided: dict[int, list] = {assignment.pk: [] for assignment in assignments}
    schedules = list(
        AssignmentQuestionnaire.objects.filter(assignment_id__in=decided)
        .select_related("questionnaire")
        .order_by("assignment_id", "questionnaire__title")
    )
    if not schedules:
        return decided
    by_pk = {assignment.pk: assignment for assignment in assignments}
    answered: dict[tuple[int, int], set] = defaultdict(set)
    drafts: dict[tuple[int, int, datetime.date], int] = {}
    earliest = min(todays[pk] for pk in decided) - datetime.timedelta(days=outcomes.DUE_WINDOW_DAYS)
    for assignment_id, questionnaire_id, occasion, status, supersedes_id, pk in (
        OutcomeResponse.objects.filter(assignment_id__in=decided, occasion__gte=earliest)
        .order_by("started_at", "pk")
        .values_list(
            "assignment_id", "questionnaire_id", "occasion", "status", "supersedes_id", "pk"
        )
    ):
        key = (assignment_id, questionnaire_id)
        if status == ResponseStatus.SUBMITTED:
            answered[key].add(occasion)
        elif supersedes_id is None:
            drafts[(*key, occasion)] = pk
    for row in schedules:
        assignment = by_pk[row.assignment_id]
        key = (row.assignment_id, row.questionnaire_id)
        occasion = outcomes.due_occasion(
            row.schedule, assignment.start_date, todays[assignment.pk], answered[key]
        )
        if occasion is not None:
            decided[assignment.pk].append(
                (row.questionnaire, occasion, drafts.get((*key, occasion)))
            )
    return decided


def response_start(
    *, assignment: Assignment, questionnaire: Questionnaire, occasion: datetime.date
) -> OutcomeResponse:
    """Return the occasion's response, starting it with the latest version if there is none.

    Starting twice (two taps, two tabs) returns the same response: the first response
    of an occasion is unique.
    """
    version = questionnaire.latest_version()
    if version is None:
        raise ValidationError(_("This questionnaire has no questions yet."))
    existing = OutcomeResponse.objects.filter(
        assignment=assignment, questionnaire=questionnaire, occasion=occasion, supersedes=None
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return OutcomeResponse.objects.create(
                assignment=assignment,
                patient_id=assignment.patient_id,
                questionnaire=questionnaire,
                version=version,
                occasion=occasion,
                answers=_carried_over(assignment, questionnaire, version.parsed),
            )
    except IntegrityError:
        return OutcomeResponse.objects.get(
            assignment=assignment, questionnaire=questionnaire, occasion=occasion, supersedes=None
        )


def _carried_over(assignment, questionnaire, definition: outcomes.Definition) -> dict:
    """The names of the activities from the patient's last response (PSFS rates the same ones)."""
    last = (
        current_responses()
        .filter(assignment=assignment, questionnaire=questionnaire)
        .order_by("-occasion", "-submitted_at")
        .first()
    )
    if last is None:
        return {}
    texts = {q.link_id for q in definition.questions if q.type == outcomes.ItemType.STRING}
    return {key: value for key, value in last.answers.items() if key in texts}


class AlreadySent(Exception):
    """The response was sent (by another tab or a double tap): it cannot change any more."""


def response_save(
    *, response: OutcomeResponse, questions: Iterable[outcomes.Item], raw: Mapping[str, object]
) -> None:
    """Save the answers to some questions of a draft (one screen).

    Raise ValidationError with a message per item (keyed by linkId) and save nothing when
    any answer is missing or out of range; raise AlreadySent for a sent response.
    """
    questions = list(questions)
    clean, problems = outcomes.answers_clean(questions, raw)
    if problems:
        by_id = {question.link_id: question for question in questions}
        raise ValidationError(
            {key: problem_text(by_id[key], problem) for key, problem in problems.items()}
        )
    with transaction.atomic():
        locked = OutcomeResponse.objects.select_for_update().get(pk=response.pk)
        if locked.is_submitted:
            raise AlreadySent
        answers = {
            key: value
            for key, value in locked.answers.items()
            if key not in {question.link_id for question in questions}
        }
        answers.update(clean)
        locked.answers = answers
        locked.save(update_fields=["answers", "updated_at"])
    response.answers = answers


def response_submit(*, response: OutcomeResponse, today: datetime.date) -> OutcomeResponse:
    """Send a draft: check every answer, score it by its own version and freeze it.

    Raise ValidationError (a message per item) when it is incomplete, AlreadySent when it
    was sent already.
    """
    definition = response.version.parsed
    with transaction.atomic():
        locked = OutcomeResponse.objects.select_for_update().get(pk=response.pk)
        if locked.is_submitted:
            raise AlreadySent
        problems = outcomes.answers_complete(definition, locked.answers)
        if problems:
            by_id = {question.link_id: question for question in definition.questions}
            raise ValidationError(
                {key: problem_text(by_id[key], problem) for key, problem in problems.items()}
            )
        locked.score = outcomes.score(definition, locked.answers)
        locked.status = ResponseStatus.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.submitted_on = today
        locked.save(update_fields=["score", "status", "submitted_at", "submitted_on", "updated_at"])
    return locked


def response_correct(*, response: OutcomeResponse) -> OutcomeResponse:
    """Start a correction of a sent response: a new draft with its answers, superseding it.

    The sent response is kept unchanged. A correction already in progress is returned.
    """
    if not response.is_submitted:
        return response
    existing = OutcomeResponse.objects.filter(supersedes=response).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return OutcomeResponse.objects.create(
                assignment_id=response.assignment_id,
                patient_id=response.patient_id,
                questionnaire_id=response.questionnaire_id,
                version=response.version,
                occasion=response.occasion,
                answers=dict(response.answers),
                supersedes=response,
            )
    except IntegrityError:
        return OutcomeResponse.objects.get(supersedes=response)


@dataclass(frozen=True)
class Trend:
    questionnaire: Questionnaire
    points: list[tuple[datetime.date, float]]
    change: outcomes.Change | None
    mcid: float | None
    score_min: float
    score_max: float
    higher_is_better: bool
    sentences: list[str]


def _sentence(label: str, first: float, last: float) -> str:
    if first == last:
        return _("Your %(label)s stayed at %(score)s.") % {
            "label": label,
            "score": outcomes.number_text(first),
        }
    return _("Your %(label)s went from %(first)s to %(last)s.") % {
        "label": label,
        "first": outcomes.number_text(first),
        "last": outcomes.number_text(last),
    }


def trends(assignment: Assignment) -> list[Trend]:
    """Each questionnaire's current scores over time, the change from the first and words.

    Scored by each response's own version; the scale (range, direction, MCID) is the
    latest response's version.
    """
    return trends_by_assignment([assignment]).get(assignment.pk, [])


def trends_by_assignment(assignments: Iterable[Assignment]) -> dict[int, list[Trend]]:
    """`trends` of several assignments in one query: assignment id -> its trends (an
    assignment without a sent response is left out)."""
    rows = (
        current_responses()
        .filter(assignment_id__in=[assignment.pk for assignment in assignments])
        .select_related("questionnaire", "version")
        .order_by("assignment_id", "questionnaire__title", "occasion", "submitted_at")
    )
    grouped: dict[int, dict[int, list[OutcomeResponse]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        grouped[row.assignment_id][row.questionnaire_id].append(row)
    return {
        assignment_id: [_trend(responses) for responses in by_questionnaire.values()]
        for assignment_id, by_questionnaire in grouped.items()
    }


def _trend(responses: list[OutcomeResponse]) -> Trend:
    """One questionnaire's trend from its current responses, in order."""
    first, last = responses[0], responses[-1]
    definition = last.version.parsed
    points = [(response.occasion, response.score) for response in responses]
    change = (
        outcomes.change(definition.scoring, first.score, last.score) if len(responses) > 1 else None
    )
    sentences = []
    if change is not None:
        sentences = _activity_sentences(first, last) or [
            _sentence(
                _("%(name)s score") % {"name": first.questionnaire.title},
                first.score,
                last.score,
            )
        ]
    return Trend(
        questionnaire=first.questionnaire,
        points=points,
        change=change,
        mcid=last.version.mcid,
        score_min=last.version.score_min,
        score_max=last.version.score_max,
        higher_is_better=last.version.higher_is_better,
        sentences=sentences,
    )


def _activity_sentences(first: OutcomeResponse, last: OutcomeResponse) -> list[str]:
    """PSFS-like answers: "Your walking score went from 3 to 6" per activity named both times."""
    definition = last.version.parsed
    when = definition.scoring.when or {}
    sentences = []
    for score_id, name_id in when.items():
        name = str(last.answers.get(name_id, "")).strip()
        before = _rating_of(first, name, when)
        after = last.answers.get(score_id)
        if name and before is not None and after is not None:
            sentences.append(
                _sentence(_("%(name)s score") % {"name": name.lower()}, before, float(after))
            )
    return sentences


def _rating_of(response: OutcomeResponse, name: str, when: Mapping[str, str]) -> float | None:
    for score_id, name_id in when.items():
        if str(response.answers.get(name_id, "")).strip().lower() == name.lower():
            value = response.answers.get(score_id)
            return float(value) if value is not None else None
    return None


def responses_free_text_erase(*, patient_id: int, placeholder: str) -> int:
    """Replace the text answers of a patient's responses (a PSFS activity may name anyone)
    with `placeholder`, keeping the numbers and scores the outcome reports count."""
    responses = list(OutcomeResponse.objects.filter(patient_id=patient_id))
    for response in responses:
        response.answers = {
            key: placeholder if isinstance(value, str) else value
            for key, value in response.answers.items()
        }
    OutcomeResponse.objects.bulk_update(responses, ["answers"])
    return len(responses)
